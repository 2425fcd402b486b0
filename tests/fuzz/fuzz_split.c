/*
 * libFuzzer target for the statement splitter (src/split.h).
 *
 * The input is copied into a buffer of exactly its size, so AddressSanitizer
 * catches any read at or past len. Invariants checked on success: every
 * statement is non-empty, in bounds, after the previous one (increasing,
 * non-overlapping), starts and ends on a non-blank byte, carries the line
 * of its first byte, and splitting a statement's own text again gives back
 * that one statement whole. On failure: exit code 4, a message, no output,
 * and split_ends_open() agrees that the text ends open.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "split.h"

#include "fuzz.h"

static int blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct split_result r = SPLIT_RESULT_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	char *text = size ? malloc(size) : NULL;
	size_t i, prev_end = 0, pos = 0;
	int line = 1;

	if (size)
		memcpy(text, data, size);
	if (split_sql(text, size, &r, &err) == 0) {
		CHECK(err.code == FLUX_EXIT_OK);
		for (i = 0; i < r.n; i++) {
			const struct split_stmt *s = &r.stmts[i];
			struct split_result again = SPLIT_RESULT_INIT;
			struct flux_err err2 = FLUX_ERR_INIT;
			char *copy;

			CHECK(s->len > 0);
			CHECK(s->start >= prev_end);
			CHECK(s->start < size && s->len <= size - s->start);
			CHECK(!blank((unsigned char)text[s->start]));
			CHECK(!blank((unsigned char)text[s->start + s->len - 1]));
			for (; pos < s->start; pos++)
				line += text[pos] == '\n';
			CHECK(s->line == line);
			prev_end = s->start + s->len;

			/* A statement is one statement on its own. */
			copy = malloc(s->len);
			memcpy(copy, text + s->start, s->len);
			CHECK(split_sql(copy, s->len, &again, &err2) == 0);
			CHECK(again.n == 1);
			CHECK(again.stmts[0].start == 0 && again.stmts[0].len == s->len);
			split_result_release(&again);
			err_release(&err2);
			free(copy);
		}
	} else {
		CHECK(err.code == FLUX_EXIT_DIRECTORY);
		CHECK(err.msg && *err.msg);
		CHECK(r.n == 0);
		/* What the splitter calls unterminated ends open. */
		CHECK(split_ends_open(text, size));
	}
	split_result_release(&r);
	CHECK(r.n == 0 && r.stmts == NULL);
	err_release(&err);
	free(text);
	return 0;
}
