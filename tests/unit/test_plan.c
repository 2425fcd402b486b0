/*
 * Unit tests for src/plan.c: merge of directory and history rows, states
 * and counters, validation messages, apply list, rollback list, and the
 * steps of apply --to, goto and redo.
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

#include "err.h"
#include "mdir.h"
#include "plan.h"
#include "sb.h"
#include "xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXN 8

/* MD5 of two reference files (SPEC section 1) and of the empty text. */
#define H1 "1ddd0147bd77f7dd8d9c064584a2559d"
#define H2 "2494e84a32039ba7fff00496da758df4"
#define HE "d41d8cd98f00b204e9800998ecf8427e"

/* A migration file of the test directory; the list ends at id NULL. */
struct mspec {
	const char *id;
	enum mdir_kind kind;
	const char *hash; /* NULL: H1 for .sql, "" for .py */
	bool undo;
};

/* A history row; the list ends at id NULL. hash NULL means H1. */
struct rspec {
	const char *id;
	const char *hash;
};

/* clang-format off */
#define SQL(i) { (i), MDIR_SQL, NULL, true }
#define SQLH(i, h) { (i), MDIR_SQL, (h), true }
#define SQLNOUNDO(i) { (i), MDIR_SQL, NULL, false }
#define PY(i) { (i), MDIR_PY, NULL, false }
#define ROW(i) { (i), NULL }
#define ROWH(i, h) { (i), (h) }
/* clang-format on */

struct fixture {
	struct mdir dir;
	struct plan_row *rows;
	size_t nrows;
	struct plan plan;
};

static void fixture_init(struct fixture *f, const struct mspec *migs,
			 const struct rspec *rows)
{
	size_t n, i;

	memset(f, 0, sizeof(*f));
	for (n = 0; migs[n].id; n++)
		;
	f->dir.nmigrations = n;
	f->dir.migrations = n ? xcalloc(n, sizeof(*f->dir.migrations)) : NULL;
	for (i = 0; i < n; i++) {
		struct mdir_migration *m = &f->dir.migrations[i];
		const char *ext = migs[i].kind == MDIR_PY ? "py" : "sql";
		struct sb sb = SB_INIT;

		m->id = xstrdup(migs[i].id);
		m->kind = migs[i].kind;
		sb_addf(&sb, "migrations/%s.%s", migs[i].id, ext);
		m->path = sb_detach(&sb, NULL);
		if (migs[i].hash)
			snprintf(m->hash, sizeof(m->hash), "%s", migs[i].hash);
		else if (migs[i].kind == MDIR_SQL)
			snprintf(m->hash, sizeof(m->hash), "%s", H1);
		if (migs[i].undo) {
			sb_addf(&sb, "migrations/%s.undo.sql", migs[i].id);
			m->undo_path = sb_detach(&sb, NULL);
		}
	}

	for (n = 0; rows[n].id; n++)
		;
	f->nrows = n;
	f->rows = n ? xcalloc(n, sizeof(*f->rows)) : NULL;
	for (i = 0; i < n; i++) {
		f->rows[i].id = xstrdup(rows[i].id);
		f->rows[i].hash = xstrdup(rows[i].hash ? rows[i].hash : H1);
		f->rows[i].applied_at = xstrdup("2024-01-02 03:04:05.123456");
	}
	plan_build(&f->plan, &f->dir, f->rows, f->nrows);
}

static void fixture_release(struct fixture *f)
{
	size_t i;

	plan_release(&f->plan);
	assert_null(f->plan.entries);
	assert_int_equal(f->plan.nentries, 0);
	plan_rows_free(f->rows, f->nrows);
	for (i = 0; i < f->dir.nmigrations; i++) {
		free(f->dir.migrations[i].id);
		free(f->dir.migrations[i].path);
		free(f->dir.migrations[i].undo_path);
	}
	free(f->dir.migrations);
}

static void assert_fragments(const char *name, const char *msg, const char *const *frags)
{
	size_t i;

	if (!msg)
		fail_msg("%s: no message", name);
	for (i = 0; i < MAXN && frags[i]; i++) {
		if (!strstr(msg, frags[i]))
			fail_msg("%s: message lacks '%s':\n%s", name, frags[i], msg);
	}
}

/* --- plan_build and plan_validate ---------------------------------------- */

struct want_entry {
	const char *id;
	enum plan_state state;
};

struct build_case {
	const char *name;
	struct mspec migs[MAXN];
	struct rspec rows[MAXN];
	struct want_entry want[MAXN]; /* ends at id NULL */
	size_t napplied, npending, nproblems, nunverifiable;
	int code; /* of plan_validate */
	const char *frags[MAXN];
};

/* clang-format off */
static const struct build_case build_cases[] = {
	{ "empty directory, no rows", { { NULL } }, { { NULL } }, { { NULL } },
	  0, 0, 0, 0, 0, { NULL } },
	{ "all pending",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { { NULL } },
	  { { "0001_a", PLAN_PENDING }, { "0002_b", PLAN_PENDING },
	    { "0003_c", PLAN_PENDING }, { NULL } },
	  0, 3, 0, 0, 0, { NULL } },
	{ "all applied",
	  { SQL("0001_a"), SQLH("0002_b", H2), { NULL } },
	  { ROW("0001_a"), ROWH("0002_b", H2), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_APPLIED }, { NULL } },
	  2, 0, 0, 0, 0, { NULL } },
	{ "partially applied",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), SQL("0004_d"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_APPLIED },
	    { "0003_c", PLAN_PENDING }, { "0004_d", PLAN_PENDING }, { NULL } },
	  2, 2, 0, 0, 0, { NULL } },
	{ "modified",
	  { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { ROWH("0001_a", H2), ROW("0002_b"), { NULL } },
	  { { "0001_a", PLAN_MODIFIED }, { "0002_b", PLAN_APPLIED }, { NULL } },
	  2, 0, 1, 0, FLUX_EXIT_CORRUPT,
	  { "migration history does not match the migration directory: 1 problem\n",
	    "0001_a", "modified", H1, H2, NULL } },
	{ "empty migration recorded with the empty hash",
	  { SQLH("0001_a", HE), { NULL } },
	  { ROWH("0001_a", HE), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { NULL } },
	  1, 0, 0, 0, 0, { NULL } },
	{ "missing latest",
	  { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), ROW("0003_c"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_APPLIED },
	    { "0003_c", PLAN_MISSING }, { NULL } },
	  3, 0, 1, 0, FLUX_EXIT_CORRUPT,
	  { "0003_c: missing", NULL } },
	{ "missing middle, later ones pending",
	  { SQL("0001_a"), SQL("0003_c"), SQL("0004_d"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), ROW("0003_c"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_MISSING },
	    { "0003_c", PLAN_APPLIED }, { "0004_d", PLAN_PENDING }, { NULL } },
	  3, 1, 1, 0, FLUX_EXIT_CORRUPT,
	  { "0002_b: missing", NULL } },
	{ "inserted before the last applied",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), SQL("0005_e"), { NULL } },
	  { ROW("0001_a"), ROW("0003_c"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_OUT_OF_ORDER },
	    { "0003_c", PLAN_APPLIED }, { "0005_e", PLAN_PENDING }, { NULL } },
	  2, 1, 1, 0, FLUX_EXIT_CORRUPT,
	  { "0002_b: inserted", "last applied migration 0003_c", NULL } },
	{ "inserted first while the last applied is missing",
	  { SQL("0001_a"), { NULL } },
	  { ROW("0002_b"), { NULL } },
	  { { "0001_a", PLAN_OUT_OF_ORDER }, { "0002_b", PLAN_MISSING }, { NULL } },
	  1, 0, 2, 0, FLUX_EXIT_CORRUPT,
	  { "2 problems\n", "0001_a: inserted", "migration 0002_b",
	    "0002_b: missing", NULL } },
	{ "several problems in one message",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0004_d"), SQL("0005_e"), SQL("0006_f"),
	    { NULL } },
	  { ROWH("0001_a", H2), ROW("0003_c"), ROW("0005_e"), { NULL } },
	  { { "0001_a", PLAN_MODIFIED }, { "0002_b", PLAN_OUT_OF_ORDER },
	    { "0003_c", PLAN_MISSING }, { "0004_d", PLAN_OUT_OF_ORDER },
	    { "0005_e", PLAN_APPLIED }, { "0006_f", PLAN_PENDING }, { NULL } },
	  3, 1, 4, 0, FLUX_EXIT_CORRUPT,
	  { "migration history does not match the migration directory: 4 problems\n",
	    "\n  0001_a: modified: file hash " H1 " != applied hash " H2,
	    "\n  0002_b: inserted", "\n  0003_c: missing",
	    "\n  0004_d: inserted", "migration 0005_e", NULL } },
	{ "applied .py is unverifiable and valid",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROWH("0002_py", "0123456789abcdef0123456789abcdef"),
	    { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_py", PLAN_UNVERIFIABLE },
	    { "0003_c", PLAN_PENDING }, { NULL } },
	  2, 1, 0, 1, 0, { NULL } },
	{ "pending .py is pending",
	  { SQL("0001_a"), PY("0002_py"), { NULL } },
	  { ROW("0001_a"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_py", PLAN_PENDING }, { NULL } },
	  1, 1, 0, 0, 0, { NULL } },
	{ "unsorted rows",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), SQL("0004_d"), { NULL } },
	  { ROW("0003_c"), ROW("0001_a"), ROW("0002_b"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_APPLIED },
	    { "0003_c", PLAN_APPLIED }, { "0004_d", PLAN_PENDING }, { NULL } },
	  3, 1, 0, 0, 0, { NULL } },
	{ "unsorted rows with a problem",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0003_c"), ROW("0001_a"), { NULL } },
	  { { "0001_a", PLAN_APPLIED }, { "0002_b", PLAN_OUT_OF_ORDER },
	    { "0003_c", PLAN_APPLIED }, { NULL } },
	  2, 0, 1, 0, FLUX_EXIT_CORRUPT,
	  { "0002_b: inserted", "migration 0003_c", NULL } },
	{ "ids are compared by bytes: 0010 < 009",
	  { SQL("0010"), SQL("009"), { NULL } },
	  { ROW("009"), { NULL } },
	  { { "0010", PLAN_OUT_OF_ORDER }, { "009", PLAN_APPLIED }, { NULL } },
	  1, 0, 1, 0, FLUX_EXIT_CORRUPT, { "0010: inserted", NULL } },
	{ "ids are compared by bytes: B < a",
	  { SQL("B"), SQL("a"), { NULL } },
	  { ROW("B"), { NULL } },
	  { { "B", PLAN_APPLIED }, { "a", PLAN_PENDING }, { NULL } },
	  1, 1, 0, 0, 0, { NULL } },
	{ "ids are compared by bytes: a is not before B",
	  { SQL("B"), SQL("a"), { NULL } },
	  { ROW("a"), { NULL } },
	  { { "B", PLAN_OUT_OF_ORDER }, { "a", PLAN_APPLIED }, { NULL } },
	  1, 0, 1, 0, FLUX_EXIT_CORRUPT, { "B: inserted", NULL } },
	{ "ids are compared as unsigned bytes: z < \\xc3\\xa9",
	  { SQL("z"), SQL("\xc3\xa9t\xc3\xa9"), { NULL } },
	  { ROW("z"), { NULL } },
	  { { "z", PLAN_APPLIED }, { "\xc3\xa9t\xc3\xa9", PLAN_PENDING }, { NULL } },
	  1, 1, 0, 0, 0, { NULL } },
	{ "rows without any file",
	  { { NULL } },
	  { ROW("0002_b"), ROW("0001_a"), { NULL } },
	  { { "0001_a", PLAN_MISSING }, { "0002_b", PLAN_MISSING }, { NULL } },
	  2, 0, 2, 0, FLUX_EXIT_CORRUPT,
	  { "0001_a: missing", "0002_b: missing", NULL } },
};
/* clang-format on */

static void check_build_case(const struct build_case *c)
{
	struct fixture f;
	struct flux_err err = FLUX_ERR_INIT;
	size_t nwant, i;
	int rc;

	fixture_init(&f, c->migs, c->rows);
	for (nwant = 0; c->want[nwant].id; nwant++)
		;
	if (f.plan.nentries != nwant)
		fail_msg("%s: %zu entries, want %zu", c->name, f.plan.nentries, nwant);
	for (i = 0; i < nwant; i++) {
		const struct plan_entry *e = &f.plan.entries[i];

		if (strcmp(e->id, c->want[i].id) != 0 || e->state != c->want[i].state)
			fail_msg("%s: entry %zu is %s %s, want %s %s", c->name, i, e->id,
				 plan_state_name(e->state), c->want[i].id,
				 plan_state_name(c->want[i].state));
		/* mig and row are set exactly when the state says so */
		if ((e->mig == NULL) != (e->state == PLAN_MISSING))
			fail_msg("%s: entry %s: mig pointer wrong", c->name, e->id);
		if ((e->row == NULL) !=
		    (e->state == PLAN_PENDING || e->state == PLAN_OUT_OF_ORDER))
			fail_msg("%s: entry %s: row pointer wrong", c->name, e->id);
		if (e->mig && strcmp(e->mig->id, e->id) != 0)
			fail_msg("%s: entry %s: mig is %s", c->name, e->id, e->mig->id);
		if (e->row && strcmp(e->row->id, e->id) != 0)
			fail_msg("%s: entry %s: row is %s", c->name, e->id, e->row->id);
	}
	if (f.plan.napplied != c->napplied || f.plan.npending != c->npending ||
	    f.plan.nproblems != c->nproblems || f.plan.nunverifiable != c->nunverifiable)
		fail_msg("%s: counters applied %zu pending %zu problems %zu unverifiable %zu, want %zu %zu %zu %zu",
			 c->name, f.plan.napplied, f.plan.npending, f.plan.nproblems,
			 f.plan.nunverifiable, c->napplied, c->npending, c->nproblems,
			 c->nunverifiable);

	rc = plan_validate(&f.plan, &err);
	if (c->code == 0) {
		if (rc != 0 || err.msg)
			fail_msg("%s: validate failed: %s", c->name, err.msg);
	} else {
		if (rc != -1 || (int)err.code != c->code)
			fail_msg("%s: validate rc %d code %d, want code %d", c->name, rc,
				 (int)err.code, c->code);
		assert_fragments(c->name, err.msg, c->frags);
		/* the first line, then exactly one line per problem */
		{
			size_t lines = 0;
			const char *p;

			for (p = err.msg; *p; p++)
				lines += *p == '\n';
			if (lines != c->nproblems)
				fail_msg("%s: %zu problem lines, want %zu:\n%s", c->name,
					 lines, c->nproblems, err.msg);
		}
	}
	err_release(&err);
	fixture_release(&f);
}

static void test_build_and_validate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(build_cases); i++)
		check_build_case(&build_cases[i]);
}

/* --- plan_apply_list ----------------------------------------------------- */

struct list_case {
	const char *name;
	struct mspec migs[MAXN];
	struct rspec rows[MAXN];
	enum plan_rollback_mode mode; /* rollback cases only */
	size_t limit;                 /* apply limit or rollback count */
	const char *to_id;
	int code;               /* 0: success */
	const char *want[MAXN]; /* ids of the list, ends at NULL */
	const char *frags[MAXN];
};

#define FOUR_THREE_APPLIED                                                  \
	{ SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), SQL("0004_d"),       \
	  SQL("0005_e"), SQL("0006_f"), SQL("0007_g"), { NULL } },          \
	{                                                                   \
		ROW("0001_a"), ROW("0002_b"), ROW("0003_c"), ROW("0004_d"), \
		{                                                           \
			NULL                                                \
		}                                                           \
	}

/* clang-format off */
static const struct list_case apply_cases[] = {
	{ "nothing in the directory", { { NULL } }, { { NULL } }, 0, 0, NULL, 0,
	  { NULL }, { NULL } },
	{ "nothing pending",
	  { SQL("0001_a"), { NULL } }, { ROW("0001_a"), { NULL } }, 0, 0, NULL, 0,
	  { NULL }, { NULL } },
	{ "nothing pending, limit", { SQL("0001_a"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 2, NULL, 0, { NULL }, { NULL } },
	{ "all pending, no limit", FOUR_THREE_APPLIED, 0, 0, NULL, 0,
	  { "0005_e", "0006_f", "0007_g", NULL }, { NULL } },
	{ "limit below pending", FOUR_THREE_APPLIED, 0, 2, NULL, 0,
	  { "0005_e", "0006_f", NULL }, { NULL } },
	{ "limit 1", FOUR_THREE_APPLIED, 0, 1, NULL, 0,
	  { "0005_e", NULL }, { NULL } },
	{ "limit equal to pending", FOUR_THREE_APPLIED, 0, 3, NULL, 0,
	  { "0005_e", "0006_f", "0007_g", NULL }, { NULL } },
	{ "limit above pending", FOUR_THREE_APPLIED, 0, 10, NULL, 0,
	  { "0005_e", "0006_f", "0007_g", NULL }, { NULL } },
	{ "fresh database", { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { { NULL } }, 0, 0, NULL, 0, { "0001_a", "0002_b", NULL }, { NULL } },
	{ "pending .py",
	  { SQL("0001_a"), SQL("0002_b"), PY("0003_x"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 0, NULL, FLUX_EXIT_DIRECTORY, { NULL },
	  { "'migrations/0003_x.py'", "Python migration", "flux-migrations",
	    "convert it to .sql", NULL } },
	{ "pending .py beyond the limit is not run",
	  { SQL("0001_a"), SQL("0002_b"), PY("0003_x"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 1, NULL, 0, { "0002_b", NULL },
	  { NULL } },
	{ "pending .py within the limit",
	  { SQL("0001_a"), SQL("0002_b"), PY("0003_x"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 2, NULL, FLUX_EXIT_DIRECTORY, { NULL },
	  { "'migrations/0003_x.py'", NULL } },
	{ "applied .py does not stop apply",
	  { PY("0001_py"), SQL("0002_b"), { NULL } },
	  { ROW("0001_py"), { NULL } }, 0, 0, NULL, 0, { "0002_b", NULL },
	  { NULL } },
	{ "out-of-order is never applied (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), SQL("0004_d"), { NULL } },
	  { ROW("0001_a"), ROW("0003_c"), { NULL } }, 0, 0, NULL, 0,
	  { "0004_d", NULL }, { NULL } },
	{ "pending after unsorted rows",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0002_b"), ROW("0001_a"), { NULL } }, 0, 0, NULL, 0,
	  { "0003_c", NULL }, { NULL } },
};
/* clang-format on */

static void check_list(const struct list_case *c, int rc,
		       const struct mdir_migration **out, size_t n,
		       const struct flux_err *err)
{
	size_t nwant, i;

	if (c->code == 0) {
		if (rc != 0)
			fail_msg("%s: failed: %s", c->name, err->msg);
		for (nwant = 0; c->want[nwant]; nwant++)
			;
		if (n != nwant)
			fail_msg("%s: %zu in the list, want %zu", c->name, n, nwant);
		if (!n && out)
			fail_msg("%s: empty list is not NULL", c->name);
		for (i = 0; i < n; i++) {
			if (strcmp(out[i]->id, c->want[i]) != 0)
				fail_msg("%s: list[%zu] is %s, want %s", c->name, i,
					 out[i]->id, c->want[i]);
		}
	} else {
		if (rc != -1 || (int)err->code != c->code)
			fail_msg("%s: rc %d code %d, want code %d", c->name, rc,
				 (int)err->code, c->code);
		if (out || n)
			fail_msg("%s: a list was returned with an error", c->name);
		assert_fragments(c->name, err->msg, c->frags);
	}
}

static void test_apply_list(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(apply_cases); i++) {
		const struct list_case *c = &apply_cases[i];
		const struct mdir_migration **out = NULL;
		struct flux_err err = FLUX_ERR_INIT;
		struct fixture f;
		size_t n = 99;
		int rc;

		fixture_init(&f, c->migs, c->rows);
		rc = plan_apply_list(&f.plan, c->limit, &out, &n, &err);
		check_list(c, rc, out, n, &err);
		free(out);
		err_release(&err);
		fixture_release(&f);
	}
}

/* --- plan_rollback_list -------------------------------------------------- */

#define FOUR_APPLIED                                                        \
	{ SQL("0001_a"), SQL("0002_b"), SQLNOUNDO("0003_c"),                \
	  SQL("0004_d"), SQL("0005_e"), { NULL } },                         \
	{                                                                   \
		ROW("0001_a"), ROW("0002_b"), ROW("0003_c"), ROW("0004_d"), \
		{                                                           \
			NULL                                                \
		}                                                           \
	}

/* clang-format off */
static const struct list_case rollback_cases[] = {
	{ "count 1", FOUR_APPLIED, PLAN_RB_COUNT, 1, NULL, 0,
	  { "0004_d", NULL }, { NULL } },
	{ "count 2", FOUR_APPLIED, PLAN_RB_COUNT, 2, NULL, 0,
	  { "0004_d", "0003_c", NULL }, { NULL } },
	{ "count equal to applied", FOUR_APPLIED, PLAN_RB_COUNT, 4, NULL, 0,
	  { "0004_d", "0003_c", "0002_b", "0001_a", NULL }, { NULL } },
	{ "count above applied", FOUR_APPLIED, PLAN_RB_COUNT, 100, NULL, 0,
	  { "0004_d", "0003_c", "0002_b", "0001_a", NULL }, { NULL } },
	{ "count 0", FOUR_APPLIED, PLAN_RB_COUNT, 0, NULL, 0, { NULL },
	  { NULL } },
	{ "count on a fresh database", { SQL("0001_a"), { NULL } }, { { NULL } },
	  PLAN_RB_COUNT, 3, NULL, 0, { NULL }, { NULL } },
	{ "to the last", FOUR_APPLIED, PLAN_RB_TO, 0, "0004_d", 0,
	  { "0004_d", NULL }, { NULL } },
	{ "to the middle", FOUR_APPLIED, PLAN_RB_TO, 0, "0002_b", 0,
	  { "0004_d", "0003_c", "0002_b", NULL }, { NULL } },
	{ "to the first", FOUR_APPLIED, PLAN_RB_TO, 0, "0001_a", 0,
	  { "0004_d", "0003_c", "0002_b", "0001_a", NULL }, { NULL } },
	{ "to an unknown id", FOUR_APPLIED, PLAN_RB_TO, 0, "0009_x",
	  FLUX_EXIT_USAGE, { NULL },
	  { "cannot roll back to '0009_x': it is not an applied migration",
	    NULL } },
	{ "to a pending id", FOUR_APPLIED, PLAN_RB_TO, 0, "0005_e",
	  FLUX_EXIT_USAGE, { NULL }, { "'0005_e'", "not an applied", NULL } },
	{ "to a prefix of an id", FOUR_APPLIED, PLAN_RB_TO, 0, "0002",
	  FLUX_EXIT_USAGE, { NULL }, { "'0002'", NULL } },
	{ "to without an id", FOUR_APPLIED, PLAN_RB_TO, 0, NULL,
	  FLUX_EXIT_USAGE, { NULL }, { "not an applied migration", NULL } },
	{ "all", FOUR_APPLIED, PLAN_RB_ALL, 0, NULL, 0,
	  { "0004_d", "0003_c", "0002_b", "0001_a", NULL }, { NULL } },
	{ "all on a fresh database", { SQL("0001_a"), { NULL } }, { { NULL } },
	  PLAN_RB_ALL, 0, NULL, 0, { NULL }, { NULL } },
	{ "newest first with unsorted rows",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0002_b"), ROW("0003_c"), ROW("0001_a"), { NULL } },
	  PLAN_RB_ALL, 0, NULL, 0, { "0003_c", "0002_b", "0001_a", NULL },
	  { NULL } },
	{ "newest first by bytes",
	  { SQL("0010"), SQL("009"), SQL("B"), SQL("a"), { NULL } },
	  { ROW("a"), ROW("0010"), ROW("B"), ROW("009"), { NULL } },
	  PLAN_RB_COUNT, 3, NULL, 0, { "a", "B", "009", NULL }, { NULL } },
	{ "a .py among them",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), ROW("0003_c"), { NULL } },
	  PLAN_RB_COUNT, 2, NULL, FLUX_EXIT_DIRECTORY, { NULL },
	  { "'migrations/0002_py.py'", "Python migration", "flux-migrations",
	    NULL } },
	{ "a .py among them, to",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), ROW("0003_c"), { NULL } },
	  PLAN_RB_TO, 0, "0001_a", FLUX_EXIT_DIRECTORY, { NULL },
	  { "'migrations/0002_py.py'", NULL } },
	{ "a .py among them, all",
	  { PY("0001_py"), SQL("0002_b"), { NULL } },
	  { ROW("0001_py"), ROW("0002_b"), { NULL } },
	  PLAN_RB_ALL, 0, NULL, FLUX_EXIT_DIRECTORY, { NULL },
	  { "'migrations/0001_py.py'", NULL } },
	{ "a .py older than the range is not touched",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), ROW("0003_c"), { NULL } },
	  PLAN_RB_COUNT, 1, NULL, 0, { "0003_c", NULL }, { NULL } },
	{ "a pending .py is not rolled back",
	  { SQL("0001_a"), PY("0002_py"), { NULL } },
	  { ROW("0001_a"), { NULL } },
	  PLAN_RB_ALL, 0, NULL, 0, { "0001_a", NULL }, { NULL } },
	{ "missing reached (invalid plan)",
	  { SQL("0001_a"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  PLAN_RB_COUNT, 1, NULL, FLUX_EXIT_CORRUPT, { NULL },
	  { "0002_b", "missing", NULL } },
	{ "modified reached (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { ROW("0001_a"), ROWH("0002_b", H2), { NULL } },
	  PLAN_RB_ALL, 0, NULL, FLUX_EXIT_CORRUPT, { NULL },
	  { "0002_b", "modified", NULL } },
	{ "out-of-order is not rolled back (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0003_c"), { NULL } },
	  PLAN_RB_COUNT, 2, NULL, 0, { "0003_c", "0001_a", NULL }, { NULL } },
};
/* clang-format on */

static void test_rollback_list(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(rollback_cases); i++) {
		const struct list_case *c = &rollback_cases[i];
		const struct mdir_migration **out = NULL;
		struct flux_err err = FLUX_ERR_INIT;
		struct fixture f;
		size_t n = 99;
		int rc;

		fixture_init(&f, c->migs, c->rows);
		rc = plan_rollback_list(&f.plan, c->mode, c->limit, c->to_id, &out, &n,
					&err);
		check_list(c, rc, out, n, &err);
		free(out);
		err_release(&err);
		fixture_release(&f);
	}
}

/* --- plan_apply_to_list (apply --to) ------------------------------------- */

/* clang-format off */
static const struct list_case apply_to_cases[] = {
	{ "to the first pending", FOUR_THREE_APPLIED, 0, 0, "0005_e", 0,
	  { "0005_e", NULL }, { NULL } },
	{ "to the middle of the pending", FOUR_THREE_APPLIED, 0, 0, "0006_f", 0,
	  { "0005_e", "0006_f", NULL }, { NULL } },
	{ "to the last pending", FOUR_THREE_APPLIED, 0, 0, "0007_g", 0,
	  { "0005_e", "0006_f", "0007_g", NULL }, { NULL } },
	{ "to the last applied: nothing", FOUR_THREE_APPLIED, 0, 0, "0004_d", 0,
	  { NULL }, { NULL } },
	{ "to an older applied one: nothing", FOUR_THREE_APPLIED, 0, 0, "0001_a",
	  0, { NULL }, { NULL } },
	{ "fresh database", { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { { NULL } }, 0, 0, "0002_b", 0, { "0001_a", "0002_b", NULL }, { NULL } },
	{ "unknown id", FOUR_THREE_APPLIED, 0, 0, "0009_x", FLUX_EXIT_USAGE,
	  { NULL }, { "cannot apply up to '0009_x': no such migration", NULL } },
	{ "a prefix of an id is unknown", FOUR_THREE_APPLIED, 0, 0, "0005",
	  FLUX_EXIT_USAGE, { NULL }, { "'0005'", "no such migration", NULL } },
	{ "no id", FOUR_THREE_APPLIED, 0, 0, NULL, FLUX_EXIT_USAGE, { NULL },
	  { "no such migration", NULL } },
	{ "recorded only (missing file)",
	  { SQL("0001_a"), { NULL } }, { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  0, 0, "0002_b", FLUX_EXIT_USAGE, { NULL },
	  { "'0002_b'", "not in the migration directory", NULL } },
	{ "inserted before the last applied (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0003_c"), { NULL } }, 0, 0, "0002_b",
	  FLUX_EXIT_CORRUPT, { NULL },
	  { "'0002_b'", "inserted before the last applied migration 0003_c",
	    NULL } },
	{ "pending .py within the range",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 0, "0003_c", FLUX_EXIT_DIRECTORY,
	  { NULL }, { "'migrations/0002_py.py'", "Python migration", NULL } },
	{ "pending .py beyond the target is not run",
	  { SQL("0001_a"), SQL("0002_b"), PY("0003_py"), { NULL } },
	  { ROW("0001_a"), { NULL } }, 0, 0, "0002_b", 0, { "0002_b", NULL },
	  { NULL } },
	{ "the target is a pending .py",
	  { SQL("0001_a"), PY("0002_py"), { NULL } }, { { NULL } }, 0, 0,
	  "0002_py", FLUX_EXIT_DIRECTORY, { NULL }, { "'migrations/0002_py.py'", NULL } },
	{ "applied .py as target: nothing",
	  { PY("0001_py"), SQL("0002_b"), { NULL } }, { ROW("0001_py"), { NULL } },
	  0, 0, "0001_py", 0, { NULL }, { NULL } },
	{ "ids compared by bytes: 0010 < 009",
	  { SQL("0010"), SQL("009"), SQL("01"), { NULL } }, { { NULL } }, 0, 0,
	  "009", 0, { "0010", "009", NULL }, { NULL } },
};
/* clang-format on */

static void test_apply_to_list(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(apply_to_cases); i++) {
		const struct list_case *c = &apply_to_cases[i];
		const struct mdir_migration **out = NULL;
		struct flux_err err = FLUX_ERR_INIT;
		struct fixture f;
		size_t n = 99;
		int rc;

		fixture_init(&f, c->migs, c->rows);
		rc = plan_apply_to_list(&f.plan, c->to_id, &out, &n, &err);
		check_list(c, rc, out, n, &err);
		free(out);
		err_release(&err);
		fixture_release(&f);
	}
}

/* --- plan_goto and plan_redo --------------------------------------------- */

struct steps_case {
	const char *name;
	struct mspec migs[MAXN];
	struct rspec rows[MAXN];
	const char *to_id;       /* goto only */
	int code;                /* 0: success */
	const char *undo[MAXN];  /* ids, newest first, ends at NULL */
	const char *apply[MAXN]; /* ids in order, ends at NULL */
	const char *frags[MAXN];
};

static void check_ids(const char *name, const char *part,
		      const struct mdir_migration *const *got, size_t n,
		      const char *const *want)
{
	size_t nwant, i;

	for (nwant = 0; want[nwant]; nwant++)
		;
	if (n != nwant)
		fail_msg("%s: %zu to %s, want %zu", name, n, part, nwant);
	if (!n && got)
		fail_msg("%s: empty %s list is not NULL", name, part);
	for (i = 0; i < n; i++) {
		if (strcmp(got[i]->id, want[i]) != 0)
			fail_msg("%s: %s[%zu] is %s, want %s", name, part, i, got[i]->id,
				 want[i]);
	}
}

static void check_steps(const struct steps_case *c, bool redo)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct plan_steps steps;
	struct fixture f;
	int rc;

	fixture_init(&f, c->migs, c->rows);
	memset(&steps, 0xff, sizeof(steps));
	rc = redo ? plan_redo(&f.plan, &steps, &err) :
		    plan_goto(&f.plan, c->to_id, &steps, &err);
	if (c->code == 0) {
		if (rc != 0)
			fail_msg("%s: failed: %s", c->name, err.msg);
		check_ids(c->name, "undo", steps.undo, steps.nundo, c->undo);
		check_ids(c->name, "apply", steps.apply, steps.napply, c->apply);
	} else {
		if (rc != -1 || (int)err.code != c->code)
			fail_msg("%s: rc %d code %d, want code %d", c->name, rc,
				 (int)err.code, c->code);
		if (steps.undo || steps.nundo || steps.apply || steps.napply)
			fail_msg("%s: steps were returned with an error", c->name);
		assert_fragments(c->name, err.msg, c->frags);
	}
	plan_steps_release(&steps);
	assert_null(steps.undo);
	assert_null(steps.apply);
	err_release(&err);
	fixture_release(&f);
}

/* clang-format off */
static const struct steps_case goto_cases[] = {
	{ "forward to the first pending", FOUR_THREE_APPLIED, "0005_e", 0,
	  { NULL }, { "0005_e", NULL }, { NULL } },
	{ "forward to the last", FOUR_THREE_APPLIED, "0007_g", 0, { NULL },
	  { "0005_e", "0006_f", "0007_g", NULL }, { NULL } },
	{ "back by one", FOUR_THREE_APPLIED, "0003_c", 0, { "0004_d", NULL },
	  { NULL }, { NULL } },
	{ "back to the first", FOUR_THREE_APPLIED, "0001_a", 0,
	  { "0004_d", "0003_c", "0002_b", NULL }, { NULL }, { NULL } },
	{ "the last applied: nothing", FOUR_THREE_APPLIED, "0004_d", 0, { NULL },
	  { NULL }, { NULL } },
	{ "fresh database", { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { { NULL } }, "0001_a", 0, { NULL }, { "0001_a", NULL }, { NULL } },
	{ "back over a migration without undo (its row goes, as rollback)",
	  { SQL("0001_a"), SQLNOUNDO("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), ROW("0003_c"), { NULL } }, "0001_a", 0,
	  { "0003_c", "0002_b", NULL }, { NULL }, { NULL } },
	{ "unknown id", FOUR_THREE_APPLIED, "0009_x", FLUX_EXIT_USAGE, { NULL },
	  { NULL }, { "cannot go to '0009_x': no such migration", NULL } },
	{ "no id", FOUR_THREE_APPLIED, NULL, FLUX_EXIT_USAGE, { NULL }, { NULL },
	  { "no such migration", NULL } },
	{ "recorded only (missing file)",
	  { SQL("0001_a"), { NULL } }, { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  "0002_b", FLUX_EXIT_USAGE, { NULL }, { NULL },
	  { "'0002_b'", "not in the migration directory", NULL } },
	{ "back over a missing one (invalid plan)",
	  { SQL("0001_a"), { NULL } }, { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  "0001_a", FLUX_EXIT_CORRUPT, { NULL }, { NULL },
	  { "'0002_b'", "missing", NULL } },
	{ "inserted target (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0003_c"), { NULL } }, "0002_b", FLUX_EXIT_CORRUPT,
	  { NULL }, { NULL }, { "inserted before the last applied", NULL } },
	{ "back over an applied .py",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), ROW("0003_c"), { NULL } }, "0001_a",
	  FLUX_EXIT_DIRECTORY, { NULL }, { NULL },
	  { "'migrations/0002_py.py'", "Python migration", NULL } },
	{ "back to an applied .py",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), ROW("0003_c"), { NULL } }, "0002_py", 0,
	  { "0003_c", NULL }, { NULL }, { NULL } },
	{ "forward over a pending .py",
	  { SQL("0001_a"), PY("0002_py"), SQL("0003_c"), { NULL } },
	  { ROW("0001_a"), { NULL } }, "0003_c", FLUX_EXIT_DIRECTORY, { NULL },
	  { NULL }, { "'migrations/0002_py.py'", NULL } },
	{ "ids compared by bytes: back from a to 009",
	  { SQL("0010"), SQL("009"), SQL("B"), SQL("a"), { NULL } },
	  { ROW("a"), ROW("0010"), ROW("B"), ROW("009"), { NULL } }, "009", 0,
	  { "a", "B", NULL }, { NULL }, { NULL } },
};
/* clang-format on */

static void test_goto(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(goto_cases); i++)
		check_steps(&goto_cases[i], false);
}

/* clang-format off */
static const struct steps_case redo_cases[] = {
	{ "the last applied", FOUR_THREE_APPLIED, NULL, 0, { "0004_d", NULL },
	  { "0004_d", NULL }, { NULL } },
	{ "only one applied", { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { ROW("0001_a"), { NULL } }, NULL, 0, { "0001_a", NULL },
	  { "0001_a", NULL }, { NULL } },
	{ "nothing applied: nothing to do", { SQL("0001_a"), { NULL } },
	  { { NULL } }, NULL, 0, { NULL }, { NULL }, { NULL } },
	{ "empty directory", { { NULL } }, { { NULL } }, NULL, 0, { NULL },
	  { NULL }, { NULL } },
	{ "unsorted rows: the greatest id",
	  { SQL("0001_a"), SQL("0002_b"), SQL("0003_c"), { NULL } },
	  { ROW("0002_b"), ROW("0001_a"), { NULL } }, NULL, 0, { "0002_b", NULL },
	  { "0002_b", NULL }, { NULL } },
	{ "last without undo",
	  { SQL("0001_a"), SQLNOUNDO("0002_b"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), { NULL } }, NULL, FLUX_EXIT_USAGE,
	  { NULL }, { NULL },
	  { "cannot redo '0002_b'", "no undo migration '0002_b.undo.sql'", NULL } },
	{ "an older one without undo does not matter",
	  { SQLNOUNDO("0001_a"), SQL("0002_b"), { NULL } },
	  { ROW("0001_a"), ROW("0002_b"), { NULL } }, NULL, 0, { "0002_b", NULL },
	  { "0002_b", NULL }, { NULL } },
	{ "last is a .py",
	  { SQL("0001_a"), PY("0002_py"), { NULL } },
	  { ROW("0001_a"), ROW("0002_py"), { NULL } }, NULL, FLUX_EXIT_DIRECTORY,
	  { NULL }, { NULL }, { "'migrations/0002_py.py'", "Python migration", NULL } },
	{ "last is missing (invalid plan)",
	  { SQL("0001_a"), { NULL } }, { ROW("0001_a"), ROW("0002_b"), { NULL } },
	  NULL, FLUX_EXIT_CORRUPT, { NULL }, { NULL }, { "'0002_b'", "missing", NULL } },
	{ "last is modified (invalid plan)",
	  { SQL("0001_a"), SQL("0002_b"), { NULL } },
	  { ROW("0001_a"), ROWH("0002_b", H2), { NULL } }, NULL, FLUX_EXIT_CORRUPT,
	  { NULL }, { NULL }, { "'0002_b'", "modified", NULL } },
};
/* clang-format on */

static void test_redo(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(redo_cases); i++)
		check_steps(&redo_cases[i], true);
}

/* --- plan_check_target and plan_find ------------------------------------- */

static void test_check_target(void **state)
{
	static const struct {
		const char *id;
		int code;
		const char *frag;
		/* clang-format off */
	} cases[] = {
		{ "0001_a", 0, NULL },
		{ "0002_py", 0, NULL },
		{ "0009_x", FLUX_EXIT_USAGE,
		  "unknown migration '0009_x': no migration with that ID in 'migrations'" },
		{ "0001", FLUX_EXIT_USAGE, "unknown migration '0001'" },
		{ "0001_a.sql", FLUX_EXIT_USAGE,
		  "unknown migration '0001_a.sql': a migration ID is the file name without .sql or .py" },
		{ "0001_a.undo.sql", FLUX_EXIT_USAGE, "without .sql" },
		{ "0002_py.py", FLUX_EXIT_USAGE, "without .sql" },
		{ "", FLUX_EXIT_USAGE, "empty migration ID" },
		{ NULL, FLUX_EXIT_USAGE, "empty migration ID" },
		{ "grants", FLUX_EXIT_USAGE,
		  "'grants' is a post-apply repeatable migration" },
		{ "setup", FLUX_EXIT_USAGE, "'setup' is a pre-apply repeatable migration" },
	};
	/* clang-format on */
	static const struct mspec migs[] = { SQL("0001_a"), PY("0002_py"), { NULL } };
	static const struct rspec rows[] = { { NULL } };
	char root[] = "migrations", pre_id[] = "setup", post_id[] = "grants";
	struct mdir_migration pre = { 0 }, post = { 0 };
	struct fixture f;
	size_t i;

	(void)state;
	fixture_init(&f, migs, rows);
	f.dir.root = root;
	pre.id = pre_id;
	post.id = post_id;
	f.dir.pre = &pre;
	f.dir.npre = 1;
	f.dir.post = &post;
	f.dir.npost = 1;
	for (i = 0; i < N(cases); i++) {
		struct flux_err err = FLUX_ERR_INIT;
		int rc = plan_check_target(&f.dir, cases[i].id, &err);

		if (cases[i].code == 0) {
			if (rc != 0)
				fail_msg("'%s': %s", cases[i].id, err.msg);
		} else {
			if (rc != -1 || (int)err.code != cases[i].code)
				fail_msg("'%s': rc %d code %d", cases[i].id, rc,
					 (int)err.code);
			if (!strstr(err.msg, cases[i].frag))
				fail_msg("'%s': message lacks '%s': %s", cases[i].id,
					 cases[i].frag, err.msg);
		}
		err_release(&err);
	}
	f.dir.root = NULL;
	f.dir.pre = f.dir.post = NULL;
	f.dir.npre = f.dir.npost = 0;
	fixture_release(&f);
}

static void test_find(void **state)
{
	static const struct mspec migs[] = { SQL("0001_a"), SQL("0002_b"), { NULL } };
	static const struct rspec rows[] = { ROW("0001_a"), ROW("0003_c"), { NULL } };
	struct fixture f;

	(void)state;
	fixture_init(&f, migs, rows);
	assert_ptr_equal(plan_find(&f.plan, "0001_a"), &f.plan.entries[0]);
	assert_ptr_equal(plan_find(&f.plan, "0002_b"), &f.plan.entries[1]);
	assert_ptr_equal(plan_find(&f.plan, "0003_c"), &f.plan.entries[2]);
	assert_null(plan_find(&f.plan, "0001"));
	assert_null(plan_find(&f.plan, "0004_d"));
	assert_null(plan_find(&f.plan, NULL));
	fixture_release(&f);
	plan_steps_release(NULL);
}

/* A .sql without undo is listed; the list points into the directory. */
static void test_rollback_without_undo(void **state)
{
	static const struct mspec migs[] = { SQL("0001_a"),
					     SQLNOUNDO("0002_b"),
					     { NULL } };
	static const struct rspec rows[] = { ROW("0001_a"), ROW("0002_b"), { NULL } };
	const struct mdir_migration **out = NULL;
	struct flux_err err = FLUX_ERR_INIT;
	struct fixture f;
	size_t n = 0;

	(void)state;
	fixture_init(&f, migs, rows);
	assert_int_equal(plan_rollback_list(&f.plan, PLAN_RB_ALL, 0, NULL, &out, &n,
					    &err),
			 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], &f.dir.migrations[1]);
	assert_null(out[0]->undo_path);
	assert_ptr_equal(out[1], &f.dir.migrations[0]);
	assert_string_equal(out[1]->undo_path, "migrations/0001_a.undo.sql");
	free(out);
	err_release(&err);
	fixture_release(&f);
}

/* Entries borrow pointers into the directory and the rows. */
static void test_entries_borrow(void **state)
{
	static const struct mspec migs[] = { SQL("0001_a"), SQL("0002_b"), { NULL } };
	static const struct rspec rows[] = { ROW("0003_c"), ROW("0001_a"), { NULL } };
	struct fixture f;

	(void)state;
	fixture_init(&f, migs, rows);
	assert_int_equal(f.plan.nentries, 3);
	assert_ptr_equal(f.plan.entries[0].mig, &f.dir.migrations[0]);
	assert_ptr_equal(f.plan.entries[0].row, &f.rows[1]);
	assert_ptr_equal(f.plan.entries[1].mig, &f.dir.migrations[1]);
	assert_null(f.plan.entries[1].row);
	assert_null(f.plan.entries[2].mig);
	assert_ptr_equal(f.plan.entries[2].row, &f.rows[0]);
	assert_ptr_equal(f.plan.entries[2].id, f.rows[0].id);
	/* the rows were sorted through pointers, not in place */
	assert_string_equal(f.rows[0].id, "0003_c");
	fixture_release(&f);
}

/* An out-of-order-free plan built with a NULL row array and no dir entries. */
static void test_null_inputs(void **state)
{
	struct mdir dir;
	struct plan plan;
	struct plan zero;
	struct flux_err err = FLUX_ERR_INIT;
	const struct mdir_migration **out = (const struct mdir_migration **)&plan;
	size_t n = 99;

	(void)state;
	memset(&dir, 0, sizeof(dir));
	memset(&plan, 0xff, sizeof(plan));
	plan_build(&plan, &dir, NULL, 0);
	assert_null(plan.entries);
	assert_int_equal(plan.nentries, 0);
	assert_int_equal(plan.napplied, 0);
	assert_int_equal(plan.npending, 0);
	assert_int_equal(plan.nproblems, 0);
	assert_int_equal(plan.nunverifiable, 0);
	assert_int_equal(plan_validate(&plan, &err), 0);
	assert_int_equal(plan_apply_list(&plan, 0, &out, &n, &err), 0);
	assert_null(out);
	assert_int_equal(n, 0);
	out = (const struct mdir_migration **)&plan;
	n = 99;
	assert_int_equal(plan_rollback_list(&plan, PLAN_RB_ALL, 0, NULL, &out, &n, &err),
			 0);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_null(err.msg);
	plan_release(&plan);

	memset(&zero, 0, sizeof(zero));
	plan_release(&zero);
	plan_release(NULL);
	plan_rows_free(NULL, 0);
	plan_rows_free(NULL, 5);
}

static void test_state_names(void **state)
{
	static const struct {
		enum plan_state state;
		const char *name;
		/* clang-format off */
	} cases[] = {
		{ PLAN_APPLIED, "applied" },
		{ PLAN_PENDING, "pending" },
		{ PLAN_MODIFIED, "modified" },
		{ PLAN_MISSING, "missing" },
		{ PLAN_OUT_OF_ORDER, "out-of-order" },
		{ PLAN_UNVERIFIABLE, "unverifiable" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		assert_string_equal(plan_state_name(cases[i].state), cases[i].name);
}

/* A validation error replaces an earlier message in the same struct. */
static void test_validate_replaces_error(void **state)
{
	static const struct mspec migs[] = { SQL("0001_a"), { NULL } };
	static const struct rspec rows[] = { ROW("0002_b"), { NULL } };
	struct flux_err err = FLUX_ERR_INIT;
	struct fixture f;

	(void)state;
	err_set(&err, FLUX_EXIT_USAGE, "earlier");
	fixture_init(&f, migs, rows);
	assert_int_equal(plan_validate(&f.plan, &err), -1);
	assert_int_equal(err.code, FLUX_EXIT_CORRUPT);
	assert_null(strstr(err.msg, "earlier"));
	assert_non_null(strstr(err.msg, "0002_b: missing"));
	err_release(&err);
	fixture_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_and_validate),
		cmocka_unit_test(test_apply_list),
		cmocka_unit_test(test_rollback_list),
		cmocka_unit_test(test_rollback_without_undo),
		cmocka_unit_test(test_apply_to_list),
		cmocka_unit_test(test_goto),
		cmocka_unit_test(test_redo),
		cmocka_unit_test(test_check_target),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_entries_borrow),
		cmocka_unit_test(test_null_inputs),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_validate_replaces_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
