/*
 * Unit tests for entrypoint/opt.c: the commands' option parser. Each case
 * is a command's table (as apply, rollback, status, goto, new, lint and
 * init declare theirs), an argv, and what must come out: the values, or
 * the exact usage message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "opt.h"
#include "sb.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGS 8

/* Where the tables below store what they parse. */
static struct {
	bool dry_run, all, exit_code;
	long count;
	const char *to, *format;
} got;

static const char *const formats[] = { "table", "json", NULL };
static const char *const three[] = { "a", "b", "c", NULL };

/* clang-format off */
static const struct opt apply_opts[] = {
	{ .name = "--dry-run", .kind = OPT_FLAG, .out = &got.dry_run },
	{ .name = "--to", .kind = OPT_VALUE, .out = &got.to, .needs = "a migration ID",
	  .once = true },
	{ .name = NULL },
};
/* clang-format on */
/* clang-format off */
static const struct opt rollback_opts[] = {
	{ .name = "--dry-run", .kind = OPT_FLAG, .out = &got.dry_run },
	{ .name = "--all", .kind = OPT_FLAG, .out = &got.all },
	{ .name = "--to", .kind = OPT_VALUE, .out = &got.to, .nonempty = true },
	{ .name = NULL },
};
/* clang-format on */
/* clang-format off */
static const struct opt status_opts[] = {
	{ .name = "--exit-code", .kind = OPT_FLAG, .out = &got.exit_code },
	{ .name = "--format", .kind = OPT_VALUE, .out = &got.format, .words = formats },
	{ .name = "--pick", .kind = OPT_VALUE, .out = &got.to, .words = three },
	{ .name = NULL },
};
/* clang-format on */
/* clang-format off */
static const struct opt new_opts[] = {
	{ .name = "--pre", .kind = OPT_FLAG, .out = &got.dry_run },
	{ .name = "--post", .kind = OPT_FLAG, .out = &got.all },
	{ .name = NULL },
};
/* clang-format on */

enum { APPLY, ROLLBACK, STATUS, GOTO, NEW, LINT, INIT, NOARGS };

/* clang-format off */
static const struct opt_spec specs[] = {
	[APPLY] = { .cmd = "apply", .opts = apply_opts, .count = &got.count,
		    .hint = "expected a number of migrations, --to ID or --dry-run" },
	[ROLLBACK] = { .cmd = "rollback", .opts = rollback_opts, .count = &got.count,
		       .hint = "expected N, --to ID, --all or --dry-run" },
	[STATUS] = { .cmd = "status", .opts = status_opts,
		     .hint = "expected --format table|json or --exit-code" },
	[GOTO] = { .cmd = "goto", .opts = apply_opts, .max_pos = 1,
		   .hint = "expected one migration ID and --dry-run" },
	[NEW] = { .cmd = "new", .opts = new_opts, .max_pos = -1, .dashdash = true,
		  .options_first = true, .unknown_option = true },
	[LINT] = { .cmd = "lint", .opts = status_opts, .max_pos = -1, .dashdash = true,
		   .dash_positional = true, .hint = "expected --format text|json and migration paths" },
	[INIT] = { .cmd = "init", .max_pos = 1, .no_options = true },
	[NOARGS] = { .cmd = "config" },
};
/* clang-format on */

struct opt_case {
	int spec;
	const char *argv[MAX_ARGS]; /* after the command name; NULL-ended */
	const char *err;            /* the message, or NULL for success */
	/* on success: */
	bool dry_run, all;
	long count;
	const char *to, *format;
	const char *pos; /* the positional arguments joined with '|' */
};

/* clang-format off */
static const struct opt_case cases[] = {
	/* apply: a count, --to in both forms, --dry-run anywhere */
	{ APPLY, { NULL }, NULL, false, false, -1, NULL, NULL, "" },
	{ APPLY, { "2", "--dry-run" }, NULL, true, false, 2, NULL, NULL, "" },
	{ APPLY, { "0" }, NULL, false, false, 0, NULL, NULL, "" },
	{ APPLY, { "--to", "0002_b" }, NULL, false, false, -1, "0002_b", NULL, "" },
	{ APPLY, { "--to=0002_b", "--dry-run" }, NULL, true, false, -1, "0002_b", NULL, "" },
	{ APPLY, { "--to", "--dry-run" }, NULL, false, false, -1, "--dry-run", NULL, "" },
	{ APPLY, { "--to" }, .err = "apply: '--to' needs a migration ID" },
	{ APPLY, { "--to", "a", "--to", "b" },
	  .err = "apply: unexpected argument '--to': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "--to=a", "--to=b" },
	  .err = "apply: unexpected argument '--to=b': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "1", "2" },
	  .err = "apply: unexpected argument '2': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "x" },
	  .err = "apply: unexpected argument 'x': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "-1" },
	  .err = "apply: unexpected argument '-1': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "--bogus", "x" },
	  .err = "apply: unexpected argument '--bogus': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "x", "--bogus" },
	  .err = "apply: unexpected argument 'x': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "--dry-run=yes" },
	  .err = "apply: unexpected argument '--dry-run=yes': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "--dry" },
	  .err = "apply: unexpected argument '--dry': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "-" },
	  .err = "apply: unexpected argument '-': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "--" },
	  .err = "apply: unexpected argument '--': expected a number of migrations, --to ID or --dry-run" },
	{ APPLY, { "99999999999999999999" },
	  .err = "apply: unexpected argument '99999999999999999999': expected a number of migrations, --to ID or --dry-run" },
	/* rollback: --to may not be empty nor last; a later --to wins */
	{ ROLLBACK, { "--all" }, NULL, false, true, -1, NULL, NULL, "" },
	{ ROLLBACK, { "--to", "a", "--to=b" }, NULL, false, false, -1, "b", NULL, "" },
	{ ROLLBACK, { "--to" }, .err = "rollback: unexpected argument '--to': expected N, --to ID, --all or --dry-run" },
	{ ROLLBACK, { "--to=" }, .err = "rollback: unexpected argument '--to=': expected N, --to ID, --all or --dry-run" },
	{ ROLLBACK, { "3", "--dry-run" }, NULL, true, false, 3, NULL, NULL, "" },
	/* status: a value out of a list, in both forms; the last one counts */
	{ STATUS, { "--format", "json", "--exit-code" }, NULL, false, false, -1, NULL, "json", "" },
	{ STATUS, { "--format=table" }, NULL, false, false, -1, NULL, "table", "" },
	{ STATUS, { "--format=json", "--format", "table" }, NULL, false, false, -1, NULL, "table", "" },
	{ STATUS, { "--format", "xml" }, .err = "status: invalid --format 'xml': expected table or json" },
	{ STATUS, { "--format=" }, .err = "status: invalid --format '': expected table or json" },
	{ STATUS, { "--format=JSON" }, .err = "status: invalid --format 'JSON': expected table or json" },
	{ STATUS, { "--pick", "d" }, .err = "status: invalid --pick 'd': expected a, b or c" },
	{ STATUS, { "--format" }, .err = "status: unexpected argument '--format': expected --format table|json or --exit-code" },
	{ STATUS, { "json" }, .err = "status: unexpected argument 'json': expected --format table|json or --exit-code" },
	/* goto: one positional; '-' and a second one are unexpected */
	{ GOTO, { "0001_a", "--dry-run" }, NULL, true, false, -1, NULL, NULL, "0001_a" },
	{ GOTO, { NULL }, NULL, false, false, -1, NULL, NULL, "" },
	{ GOTO, { "a", "b" }, .err = "goto: unexpected argument 'b': expected one migration ID and --dry-run" },
	{ GOTO, { "-" }, .err = "goto: unexpected argument '-': expected one migration ID and --dry-run" },
	/* new: options first; after the NAME or "--" every word is the NAME's */
	{ NEW, { "--pre", "add", "users" }, NULL, true, false, -1, NULL, NULL, "add|users" },
	{ NEW, { "add", "--post" }, NULL, false, false, -1, NULL, NULL, "add|--post" },
	{ NEW, { "--", "--post", "x" }, NULL, false, false, -1, NULL, NULL, "--post|x" },
	{ NEW, { "a", "--", "b" }, NULL, false, false, -1, NULL, NULL, "a|--|b" },
	{ NEW, { "--pre", "--post", "x" }, NULL, true, true, -1, NULL, NULL, "x" },
	{ NEW, { "-x", "name" }, .err = "new: unknown option '-x'" },
	{ NEW, { "-" }, .err = "new: unknown option '-'" },
	/* lint: paths anywhere, '-' is one, "--" ends the options */
	{ LINT, { "a.sql", "--format", "json", "-", "b" }, NULL, false, false, -1, NULL, "json", "a.sql|-|b" },
	{ LINT, { "--", "--format", "-x" }, NULL, false, false, -1, NULL, NULL, "--format|-x" },
	{ LINT, { "-x" }, .err = "lint: unexpected argument '-x': expected --format text|json and migration paths" },
	/* init: one word, whatever it looks like */
	{ INIT, { "-x" }, NULL, false, false, -1, NULL, NULL, "-x" },
	{ INIT, { "postgres", "more" }, .err = "init: unexpected argument 'more'" },
	/* no arguments at all */
	{ NOARGS, { NULL }, NULL, false, false, -1, NULL, NULL, "" },
	{ NOARGS, { "x" }, .err = "config: unexpected argument 'x'" },
	{ NOARGS, { "--x=1" }, .err = "config: unexpected argument '--x=1'" },
};
/* clang-format on */

static void test_opt_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const struct opt_case *c = &cases[i];
		struct flux_err err = FLUX_ERR_INIT;
		char *argv[MAX_ARGS + 2];
		const char *pos[MAX_ARGS + 1];
		struct sb joined = SB_INIT;
		int argc = 1, npos = -1, rc, k;

		argv[0] = (char *)specs[c->spec].cmd;
		for (k = 0; k < MAX_ARGS && c->argv[k]; k++)
			argv[argc++] = (char *)c->argv[k];
		argv[argc] = NULL;
		memset(&got, 0, sizeof(got));
		got.count = -7;
		rc = opt_parse(&specs[c->spec], argc, argv, pos, &npos, &err);
		if (c->err) {
			if (rc != -1 || err.code != FLUX_EXIT_USAGE || !err.msg ||
			    strcmp(err.msg, c->err))
				fail_msg("case %zu: rc %d, exit %d, message '%s', want '%s'",
					 i, rc, err.code, err.msg ? err.msg : "(none)",
					 c->err);
			err_release(&err);
			continue;
		}
		if (rc != 0)
			fail_msg("case %zu: failed: %s", i,
				 err.msg ? err.msg : "(no message)");
		for (k = 0; k < npos; k++)
			sb_addf(&joined, "%s%s", k ? "|" : "", pos[k]);
		if (got.dry_run != c->dry_run || got.all != c->all ||
		    (specs[c->spec].count && got.count != c->count) ||
		    (!c->to != !got.to) || (c->to && strcmp(c->to, got.to)) ||
		    (!c->format != !got.format) ||
		    (c->format && strcmp(c->format, got.format)) ||
		    strcmp(joined.buf, c->pos))
			fail_msg("case %zu: got dry_run %d all %d count %ld to '%s' format '%s' pos '%s'",
				 i, got.dry_run, got.all, got.count,
				 got.to ? got.to : "(null)",
				 got.format ? got.format : "(null)", joined.buf);
		sb_release(&joined);
		err_release(&err);
	}
}

static void test_parse_count(void **state)
{
	static const struct {
		const char *in;
		long want;
		/* clang-format off */
	} counts[] = {
		{ "0", 0 }, { "7", 7 }, { "0012", 12 }, { "", -1 }, { "-1", -1 }, { "+1", -1 },
		{ " 1", -1 }, { "1 ", -1 }, { "1x", -1 }, { "99999999999999999999", -1 },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	assert_int_equal(opt_parse_count(NULL), -1);
	for (i = 0; i < N(counts); i++)
		if (opt_parse_count(counts[i].in) != counts[i].want)
			fail_msg("opt_parse_count('%s') = %ld, want %ld", counts[i].in,
				 opt_parse_count(counts[i].in), counts[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_parse),
		cmocka_unit_test(test_parse_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
