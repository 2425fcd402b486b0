/*
 * Unit tests for src/split.c: statement boundaries, the lines they start
 * on, and unterminated quotes and comments. Every input is copied into a
 * buffer of exactly its length, without a NUL, so that AddressSanitizer
 * catches any read past len.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "split.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_STMTS 8

struct split_case {
	const char *name;
	const char *in;
	const char *want[MAX_STMTS + 1]; /* NULL-terminated */
	int line[MAX_STMTS];
};

/* clang-format off */
static const struct split_case cases[] = {
	{ "empty input", "", { NULL }, { 0 } },
	{ "only whitespace", "  \n\t\n  ", { NULL }, { 0 } },
	{ "only comments",
	  "-- hello; it's\n/* a; 'b */\n-- end without newline",
	  { NULL }, { 0 } },
	{ "only semicolons", ";;; ;\n -- x\n;", { NULL }, { 0 } },
	{ "one statement", "select 1;", { "select 1" }, { 1 } },
	{ "trailing statement without semicolon", "select 1;\nselect 2\n",
	  { "select 1", "select 2" }, { 1, 2 } },
	{ "several on one line", "select 1; select 2;select 3",
	  { "select 1", "select 2", "select 3" }, { 1, 1, 1 } },
	{ "leading comments are trimmed and lines counted",
	  "-- header\n\n/* c */ select 1;\n",
	  { "select 1" }, { 3 } },
	{ "trailing comments are trimmed", "select 1 /* x */ -- y\n;",
	  { "select 1" }, { 1 } },
	{ "last line is a comment", "select 1; -- done",
	  { "select 1" }, { 1 } },
	{ "multi-line statements keep their newlines",
	  "\n\n\nselect 1;\n\n  select\n2;",
	  { "select 1", "select\n2" }, { 4, 6 } },
	{ "no-transaction create index concurrently",
	  "-- flux:no-transaction\n"
	  "create index concurrently i on t (a);\n"
	  "create index concurrently j on t (b);\n",
	  { "create index concurrently i on t (a)",
	    "create index concurrently j on t (b)" },
	  { 2, 3 } },
	{ "alter type add value with a semicolon in the label",
	  "alter type mood add value 'a;b';\n"
	  "alter type mood add value 'c' after 'a;b';",
	  { "alter type mood add value 'a;b'",
	    "alter type mood add value 'c' after 'a;b'" },
	  { 1, 2 } },
	{ "vacuum", "vacuum analyze t;\nvacuum (verbose) u",
	  { "vacuum analyze t", "vacuum (verbose) u" }, { 1, 2 } },
	{ "'' escapes", "select 'it''s; fine';select ''';'''",
	  { "select 'it''s; fine'", "select ''';'''" }, { 1, 1 } },
	{ "backslash is literal in '...'", "select 'C:\\';select 2",
	  { "select 'C:\\'", "select 2" }, { 1, 1 } },
	{ "E'...' backslash escapes a quote", "select E'it\\'s;';select 2",
	  { "select E'it\\'s;'", "select 2" }, { 1, 1 } },
	{ "e'\\\\' then ;", "select e'\\\\';select 2",
	  { "select e'\\\\'", "select 2" }, { 1, 1 } },
	{ "E'...' with '' escapes", "select E'a''b;c\\\\'; select 1",
	  { "select E'a''b;c\\\\'", "select 1" }, { 1, 1 } },
	{ "a word ending in e is not an E prefix", "select some'a\\';select 2",
	  { "select some'a\\'", "select 2" }, { 1, 1 } },
	{ "U&'...' is a plain string",
	  "select U&'d\\0061t\\+000061;';select U&'\\';select 3",
	  { "select U&'d\\0061t\\+000061;'", "select U&'\\'", "select 3" },
	  { 1, 1, 1 } },
	{ "\"\" escapes", "select 1 as \"a\"\";b\";select 2",
	  { "select 1 as \"a\"\";b\"", "select 2" }, { 1, 1 } },
	{ "dollar-quoted function body",
	  "create function f() returns int language plpgsql as $$\n"
	  "begin\n"
	  "  perform 1;\n"
	  "  return 2;\n"
	  "end;\n"
	  "$$;\n"
	  "select f();",
	  { "create function f() returns int language plpgsql as $$\n"
	    "begin\n"
	    "  perform 1;\n"
	    "  return 2;\n"
	    "end;\n"
	    "$$",
	    "select f()" },
	  { 1, 7 } },
	{ "tagged dollar quote",
	  "do $body$ begin raise notice 'x;'; end $body$; select 1",
	  { "do $body$ begin raise notice 'x;'; end $body$", "select 1" },
	  { 1, 1 } },
	{ "nested dollar tags",
	  "do $a$ begin execute $b$ select 1; $b$; end $a$;\nselect 2",
	  { "do $a$ begin execute $b$ select 1; $b$; end $a$", "select 2" },
	  { 1, 2 } },
	{ "$$ inside $a$ and a near-miss tag",
	  "do $a$ select $$;$$; $ab$; $a $a$;select 2",
	  { "do $a$ select $$;$$; $ab$; $a $a$", "select 2" }, { 1, 1 } },
	{ "$1 parameters are not dollar quotes",
	  "prepare p(int, int) as select $1 + $2;execute p(1, 2);",
	  { "prepare p(int, int) as select $1 + $2", "execute p(1, 2)" },
	  { 1, 1 } },
	{ "$ inside an identifier is not a quote",
	  "select 1 as a$b$c; select $x$;$x$",
	  { "select 1 as a$b$c", "select $x$;$x$" }, { 1, 1 } },
	{ "a lone $", "select 1 $ 2;select 3",
	  { "select 1 $ 2", "select 3" }, { 1, 1 } },
	/* Each of these ends where a lookahead would read one byte past len. */
	{ "ends in -", "select 1 -", { "select 1 -" }, { 1 } },
	{ "ends in /", "select 1 /", { "select 1 /" }, { 1 } },
	{ "ends in $", "select $", { "select $" }, { 1 } },
	{ "ends in $tag", "select $a", { "select $a" }, { 1 } },
	{ "ends in e", "select e", { "select e" }, { 1 } },
	{ "-- comment holding ; and '",
	  "select 1 -- it's; a comment\n, 2;select 3",
	  { "select 1 -- it's; a comment\n, 2", "select 3" }, { 1, 2 } },
	{ "nested block comments",
	  "select /* a /* b */ ; */ 1; select 2 /**/;/*/ ; */select 3",
	  { "select /* a /* b */ ; */ 1", "select 2", "select 3" },
	  { 1, 1, 1 } },
	{ "BEGIN ATOMIC with CASE ... END inside",
	  "create function f(a int) returns int\n"
	  "language sql\n"
	  "begin atomic\n"
	  "  select case when a > 0 then 1 else 0 end;\n"
	  "  select case a when 1 then (case when true then 2 end) else 3 end;\n"
	  "end;\n"
	  "select f(1);",
	  { "create function f(a int) returns int\n"
	    "language sql\n"
	    "begin atomic\n"
	    "  select case when a > 0 then 1 else 0 end;\n"
	    "  select case a when 1 then (case when true then 2 end) else 3 end;\n"
	    "end",
	    "select f(1)" },
	  { 1, 7 } },
	{ "CREATE OR REPLACE PROCEDURE, upper case",
	  "CREATE OR REPLACE PROCEDURE p() LANGUAGE SQL BEGIN ATOMIC "
	  "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END; CALL p();",
	  { "CREATE OR REPLACE PROCEDURE p() LANGUAGE SQL BEGIN ATOMIC "
	    "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END",
	    "CALL p()" },
	  { 1, 1 } },
	{ "BEGIN and ATOMIC split by a comment",
	  "create function f() returns int language sql Begin /* x */ "
	  "-- y\nAtomic select 1; end;select 2",
	  { "create function f() returns int language sql Begin /* x */ "
	    "-- y\nAtomic select 1; end",
	    "select 2" },
	  { 1, 2 } },
	{ "keywords in strings and comments inside BEGIN ATOMIC",
	  "create function f() returns text language sql begin atomic "
	  "select 'end;' /* end; */ -- end;\n; end;select 1",
	  { "create function f() returns text language sql begin atomic "
	    "select 'end;' /* end; */ -- end;\n; end",
	    "select 1" },
	  { 1, 2 } },
	{ "CASE after the atomic body has closed",
	  "create function f() returns int language sql begin atomic "
	  "select 1; end; select case when true then 1 end; select 2",
	  { "create function f() returns int language sql begin atomic "
	    "select 1; end",
	    "select case when true then 1 end", "select 2" },
	  { 1, 1, 1 } },
	{ "BEGIN; ... COMMIT; are plain statements",
	  "BEGIN;\ncreate table t (a int);\nCOMMIT;\nbegin work;\nend;",
	  { "BEGIN", "create table t (a int)", "COMMIT", "begin work", "end" },
	  { 1, 2, 3, 4, 5 } },
	{ "BEGIN ATOMIC outside CREATE FUNCTION does not count",
	  "begin atomic; select 1; end",
	  { "begin atomic", "select 1", "end" }, { 1, 1, 1 } },
	{ "names that merely contain begin atomic",
	  "create function begin_atomic_x() returns int language sql return 1;"
	  "create function \"begin atomic\"() returns int language sql "
	  "return 1; create function f(begin atomic) returns int "
	  "language sql return 1;select 4",
	  { "create function begin_atomic_x() returns int language sql return 1",
	    "create function \"begin atomic\"() returns int language sql return 1",
	    "create function f(begin atomic) returns int language sql return 1",
	    "select 4" },
	  { 1, 1, 1, 1 } },
	{ "BEGIN without ATOMIC in CREATE FUNCTION (a type named begin)",
	  "create function f() returns begin language sql return null;"
	  "select 2",
	  { "create function f() returns begin language sql return null",
	    "select 2" },
	  { 1, 1 } },
	{ "semicolons inside parentheses (CREATE RULE)",
	  "create rule r as on insert to t do also "
	  "(insert into a values (1); insert into b values (2));select 1",
	  { "create rule r as on insert to t do also "
	    "(insert into a values (1); insert into b values (2))",
	    "select 1" },
	  { 1, 1 } },
	{ "unicode text",
	  "insert into t values ('h\xc3\xa9llo; w\xc3\xb6rld', "
	  "'\xf0\x9f\x9a\x80;');\nselect 1 as na\xc3\xafve$x; "
	  "select $\xc3\xbc$;$\xc3\xbc$",
	  { "insert into t values ('h\xc3\xa9llo; w\xc3\xb6rld', "
	    "'\xf0\x9f\x9a\x80;')",
	    "select 1 as na\xc3\xafve$x", "select $\xc3\xbc$;$\xc3\xbc$" },
	  { 1, 2, 2 } },
};
/* clang-format on */

/* Run text[0..len) through split_sql() from a buffer with no NUL after it. */
static int split_copy(const char *text, size_t len, struct split_result *r,
		      struct flux_err *err, char **buf)
{
	*buf = malloc(len ? len : 1);
	assert_non_null(*buf);
	if (len)
		memcpy(*buf, text, len);
	return split_sql(*buf, len, r, err);
}

static int check_case(const struct split_case *tc)
{
	struct split_result r = SPLIT_RESULT_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	size_t len = strlen(tc->in);
	size_t want_n, i;
	char *buf;
	int bad = 0;

	for (want_n = 0; tc->want[want_n]; want_n++)
		;
	if (split_copy(tc->in, len, &r, &err, &buf) != 0) {
		print_error("%s: split_sql failed: %s\n", tc->name, err.msg);
		bad = 1;
		goto cleanup;
	}
	if (r.n != want_n) {
		print_error("%s: %zu statements, want %zu\n", tc->name, r.n, want_n);
		bad = 1;
	}
	for (i = 0; i < r.n; i++) {
		const struct split_stmt *st = &r.stmts[i];

		if (st->start > len || st->len > len - st->start) {
			print_error("%s: statement %zu out of range\n", tc->name, i);
			bad = 1;
			continue;
		}
		if (i >= want_n) {
			print_error("%s: extra statement [%.*s]\n", tc->name,
				    (int)st->len, buf + st->start);
			continue;
		}
		if (st->len != strlen(tc->want[i]) ||
		    memcmp(buf + st->start, tc->want[i], st->len) != 0) {
			print_error("%s: statement %zu is [%.*s], want [%s]\n", tc->name,
				    i, (int)st->len, buf + st->start, tc->want[i]);
			bad = 1;
		}
		if (st->line != tc->line[i]) {
			print_error("%s: statement %zu on line %d, want %d\n", tc->name,
				    i, st->line, tc->line[i]);
			bad = 1;
		}
	}
cleanup:
	split_result_release(&r);
	err_release(&err);
	free(buf);
	return bad;
}

static void test_split_cases(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < N(cases); i++)
		bad |= check_case(&cases[i]);
	if (bad)
		fail_msg("some split cases failed");
}

static void test_split_errors(void **state)
{
	static const struct {
		const char *in;
		const char *what; /* a piece of the message */
		int line;
		/* clang-format off */
	} errs[] = {
		{ "select 1;\nselect 'abc;\n", "quoted string", 2 },
		{ "select 1;\n select 'a''", "quoted string", 2 },
		{ "select 'a\nb\nc", "quoted string", 1 },
		{ "\n\nselect \"abc;", "quoted identifier", 3 },
		{ "select \"a\"\"", "quoted identifier", 1 },
		{ "select $$abc;", "dollar-quoted string $$", 1 },
		{ "select 1;\n\n\ndo $body$ begin end $bod$;", "$body$", 4 },
		{ "do $a$ select $b$ x $b$;", "$a$", 1 },
		{ "select 1 as a$b$c; select $b$c;", "$b$", 1 },
		{ "select 1; /* a /* b */ ;\nselect 2", "comment", 1 },
		{ "select 1;\n/*", "comment", 2 },
		{ "/* *", "comment", 1 },
		{ "/* /", "comment", 1 },
		{ "select $a$", "$a$", 1 },
		{ "select $ab$ x $a", "$ab$", 1 },
		{ "select E'it\\'s;\n", "quoted string", 1 },
		{ "select 1;\nselect e'\\", "quoted string", 2 },
		{ "select 1;\nselect e'\\'", "quoted string", 2 },
		{ "select U&'\\''", "quoted string", 1 },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(errs); i++) {
		struct split_result r = SPLIT_RESULT_INIT;
		struct flux_err err = FLUX_ERR_INIT;
		char want_line[32];
		char *buf;
		int rc;

		rc = split_copy(errs[i].in, strlen(errs[i].in), &r, &err, &buf);
		snprintf(want_line, sizeof(want_line), "line %d", errs[i].line);
		if (rc != -1 || err.code != FLUX_EXIT_DIRECTORY || !err.msg ||
		    !strstr(err.msg, errs[i].what) || !strstr(err.msg, want_line) ||
		    r.n != 0 || r.stmts) {
			print_error("[%s]: rc %d code %d msg '%s' n %zu\n", errs[i].in,
				    rc, (int)err.code, err.msg ? err.msg : "(null)", r.n);
			split_result_release(&r);
			err_release(&err);
			free(buf);
			fail_msg("error case %zu", i);
		}
		assert_string_equal(err.msg + strlen(err.msg) - strlen(want_line),
				    want_line);
		split_result_release(&r);
		err_release(&err);
		free(buf);
	}
}

/* A NUL is just a byte: len, not the terminator, ends the text. */
static void test_split_nul_and_null(void **state)
{
	static const char in[] = "select '\0;'; select 2\0; select 3";
	struct split_result r = SPLIT_RESULT_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	char *buf;

	(void)state;
	assert_int_equal(split_copy(in, sizeof(in) - 1, &r, &err, &buf), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.stmts[0].len, 11);
	assert_memory_equal(buf + r.stmts[0].start, "select '\0;'", 11);
	assert_int_equal(r.stmts[1].len, 9);
	assert_memory_equal(buf + r.stmts[1].start, "select 2\0", 9);
	assert_int_equal(r.stmts[2].len, 8);
	split_result_release(&r);
	free(buf);

	/* len cuts a statement short, even inside what would be a quote. */
	assert_int_equal(split_copy("select 1; select 2", 11, &r, &err, &buf), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.stmts[1].start, 10);
	assert_int_equal(r.stmts[1].len, 1);
	split_result_release(&r);
	free(buf);

	assert_int_equal(split_sql(NULL, 0, &r, &err), 0);
	assert_int_equal(r.n, 0);
	split_result_release(&r);
	split_result_release(NULL);
	assert_null(err.msg);
}

/* Texts after which more SQL would be read as part of them, and texts not. */
static void test_split_ends_open(void **state)
{
	static const struct {
		const char *in;
		bool open;
		/* clang-format off */
	} open_cases[] = {
		{ "", false },
		{ "create table a (id int);", false },
		{ "create table a (id int)", false },            /* no ';': still closed */
		{ "select 1; -- a comment to the end", false },
		{ "select 1; /* closed */", false },
		{ "select '/*';", false },
		{ "select 1; /*", true },                         /* a later star-slash closes it */
		{ "select 1; /* a /* nested */", true },
		{ "select 'oops;", true },
		{ "select E'a\\'';", false },
		{ "select E'a\\';", true },
		{ "select \"x;", true },
		{ "do $$ begin", true },
		{ "do $f$ begin end $$;", true },
		{ "do $$ begin null; end $$;", false },
		{ "create table t (id int", false },             /* the ';' after it is a syntax error */
		{ "create function f() returns int begin atomic select 1;", true },
		{ "create function f() returns int begin atomic select 1; end;", false },
		{ "create function f() returns int begin atomic select case when true then 1 end;", true },
		{ "begin; select 1;", false },                   /* BEGIN alone is a transaction */
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(open_cases); i++)
		if (split_ends_open(open_cases[i].in, strlen(open_cases[i].in)) !=
		    open_cases[i].open)
			fail_msg("case %zu (%s): want %s", i, open_cases[i].in,
				 open_cases[i].open ? "open" : "closed");
	/* len is authoritative: a quote cut short is open. */
	assert_true(split_ends_open("select 'a';", 9));
}

/*
 * Inputs that would take quadratic time in a naive splitter: a long tag
 * with many near-misses, deeply nested comments, many statements. Not
 * timed; a quadratic splitter would simply not finish.
 */
static void test_split_large(void **state)
{
	enum { TAG = 4000, REPS = 500, STMTS = 100000, DEPTH = 200000 };
	struct split_result r = SPLIT_RESULT_INIT;
	struct flux_err err = FLUX_ERR_INIT;
	size_t len = 0, cap, i, k;
	char *s, *buf;

	(void)state;
	cap = 2 * (TAG + 2) + (size_t)REPS * (TAG + 1) + 16;
	s = malloc(cap);
	assert_non_null(s);
	s[len++] = '$';
	for (k = 0; k < TAG; k++)
		s[len++] = 'a';
	s[len++] = '$';
	for (i = 0; i < REPS; i++) {
		s[len++] = '$';
		for (k = 0; k + 1 < TAG; k++)
			s[len++] = 'a';
	}
	s[len++] = '$';
	for (k = 0; k < TAG; k++)
		s[len++] = 'a';
	s[len++] = '$';
	s[len++] = ';';
	s[len++] = 'x';
	assert_int_equal(split_copy(s, len, &r, &err, &buf), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.stmts[0].len, len - 2);
	split_result_release(&r);
	free(buf);
	free(s);

	s = malloc((size_t)STMTS * 10);
	assert_non_null(s);
	for (len = 0, i = 0; i < STMTS; i++) {
		memcpy(s + len, "select 1;\n", 10);
		len += 10;
	}
	assert_int_equal(split_copy(s, len, &r, &err, &buf), 0);
	assert_int_equal(r.n, STMTS);
	assert_int_equal(r.stmts[STMTS - 1].line, STMTS);
	assert_int_equal(r.stmts[STMTS - 1].start, (size_t)(STMTS - 1) * 10);
	split_result_release(&r);
	free(buf);
	free(s);

	s = malloc((size_t)DEPTH * 4 + 8);
	assert_non_null(s);
	for (len = 0, i = 0; i < DEPTH; i++) {
		s[len++] = '/';
		s[len++] = '*';
	}
	for (i = 0; i < DEPTH; i++) {
		s[len++] = '*';
		s[len++] = '/';
	}
	memcpy(s + len, "x;", 2);
	len += 2;
	assert_int_equal(split_copy(s, len, &r, &err, &buf), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.stmts[0].start, len - 2);
	split_result_release(&r);
	free(buf);
	/* One close short: unterminated, reported where it opened. */
	assert_int_equal(split_copy(s, len - 4, &r, &err, &buf), -1);
	assert_int_equal(err.code, FLUX_EXIT_DIRECTORY);
	assert_non_null(strstr(err.msg, "line 1"));
	err_release(&err);
	free(buf);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_cases),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_split_nul_and_null),
		cmocka_unit_test(test_split_ends_open),
		cmocka_unit_test(test_split_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
