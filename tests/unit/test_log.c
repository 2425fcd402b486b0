/* Unit tests for src/log.c: one event, one line, in text and in JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "sb.h"
#include "test_lib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A file name or value holding control bytes is one text line: a newline
 * cannot forge a second event, an ESC cannot reach the terminal.
 */
static void test_text_escapes_controls(void **state)
{
	static const struct {
		const char *msg, *want;
		/* clang-format off */
	} cases[] = {
		{ "plain", "flux: warning: plain\n" },
		{ "a\nflux: error: forged", "flux: warning: a\\nflux: error: forged\n" },
		{ "cr\rlf\r\n", "flux: warning: cr\\rlf\\r\\n\n" },
		{ "esc \x1b[31mred\x1b[0m", "flux: warning: esc \\x1b[31mred\\x1b[0m\n" },
		{ "bell\a del\x7f nul-less \x01\x1f", "flux: warning: bell\\x07 del\\x7f nul-less \\x01\\x1f\n" },
		{ "tab\tstays", "flux: warning: tab\tstays\n" },
		{ "utf-8 caf\xc3\xa9 stays", "flux: warning: utf-8 caf\xc3\xa9 stays\n" },
	};
	/* clang-format on */
	size_t i;
	char *out;

	(void)state;
	log_setup(LOG_INFO, LOG_TEXT);
	for (i = 0; i < N(cases); i++) {
		test_capture_start();
		log_warn("test", "%s", cases[i].msg);
		out = test_capture_end();
		assert_string_equal(out, cases[i].want);
		free(out);
	}
}

/* Info lines have no level word; the escaping is the same. */
static void test_text_info(void **state)
{
	char *out;

	(void)state;
	log_setup(LOG_INFO, LOG_TEXT);
	test_capture_start();
	log_info("applied", "applied 'a\nb' in %d ms", 3);
	out = test_capture_end();
	assert_string_equal(out, "flux: applied 'a\\nb' in 3 ms\n");
	free(out);
}

/* JSON escapes control bytes its own way: still one line. */
static void test_json_one_line(void **state)
{
	char *out, *msg;

	(void)state;
	log_setup(LOG_INFO, LOG_JSON);
	test_capture_start();
	log_error("error", "x\ny\x1bz");
	out = test_capture_end();
	log_setup(LOG_INFO, LOG_TEXT);
	assert_non_null(strchr(out, '\n'));
	assert_true(strchr(out, '\n') == out + strlen(out) - 1);
	msg = strstr(out, "\"msg\":\"x\\ny\\u001bz\"");
	if (!msg)
		fail_msg("unexpected JSON line: %s", out);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes_controls),
		cmocka_unit_test(test_text_info),
		cmocka_unit_test(test_json_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
