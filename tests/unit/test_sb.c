/*
 * Unit tests for src/sb.c and src/utf8.c: the JSON string writer, which
 * must give valid JSON (and so valid UTF-8) for any bytes, and the strict
 * UTF-8 decoder it shares with the directory reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sb.h"
#include "utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_add_json(void **state)
{
	static const struct {
		const char *in, *want;
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
	struct sb sb = SB_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		sb_reset(&sb);
		sb_add_json(&sb, cases[i].in);
		if (strcmp(sb.buf, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, sb.buf, cases[i].want);
	}
	sb_release(&sb);
}

static void test_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
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
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		if (utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: utf8_valid is %d, want %d", i, !cases[i].ok,
				 cases[i].ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_json),
		cmocka_unit_test(test_utf8_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
