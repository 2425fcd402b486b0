/*
 * Unit tests for src/sb.c and src/utf8.c: the JSON string writer, which
 * must give valid JSON (and so valid UTF-8) for any bytes, and the strict
 * UTF-8 decoder it shares with the directory reader; sb_setlen's bound and
 * growth that would overflow a size_t.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>

#include <cmocka.h>

#include "err.h"
#include "sb.h"
#include "test_lib.h"
#include "utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_add_json(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "", "" },
		{ "plain", "plain" },
		{ "a\"b\\c", "a\\\"b\\\\c" },
		{ "l1\nl2\r\t", "l1\\nl2\\r\\t" },
		{ "\x01\x1f", "\\u0001\\u001f" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x98" },
		{ "\xff\xfe", "\\ufffd\\ufffd" },
		{ "a\xc3", "a\\ufffd" },                   /* cut short at the end */
		{ "\xc3(", "\\ufffd(" },                   /* bad continuation */
		{ "\xc0\xaf", "\\ufffd\\ufffd" },          /* overlong '/' */
		{ "\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd" }, /* a surrogate */
		{ "\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* > U+10FFFF */
		{ "ok\xe2\x82", "ok\\ufffd\\ufffd" },
	};
	/* clang-format on */
	struct sb sb = SB_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		sb_reset(&sb);
		sb_add_json(&sb, cases[i].in);
		if (strcmp(sb.buf, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, sb.buf,
				 cases[i].want);
	}
	sb_release(&sb);
}

static void test_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		/* clang-format off */
	} cases[] = {
		{ "", true },
		{ "abc", true },
		{ "\xef\xbb\xbf" "bom", true },
		{ "\xf0\x9f\x90\x98", true },
		{ "\xf4\x8f\xbf\xbf", true },
		{ "\xe0\x80\x80", false },
		{ "\xed\xbf\xbf", false },
		{ "\x80", false },
		{ "\xf5\x80\x80\x80", false },
		{ "\xe2\x82", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		if (utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: utf8_valid is %d, want %d", i, !cases[i].ok,
				 cases[i].ok);
}

/* Shortening, and setting back a length whose text was written after sb_grow. */
static void test_setlen(void **state)
{
	static const struct {
		const char *text;
		size_t len;
		const char *want;
		/* clang-format off */
	} cases[] = {
		{ "hello world", 5, "hello" },
		{ "hello world", 0, "" },
		{ "hello world", 11, "hello world" },
		{ "", 0, "" },
	};
	/* clang-format on */
	struct sb sb = SB_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		sb_reset(&sb);
		sb_adds(&sb, cases[i].text);
		sb_setlen(&sb, cases[i].len);
		assert_int_equal(sb.len, cases[i].len);
		if (strcmp(sb.buf, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, sb.buf,
				 cases[i].want);
	}
	/* The last byte of the allocation is the NUL's: alloc - 1 is allowed. */
	sb_grow(&sb, 100);
	memset(sb.buf, 'x', sb.alloc - 1);
	sb_setlen(&sb, sb.alloc - 1);
	assert_int_equal(strlen(sb.buf), sb.alloc - 1);
	sb_release(&sb);

	/* An empty builder, never grown, takes a length of 0 and stays empty. */
	sb_setlen(&sb, 0);
	assert_int_equal(sb.alloc, 0);
	assert_string_equal(sb.buf, "");
}

struct setlen_case {
	size_t hint, len;
};

static void setlen_child(void *arg)
{
	const struct setlen_case *c = arg;
	struct sb sb = SB_INIT;

	if (c->hint)
		sb_init(&sb, c->hint);
	sb_setlen(&sb, c->len == SIZE_MAX ? sb.alloc : c->len);
}

/* A length past the buffer is a programming error: abort, saying so. */
static void test_setlen_past_bound(void **state)
{
	/* clang-format off */
	static const struct setlen_case cases[] = {
		{ 0, 1 },         /* never grown: only 0 fits */
		{ 10, SIZE_MAX }, /* exactly alloc: no room for the NUL */
		{ 10, 1000 },
	};
	/* clang-format on */
	struct test_death d;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		test_death(setlen_child, (void *)&cases[i], &d);
		if (d.exited || d.sig != SIGABRT ||
		    !strstr(d.err, "flux: BUG: sb_setlen(") ||
		    !strstr(d.err, "beyond a buffer of"))
			fail_msg("case %zu: exited %d code %d signal %d, stderr '%s'", i,
				 d.exited, d.code, d.sig, d.err);
		free(d.err);
	}
}

static void grow_child(void *arg)
{
	struct sb sb = SB_INIT;

	sb_adds(&sb, "abc");
	sb_grow(&sb, *(const size_t *)arg);
	/* Reached only when the growth did not stop: write where it claims room. */
	memset(sb.buf + sb.len, 'x', 64);
	sb_release(&sb);
}

/* len + extra + 1 past SIZE_MAX is out of memory, not a small wrapped size. */
static void test_grow_overflow(void **state)
{
	static const size_t extras[] = { SIZE_MAX, SIZE_MAX - 3, SIZE_MAX - 2 };
	struct test_death d;
	size_t i;

	(void)state;
	for (i = 0; i < N(extras); i++) {
		test_death(grow_child, (void *)&extras[i], &d);
		if (!d.exited || d.code != FLUX_EXIT_NOMEM ||
		    strncmp(d.err, "flux: error: out of memory allocating ", 38) != 0)
			fail_msg("extra %zu: exited %d code %d signal %d, stderr '%s'",
				 extras[i], d.exited, d.code, d.sig, d.err);
		free(d.err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_json),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_setlen),
		cmocka_unit_test(test_setlen_past_bound),
		cmocka_unit_test(test_grow_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
