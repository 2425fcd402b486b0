/*
 * Unit tests for src/lint.c and src/sqltok.c: the fixture set of dangerous
 * migrations and their safe rewrites (tests/lint/, each file's expected
 * rules and lines), edge cases inline (keywords hidden in comments,
 * strings and quoted names; names; suppression; options), the tokenizer,
 * and the rule-list parser. Run from the repository root (as
 * scripts/run-tests.sh does) or with FLUX_LINT_FIXTURES naming tests/lint.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "lint.h"
#include "mdir.h"
#include "sb.h"
#include "sqltok.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(r) (1u << (r))

/* "rule:line:col rule:line:col ..." of a result, in its order. */
static char *summary(const struct lint_result *r, bool cols)
{
	struct sb sb = SB_INIT;
	size_t i;

	for (i = 0; i < r->n; i++) {
		sb_addf(&sb, "%s%s:%d", i ? " " : "", lint_rules[r->findings[i].rule].id,
			r->findings[i].line);
		if (cols)
			sb_addf(&sb, ":%d", r->findings[i].col);
	}
	return sb_detach(&sb, NULL);
}

/* Lint a copy of text of exactly its length (no NUL), so ASan sees overreads. */
static int lint_exact(const char *text, const struct lint_options *opt,
		      struct lint_result *r, struct flux_err *err)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, text, len);
	rc = lint_sql(copy, len, opt, r, err);
	free(copy);
	return rc;
}

/* --- the fixtures ------------------------------------------------------------ */

struct fixture {
	const char *file; /* under tests/lint/ */
	const char *want; /* "rule:line ..." in order; "" for none */
};

/* clang-format off */
static const struct fixture fixtures[] = {
	/* dangerous */
	{ "dangerous/index-not-concurrent.sql",
	  "index-not-concurrent:2 index-not-concurrent:3 index-not-concurrent:4 "
	  "index-not-concurrent:5 index-not-concurrent:6" },
	{ "dangerous/concurrently-in-transaction.sql",
	  "concurrently-in-transaction:2 concurrently-in-transaction:3 "
	  "concurrently-in-transaction:4 concurrently-in-transaction:5" },
	{ "dangerous/constraint-not-valid.sql",
	  "constraint-not-valid:2 constraint-not-valid:3 constraint-not-valid:4 "
	  "constraint-not-valid:5" },
	{ "dangerous/constraint-validate-same-transaction.sql", "constraint-not-valid:3" },
	{ "dangerous/set-not-null.sql", "set-not-null:2 set-not-null:3" },
	{ "dangerous/column-type-change.sql", "column-type-change:2 column-type-change:3" },
	{ "dangerous/add-column-volatile-default.sql",
	  "add-column-volatile-default:2 add-column-volatile-default:3 "
	  "add-column-volatile-default:4 add-column-volatile-default:5 "
	  "add-column-volatile-default:6 add-column-volatile-default:7 "
	  "add-column-volatile-default:8" },
	{ "dangerous/add-column-required.sql", "add-column-required:2 add-column-required:5" },
	{ "dangerous/unique-builds-index.sql",
	  "unique-builds-index:2 unique-builds-index:3 unique-builds-index:4" },
	{ "dangerous/table-rewrite.sql", "table-rewrite:2 table-rewrite:3 table-rewrite:4" },
	{ "dangerous/transaction-control.sql",
	  "transaction-control:1 transaction-control:3 transaction-control:4 "
	  "transaction-control:5 transaction-control:6" },
	{ "dangerous/rename.sql", "rename:2 rename:3 rename:4" },
	{ "dangerous/drop-column-or-table.sql",
	  "drop-column-or-table:2 drop-column-or-table:3" },
	{ "dangerous/missing-lock-timeout.sql", "missing-lock-timeout:2" },
	{ "dangerous/missing-lock-timeout-zero.sql", "missing-lock-timeout:2" },
	{ "dangerous/missing-lock-timeout-local-no-transaction.sql", "missing-lock-timeout:3" },
	{ "dangerous/missing-lock-timeout-after.sql",
	  "drop-column-or-table:1 missing-lock-timeout:1" },
	{ "dangerous/quoted-names.sql", "index-not-concurrent:2" },
	/* their safe rewrites */
	{ "safe/index-concurrently.sql", "" },
	{ "safe/index-new-table.sql", "" },
	{ "safe/refresh-concurrently.sql", "" },
	{ "safe/constraint-not-valid.sql", "" },
	{ "safe/constraint-validate.sql", "" },
	{ "safe/constraint-validate-no-transaction.sql", "" },
	{ "safe/set-not-null-check.sql", "" },
	{ "safe/set-not-null-validate.sql", "" },
	{ "safe/column-new.sql", "" },
	{ "safe/add-column-constant-default.sql", "" },
	{ "safe/add-column-nullable.sql", "" },
	{ "safe/unique-using-index.sql", "" },
	{ "safe/vacuum.sql", "" },
	{ "safe/savepoints.sql", "" },
	{ "safe/transaction-control-no-transaction.sql", "" },
	{ "safe/rename-new-table.sql", "" },
	{ "safe/drop-new-table.sql", "" },
	{ "safe/lock-timeout.sql", "" },
	{ "safe/lock-timeout-set-config.sql", "" },
	{ "safe/same-file-creates-table.sql", "" },
	{ "safe/keywords-hidden.sql", "" },
};
/* clang-format on */

static const char *fixture_root(void)
{
	const char *root = getenv("FLUX_LINT_FIXTURES");

	return root && *root ? root : "tests/lint";
}

static void test_fixtures(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(fixtures); i++) {
		struct lint_options opt = { 0, false, false, false };
		struct lint_result r = LINT_RESULT_INIT;
		struct flux_err err = FLUX_ERR_INIT;
		struct sb path = SB_INIT, text = SB_INIT;
		char *got;

		sb_addf(&path, "%s/%s", fixture_root(), fixtures[i].file);
		if (sb_read_file(&text, path.buf, 1 << 20))
			fail_msg("cannot read fixture '%s' (run from the repository root)",
				 path.buf);
		opt.no_transaction = mdir_is_no_transaction(text.buf, text.len);
		if (lint_sql(text.buf, text.len, &opt, &r, &err))
			fail_msg("%s: %s", fixtures[i].file, err.msg);
		got = summary(&r, false);
		if (strcmp(got, fixtures[i].want))
			fail_msg("%s:\n  got  '%s'\n  want '%s'", fixtures[i].file, got,
				 fixtures[i].want);
		assert_int_equal(r.nnotes, 0);
		free(got);
		lint_result_release(&r);
		sb_release(&path);
		sb_release(&text);
	}
}

/* Every fixture file is in the table (a new one cannot go unchecked). */
static void test_fixtures_all_listed(void **state)
{
	static const char *const subdirs[] = { "dangerous", "safe" };
	size_t d, i, seen = 0;

	(void)state;
	for (d = 0; d < N(subdirs); d++) {
		struct sb dir = SB_INIT;
		struct dirent *e;
		DIR *dp;

		sb_addf(&dir, "%s/%s", fixture_root(), subdirs[d]);
		dp = opendir(dir.buf);
		if (!dp)
			fail_msg("cannot open '%s'", dir.buf);
		while ((e = readdir(dp))) {
			struct sb name = SB_INIT;
			bool found = false;

			if (e->d_name[0] == '.')
				continue;
			sb_addf(&name, "%s/%s", subdirs[d], e->d_name);
			for (i = 0; i < N(fixtures); i++)
				found |= !strcmp(fixtures[i].file, name.buf);
			if (!found)
				fail_msg("fixture '%s' is not in the table of test_lint.c",
					 name.buf);
			/* A dangerous fixture must find something, a safe one nothing. */
			for (i = 0; i < N(fixtures); i++)
				if (!strcmp(fixtures[i].file, name.buf))
					assert_true(!*fixtures[i].want == (d == 1));
			seen++;
			sb_release(&name);
		}
		closedir(dp);
		sb_release(&dir);
	}
	assert_int_equal(seen, N(fixtures));
}

/* Every rule has at least one dangerous fixture that finds it. */
static void test_fixtures_cover_rules(void **state)
{
	int r;
	size_t i;

	(void)state;
	for (r = 0; r < LINT_NRULES; r++) {
		bool found = false;

		for (i = 0; i < N(fixtures); i++)
			found |= strstr(fixtures[i].want, lint_rules[r].id) != NULL;
		if (!found)
			fail_msg("no fixture for rule '%s'", lint_rules[r].id);
	}
}

/* --- inline cases ------------------------------------------------------------ */

#define LT "set local lock_timeout = '5s';\n"

struct lint_case {
	const char *name;
	const char *in;
	unsigned ignore;
	bool undo, ddl_lock_timeout, no_transaction;
	const char *want;  /* "rule:line:col ..." */
	const char *notes; /* the notes joined by '|', or NULL for none */
};

/* clang-format off */
static const struct lint_case cases[] = {
	{ "empty", "", 0, false, false, false, "", NULL },
	{ "comments only", "-- create index i on t (a);\n/* vacuum full */", 0, false,
	  false, false, "", NULL },
	{ "case and white space do not matter",
	  "CrEaTe\n\tINDEX\n  i ON t(a)", 0, false, false, false,
	  "index-not-concurrent:1:1", NULL },
	{ "a quoted identifier is never a keyword",
	  "create \"index\" i on t (a);\n\"vacuum\" full t;\n\"commit\";", 0, false, false,
	  false, "", NULL },
	{ "keywords in strings and dollar quotes",
	  "select 'create index i on t (a)', $x$ vacuum full $x$, E'\\' commit;';", 0,
	  false, false, false, "", NULL },
	{ "the same table: quoted, qualified, bare",
	  "create table \"users\" (id int);\ncreate index on public.users (id);\n"
	  "create index on USERS (id);\ncreate index on \"Users\" (id);", 0, false, false,
	  false, "index-not-concurrent:4:1", NULL },
	{ "a different schema qualified on both sides differs",
	  "create table app.users (id int);\ncreate index on app.users (id);\n"
	  "create index on other.users (id);", 0, false, false, false,
	  "index-not-concurrent:3:1", NULL },
	{ "a table created later in the file is still existing before",
	  LT "alter table t add column a int not null;\ncreate table t (a int);\n"
	  "alter table t add column b int not null;", 0, false, false, false,
	  "add-column-required:2:15", NULL },
	{ "columns count characters, not bytes",
	  "select 'é€'; create index i on t (a);", 0, false, false, false,
	  "index-not-concurrent:1:14", NULL },
	{ "several actions, each found at its own place",
	  LT "alter table t\n  add column a serial,\n  alter column b type text,\n"
	  "  drop column c;", 0, false, false, false,
	  "add-column-volatile-default:3:3 column-type-change:4:3 drop-column-or-table:5:3",
	  NULL },
	{ "a comma inside parentheses does not split actions",
	  LT "alter table t add constraint c check (a in (1, 2)) not valid, "
	  "add column d numeric(10, 2);", 0, false, false, false, "", NULL },
	{ "NOT NULL inside a CHECK is not the column's",
	  LT "alter table t add column a int check (a is not null);", 0, false, false,
	  false, "", NULL },
	{ "a constant default with a NOT NULL is fine; a volatile one inside an expression is not",
	  LT "alter table t add column a int not null default 0;\n"
	  "alter table t add column b int default (1 + floor(random() * 5))::int;", 0,
	  false, false, false, "add-column-volatile-default:3:15", NULL },
	{ "an unknown function in a default is not judged",
	  LT "alter table t add column a uuid default my_uuid();", 0, false, false, false,
	  "", NULL },
	{ "a column named like a function is not a call",
	  LT "alter table t add column random int default 1;", 0, false, false, false, "",
	  NULL },
	{ "ALTER TABLE IF EXISTS ONLY name *",
	  LT "alter table if exists only t * alter column a set not null;", 0, false, false,
	  false, "set-not-null:2:32", NULL },
	{ "a statement ignore on the line before covers that statement only",
	  LT "-- flux:lint-ignore drop-column-or-table\nalter table t drop column a;\n"
	  "alter table t drop column b;", 0, false, false, false,
	  "drop-column-or-table:4:15", NULL },
	{ "an ignore list with spaces, and a statement over several lines",
	  LT "-- flux:lint-ignore   rename , drop-column-or-table\nalter table t\n"
	  " drop column a,\n rename column b to c;", 0, false, false, false, "", NULL },
	{ "an ignore two lines before does not count",
	  LT "-- flux:lint-ignore drop-column-or-table\n\nalter table t drop column a;", 0,
	  false, false, false, "drop-column-or-table:4:15", NULL },
	{ "a file ignore among the first comment lines covers every statement",
	  "-- Drops old things.\n-- flux:lint-ignore drop-column-or-table,missing-lock-timeout\n"
	  "\nalter table t drop column a;\ndrop table u;", 0, false, false, false, "", NULL },
	{ "a header ignore right before the first statement covers that one only",
	  "-- flux:lint-ignore drop-column-or-table\ndrop table u;\ndrop table v;",
	  BIT(LINT_MISSING_LOCK_TIMEOUT), false, false, false, "drop-column-or-table:3:1",
	  NULL },
	{ "an ignore in a block comment or a string is not one",
	  "/* -- flux:lint-ignore table-rewrite */\nselect '\n-- flux:lint-ignore table-rewrite';\n"
	  "vacuum full;", 0, false, false, false, "table-rewrite:4:1", NULL },
	{ "an unknown rule in an ignore is a note; the known ones still apply",
	  "-- flux:lint-ignore table-rewrite,tablerewrite\nvacuum full;", 0, false, false,
	  false, "", "unknown rule 'tablerewrite' in flux:lint-ignore at line 1 (ignored)" },
	{ "a reason may follow the list",
	  "-- flux:lint-ignore rename , table-rewrite  reviewed: runs at night, see #12\n"
	  "vacuum full;", 0, false, false, false, "", NULL },
	{ "a word not joined by a comma ends the list",
	  "-- flux:lint-ignore rename table-rewrite\nvacuum full;", 0, false, false, false,
	  "table-rewrite:2:1", NULL },
	{ "flux:lint-ignore with no rule does nothing",
	  "-- flux:lint-ignore\nvacuum full;", 0, false, false, false, "table-rewrite:2:1",
	  NULL },
	{ "flux:lint-ignored is not the directive",
	  "-- flux:lint-ignored table-rewrite\nvacuum full;", 0, false, false, false,
	  "table-rewrite:2:1", NULL },
	{ "the configured ignore mask",
	  "alter table t drop column a;", BIT(LINT_DROP_COLUMN_OR_TABLE), false, false, false,
	  "missing-lock-timeout:1:1", NULL },
	{ "a configured DDL lock timeout turns missing-lock-timeout off",
	  "alter table t add column a text;", 0, false, true, false, "", NULL },
	{ "RESET lock_timeout undoes the SET",
	  LT "reset lock_timeout;\nalter table t add column a text;", 0, false, false,
	  false, "missing-lock-timeout:3:1", NULL },
	{ "lock_timeout '0' is no timeout; '0.5s' is one",
	  "set lock_timeout = '0';\nalter table t add column a text;\n", 0, false, false,
	  false, "missing-lock-timeout:2:1", NULL },
	{ "lock_timeout '0.5s' is a timeout",
	  "set lock_timeout to '0.5s';\nalter table t add column a text;\n", 0, false, false,
	  false, "", NULL },
	{ "an undo may drop and rename what its up created",
	  LT "drop table t;\nalter table u drop column a, rename column b to c;", 0, true,
	  false, false, "", NULL },
	{ "an undo is still checked for locks",
	  "create index i on t (a);\ndrop table t;", 0, true, false, false,
	  "index-not-concurrent:1:1 missing-lock-timeout:2:1", NULL },
	{ "ROLLBACK TO SAVEPOINT and ROLLBACK WORK TO are not transaction control",
	  "savepoint a;\nrollback to a;\nrollback work to savepoint a;\nrollback;", 0, false,
	  false, false, "transaction-control:4:1", NULL },
	{ "BEGIN ATOMIC is a function body, not a transaction",
	  "create function f() returns int language sql\nbegin atomic\n select 1;\nend;\n"
	  "begin;", 0, false, false, false, "transaction-control:5:1", NULL },
	{ "transaction control in a no-transaction file is allowed",
	  "begin;\ncommit;", 0, false, false, true, "", NULL },
	{ "RENAME CONSTRAINT does not break running code",
	  LT "alter table t rename constraint a to b;", 0, false, false, false, "", NULL },
	{ "CREATE TABLE IF NOT EXISTS and temporary tables are created here",
	  "create temporary table if not exists s.t (a int);\ncreate unlogged table u (a int);\n"
	  "create index on s.t (a);\ncreate index on u (a);", 0, false, false, false, "",
	  NULL },
	{ "a materialized view created in the file may be indexed",
	  "create materialized view if not exists mv as select 1 as a;\n"
	  "create unique index on mv (a);\ncreate index on mv2 (a);", 0, false, false, false,
	  "index-not-concurrent:3:1", NULL },
	{ "UNIQUE NULLS NOT DISTINCT still builds an index",
	  LT "alter table t add constraint c unique nulls not distinct (a);", 0, false,
	  false, false, "unique-builds-index:2:15", NULL },
	{ "ADD EXCLUDE and DROP CONSTRAINT are not judged",
	  LT "alter table t add constraint c exclude using gist (a with &&), drop constraint d;",
	  0, false, false, false, "", NULL },
	{ "VACUUM (FULL off) and (FULL 0) are not FULL",
	  "vacuum (full off) t;\nvacuum (full 0, analyze) t;\nvacuum (verbose, full) t;", 0,
	  false, false, true, "table-rewrite:3:1", NULL },
	{ "DROP TABLE of several: the existing one counts",
	  LT "create table a (i int);\ndrop table a, public.b;", 0, false, false, false,
	  "drop-column-or-table:3:1", NULL },
	{ "DROP INDEX of an index created in the file",
	  "create index concurrently i on t (a);\ndrop index i;", 0, false, false, true, "",
	  NULL },
	{ "an unterminated string after the last statement is left to the splitter",
	  "select 1;", 0, false, false, false, "", NULL },
};
/* clang-format on */

static void test_cases(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const struct lint_case *c = &cases[i];
		struct lint_options opt = { c->ignore, c->no_transaction, c->undo,
					    c->ddl_lock_timeout };
		struct lint_result r = LINT_RESULT_INIT;
		struct flux_err err = FLUX_ERR_INIT;
		struct sb notes = SB_INIT;
		char *got;

		if (lint_exact(c->in, &opt, &r, &err))
			fail_msg("%s: %s", c->name, err.msg);
		got = summary(&r, true);
		if (strcmp(got, c->want))
			fail_msg("%s:\n  got  '%s'\n  want '%s'", c->name, got, c->want);
		for (k = 0; k < r.nnotes; k++)
			sb_addf(&notes, "%s%s", k ? "|" : "", r.notes[k]);
		if (strcmp(notes.buf, c->notes ? c->notes : ""))
			fail_msg("%s: notes '%s', want '%s'", c->name, notes.buf,
				 c->notes ? c->notes : "");
		for (k = 0; k < r.n; k++)
			assert_non_null(r.findings[k].message);
		free(got);
		sb_release(&notes);
		lint_result_release(&r);
	}
	lint_result_release(NULL);
}

/* A text the splitter rejects is exit 4; the result keeps what it had. */
static void test_unterminated(void **state)
{
	/* clang-format off */
	static const char *const bad[] = {
		"vacuum full;\nselect 'open", "select $a$ x", "/* open", "select \"open",
	};
	/* clang-format on */
	struct lint_options opt = { 0, false, false, false };
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		struct lint_result r = LINT_RESULT_INIT;
		struct flux_err err = FLUX_ERR_INIT;

		assert_int_equal(lint_exact(bad[i], &opt, &r, &err), -1);
		assert_int_equal(err.code, FLUX_EXIT_DIRECTORY);
		assert_non_null(strstr(err.msg, "unterminated"));
		assert_int_equal(r.n, 0);
		err_release(&err);
		lint_result_release(&r);
	}
}

/* Results accumulate over files; errors are counted by severity. */
static void test_accumulate_and_count(void **state)
{
	struct lint_options opt = { 0, false, false, false };
	struct lint_result r = LINT_RESULT_INIT;
	struct flux_err err = FLUX_ERR_INIT;

	(void)state;
	assert_int_equal(lint_exact("alter table t drop column a;", &opt, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(lint_count_errors(&r), 0);
	assert_int_equal(lint_exact("vacuum full;", &opt, &r, &err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(lint_count_errors(&r), 1);
	lint_result_release(&r);
	assert_int_equal(r.n, 0);
}

/* --- the rule table and lists ---------------------------------------------------- */

static void test_rules(void **state)
{
	/* clang-format off */
	static const char *const ids[LINT_NRULES] = {
		"index-not-concurrent", "concurrently-in-transaction", "constraint-not-valid",
		"set-not-null", "column-type-change", "add-column-volatile-default",
		"add-column-required", "unique-builds-index", "table-rewrite",
		"transaction-control", "rename", "drop-column-or-table", "missing-lock-timeout",
	};
	/* clang-format on */
	int i;

	(void)state;
	for (i = 0; i < LINT_NRULES; i++) {
		assert_string_equal(lint_rules[i].id, ids[i]);
		assert_non_null(lint_rules[i].hint);
		assert_int_equal(lint_rule_find(ids[i], strlen(ids[i])), i);
		assert_int_equal(lint_rules[i].severity,
				 i == LINT_RENAME || i == LINT_DROP_COLUMN_OR_TABLE ||
						 i == LINT_MISSING_LOCK_TIMEOUT ?
					 LINT_WARNING :
					 LINT_ERROR);
	}
	assert_int_equal(lint_rule_find("rename", 5), -1);
	assert_int_equal(lint_rule_find("RENAME", 6), -1);
	assert_string_equal(lint_severity_name(LINT_ERROR), "error");
	assert_string_equal(lint_severity_name(LINT_WARNING), "warning");
}

static void test_rule_list(void **state)
{
	static const struct {
		const char *in;
		int rc;
		unsigned mask;
		const char *bad;
		/* clang-format off */
	} cases_l[] = {
		{ "", 0, 0, NULL },
		{ " , ,", 0, 0, NULL },
		{ "rename", 0, BIT(LINT_RENAME), NULL },
		{ "rename,table-rewrite", 0, BIT(LINT_RENAME) | BIT(LINT_TABLE_REWRITE), NULL },
		{ " rename ,\ttable-rewrite ,", 0, BIT(LINT_RENAME) | BIT(LINT_TABLE_REWRITE), NULL },
		{ "rename,nope", -1, 0, "nope" },
		{ "rename table-rewrite", -1, 0, "rename table-rewrite" },
		{ "Rename", -1, 0, "Rename" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases_l); i++) {
		const char *bad = NULL;
		size_t bad_len = 0;
		unsigned mask = 12345;
		int rc = lint_parse_rule_list(cases_l[i].in, &mask, &bad, &bad_len);

		if (rc != cases_l[i].rc)
			fail_msg("'%s': rc %d", cases_l[i].in, rc);
		if (rc == 0) {
			assert_int_equal(mask, cases_l[i].mask);
		} else {
			assert_int_equal(bad_len, strlen(cases_l[i].bad));
			assert_memory_equal(bad, cases_l[i].bad, bad_len);
		}
	}
}

/* --- the tokenizer -------------------------------------------------------------- */

static void test_tokens(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* kind letter and val, space-separated */
				  /* clang-format off */
	} tcases[] = {
		{ "", "" },
		{ "Select A_b1", "w:select w:a_b1" },
		{ "\"Mixed \"\"Q\"\"\" x", "q:Mixed \"Q\" w:x" },
		{ "'it''s' E'a\\'b' e", "s:it's s:a\\'b w:e" },
		{ "$$ a $ b $$ $t$x$$y$t$ $1", "s: a $ b  s:x$$y p:$1" },
		{ "-- c\n/* a /* b */ c */ x", "c:-- c c:/* a /* b */ c */ w:x" },
		{ "1.5e-3 .5 10::int", "n:1.5e-3 n:.5 n:10 .:: .:: w:int" },
		{ "a.b(c,d);", "w:a .:. w:b .:( w:c .:, w:d .:) .:;" },
		{ "x$y", "w:x$y" },
		{ "'open", "s:open" },
		{ "\"open", "q:open" },
		{ "$q$ open", "s: open" },
		{ "/* open", "c:/* open" },
		{ "E'open\\'", "s:open\\" },
		{ "Ä é", "w:Ä w:é" },
	};
	/* clang-format on */
	size_t i, k;

	(void)state;
	for (i = 0; i < N(tcases); i++) {
		struct sqltok_list l = SQLTOK_LIST_INIT;
		struct sb got = SB_INIT;
		size_t len = strlen(tcases[i].in);
		char *copy = malloc(len ? len : 1);

		memcpy(copy, tcases[i].in, len);
		sqltok_scan(copy, len, &l);
		for (k = 0; k < l.n; k++) {
			static const char letters[] = "wqsnp.c";

			sb_addf(&got, "%s%c:%s", k ? " " : "", letters[l.toks[k].kind],
				l.toks[k].val);
		}
		if (strcmp(got.buf, tcases[i].want))
			fail_msg("'%s':\n  got  '%s'\n  want '%s'", tcases[i].in, got.buf,
				 tcases[i].want);
		sb_release(&got);
		sqltok_list_release(&l);
		free(copy);
	}
	sqltok_list_release(NULL);
}

static void test_token_positions(void **state)
{
	static const char text[] = "a\n  'x\ny' é\tb\n\n-- c\nd";
	static const int want[][2] = { { 1, 1 }, { 2, 3 }, { 3, 4 },
				       { 3, 6 }, { 5, 1 }, { 6, 1 } };
	struct sqltok_list l = SQLTOK_LIST_INIT;
	size_t k;

	(void)state;
	sqltok_scan(text, strlen(text), &l);
	assert_int_equal(l.n, N(want));
	for (k = 0; k < l.n; k++) {
		if (l.toks[k].line != want[k][0] || l.toks[k].col != want[k][1])
			fail_msg("token %zu '%s' at %d:%d, want %d:%d", k, l.toks[k].val,
				 l.toks[k].line, l.toks[k].col, want[k][0], want[k][1]);
	}
	sqltok_list_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_all_listed),
		cmocka_unit_test(test_fixtures_cover_rules),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_accumulate_and_count),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rule_list),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_token_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
