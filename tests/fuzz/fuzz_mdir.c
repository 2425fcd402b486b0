/*
 * libFuzzer target for the directory reader's text normalisation
 * (src/mdir.h: mdir_normalise, mdir_is_no_transaction).
 *
 * Differential against a small reference of what Python's text-mode read
 * does: the input is accepted exactly when it is strict UTF-8 (no
 * overlongs, no surrogates, nothing above U+10FFFF) without a NUL byte,
 * and then the output is the input with CRLF and lone CR turned into LF
 * (so it never holds a CR). A rejection is exit code 4 naming the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "mdir.h"
#include "sb.h"

#include "fuzz.h"

/* Length of the strict UTF-8 sequence at s, 0 if invalid. */
static size_t ref_seq(const unsigned char *s, size_t avail)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, k;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (avail < n)
		return 0;
	for (k = 1; k < n; k++) {
		if (s[k] < (k == 1 ? lo : 0x80) || s[k] > (k == 1 ? hi : 0xBF))
			return 0;
	}
	return n;
}

static int ref_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		n = ref_seq(s + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb out = SB_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	char *raw = malloc(size ? size : 1);
	int valid = ref_valid(data, size);
	int rc;

	log_setup(LOG_ERROR, LOG_TEXT);
	memcpy(raw, data, size);
	sb_addch(&out, 'x'); /* output is appended to what is there */
	rc = mdir_normalise(raw, size, "migrations/fuzz.sql", &out, &err);
	CHECK(out.buf[0] == 'x');
	if (rc == 0) {
		size_t i, o = 1;

		CHECK(valid);
		CHECK(err.code == FLUX_EXIT_OK);
		for (i = 0; i < size; i++) {
			char c = raw[i];

			if (c == '\r') {
				c = '\n';
				if (i + 1 < size && raw[i + 1] == '\n')
					i++;
			}
			CHECK(o < out.len && out.buf[o] == c);
			o++;
		}
		CHECK(o == out.len);
		CHECK(!memchr(out.buf, '\r', out.len));
		CHECK(out.buf[out.len] == '\0');
		(void)mdir_is_no_transaction(out.buf + 1, out.len - 1);
	} else {
		CHECK(rc == -1);
		CHECK(!valid);
		CHECK(err.code == FLUX_EXIT_DIRECTORY);
		CHECK(err.msg && strstr(err.msg, "migrations/fuzz.sql"));
	}
	(void)mdir_is_no_transaction(raw, size);
	sb_release(&out);
	err_release(&err);
	free(raw);
	return 0;
}
