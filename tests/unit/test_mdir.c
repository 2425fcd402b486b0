/*
 * Unit tests for src/mdir.c: text normalisation and UTF-8 checks, hashes,
 * the no-transaction marker, and reading real directories made under /tmp
 * (each test runs in its own fresh directory, the migrations in
 * ./migrations, so messages name 'migrations/...' as users see them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "mdir.h"
#include "sb.h"
#include "test_lib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define EMPTY_MD5 "d41d8cd98f00b204e9800998ecf8427e"
#define REF1 "alter table simple_table add column description text;\n"
#define REF1_MD5 "1ddd0147bd77f7dd8d9c064584a2559d"
#define REF2 "alter table new_table add column new_col text;"
#define REF2_MD5 "2494e84a32039ba7fff00496da758df4"
/* printf '\xef\xbb\xbfselect 1;\n' | md5sum, and without the BOM */
#define BOM_SEL_MD5 "6b2141e8e9caaa11be45713cd6ae04db"
#define SEL_MD5 "0642f7fde5adc5e6e9464d9434c1887b"

/* ---- fixtures ---------------------------------------------------------- */

static int setup(void **state)
{
	if (test_tmpdir_setup(state) || chdir(test_tmpdir) || mkdir("migrations", 0755))
		return -1;
	return 0;
}

/*
 * The text mdir_load() gives for m (undo: its undo file), NULL when there
 * is no such file. Two buffers, so that two texts can be compared; both
 * are freed by teardown.
 */
static struct sb loaded[2] = { SB_INIT, SB_INIT };
static int nloaded;

static const char *text_of(const struct mdir_migration *m, bool undo)
{
	struct sb *sb = &loaded[nloaded++ % 2];
	struct flux_err err = FLUX_ERR_INIT;

	if (m->kind != MDIR_SQL || !(undo ? m->undo_path : m->path))
		return NULL;
	sb_reset(sb);
	if (mdir_load(m, undo, sb, &err))
		fail_msg("mdir_load '%s': %s", m->id, err.msg);
	return sb->buf;
}

static int teardown(void **state)
{
	sb_release(&loaded[0]);
	sb_release(&loaded[1]);
	if (chdir("/"))
		return -1;
	return test_tmpdir_teardown(state);
}

static void put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* String literals, which may hold NUL bytes: sizeof - 1 is the length. */
#define PUT(path, lit) put((path), (lit), sizeof(lit) - 1)

static void mk(const char *path)
{
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Expect mdir_read to fail with exit 4, a message holding each part, and *dir released. */
static void expect_fail(const char *root, const char *part1, const char *part2)
{
	struct mdir dir;
	struct flux_err err = FLUX_ERR_INIT;

	memset(&dir, 0x5a, sizeof(dir));
	assert_int_equal(mdir_read(&dir, root, &err), -1);
	assert_int_equal(err.code, FLUX_EXIT_DIRECTORY);
	assert_non_null(err.msg);
	if (!strstr(err.msg, part1) || (part2 && !strstr(err.msg, part2)))
		fail_msg("message '%s' lacks '%s' / '%s'", err.msg, part1,
			 part2 ? part2 : "");
	assert_null(dir.root);
	assert_null(dir.migrations);
	assert_int_equal(dir.nmigrations, 0);
	assert_null(dir.pre);
	assert_null(dir.post);
	err_release(&err);
}

static void read_ok(struct mdir *dir, const char *root)
{
	struct flux_err err = FLUX_ERR_INIT;

	if (mdir_read(dir, root, &err))
		fail_msg("mdir_read('%s'): %s", root, err.msg);
	assert_null(err.msg);
}

/* ---- pure functions ---------------------------------------------------- */

static void test_md5(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "", EMPTY_MD5 },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ REF1, REF1_MD5 },
		{ REF2, REF2_MD5 },
	};
	/* clang-format on */
	char out[33];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		memset(out, 'x', sizeof(out));
		mdir_md5_hex(cases[i].in, strlen(cases[i].in), out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_normalise_ok(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
		size_t wlen;
		/* clang-format off */
	} cases[] = {
/* clang-format off */
#define C(in, want) { in, sizeof(in) - 1, want, sizeof(want) - 1 }
		/* clang-format on */
		C("", ""),
		C("select 1;\n", "select 1;\n"),
		C("a\r\nb\r\n", "a\nb\n"),
		C("a\rb\r", "a\nb\n"),
		C("\r", "\n"),
		C("\r\r\n\n", "\n\n\n"),
		C("\n\r", "\n\n"),
		C("a\r\n\r\nb", "a\n\nb"),
		C("tab\tform\f\x01\x7f", "tab\tform\f\x01\x7f"),
		C("\xEF\xBB\xBFx\r\n", "\xEF\xBB\xBFx\n"),
		C("caf\xC3\xA9", "caf\xC3\xA9"),           /* U+00E9 */
		C("\xC2\x80\xDF\xBF", "\xC2\x80\xDF\xBF"), /* U+0080, U+07FF */
		C("\xE0\xA0\x80", "\xE0\xA0\x80"),         /* U+0800 */
		C("\xED\x9F\xBF", "\xED\x9F\xBF"),         /* U+D7FF */
		C("\xEE\x80\x80\xEF\xBF\xBF", "\xEE\x80\x80\xEF\xBF\xBF"),
		C("\xF0\x90\x80\x80", "\xF0\x90\x80\x80"),     /* U+10000 */
		C("\xF0\x9F\x98\x80\r", "\xF0\x9F\x98\x80\n"), /* emoji, CR */
		C("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"),     /* U+10FFFF */
#undef C
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct sb out = SB_INIT;
		struct flux_err err = FLUX_ERR_INIT;

		sb_adds(&out, "pre:");
		if (mdir_normalise(cases[i].in, cases[i].len, "f.sql", &out, &err))
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(out.len, 4 + cases[i].wlen);
		assert_memory_equal(out.buf, "pre:", 4);
		if (memcmp(out.buf + 4, cases[i].want, cases[i].wlen))
			fail_msg("case %zu: wrong output", i);
		assert_int_equal(out.buf[out.len], '\0');
		sb_release(&out);
	}
}

static void test_normalise_bad(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		size_t off; /* byte offset in the raw input */
		size_t line;
		const char *why;
		/* clang-format off */
	} cases[] = {
/* clang-format off */
#define C(in, off, line, why) { in, sizeof(in) - 1, off, line, why }
		/* clang-format on */
		C("ab\0c", 2, 1, "NUL byte"),
		C("a\r\nb\r\0", 5, 3, "NUL byte"),
		C("\0", 0, 1, "NUL byte"),
		C("abc\x80", 3, 1, "invalid start byte"), /* lone continuation */
		C("x\nyy\xBF", 4, 2, "invalid start byte"),
		C("\xC0\x80", 0, 1, "invalid start byte"), /* overlong NUL */
		C("\xC1\xBF", 0, 1, "invalid start byte"), /* overlong */
		C("\xE0\x80\x80", 0, 1, "invalid continuation byte"),
		C("\xE0\x9F\xBF", 0, 1, "invalid continuation byte"),
		C("ok\xED\xA0\x80", 2, 1, "invalid continuation byte"), /* U+D800 */
		C("\xED\xBF\xBF", 0, 1, "invalid continuation byte"),   /* U+DFFF */
		C("\xF0\x80\x80\x80", 0, 1, "invalid continuation byte"),
		C("\xF0\x8F\xBF\xBF", 0, 1, "invalid continuation byte"),
		C("\xF4\x90\x80\x80", 0, 1, "invalid continuation byte"), /* > U+10FFFF */
		C("\xF5\x80\x80\x80", 0, 1, "invalid start byte"),
		C("\xF8\x88\x80\x80\x80", 0, 1, "invalid start byte"),
		C("\xFE", 0, 1, "invalid start byte"),
		C("\xFF", 0, 1, "invalid start byte"),
		C("\xE2\x41", 0, 1, "invalid continuation byte"),
		C("a\xE2\x82\x41", 1, 1, "invalid continuation byte"),
		C("\xC3\xA9\xC3", 2, 1, "unexpected end of data"),
		C("\r\r\xE2\x82", 2, 3, "unexpected end of data"),
		C("\xF0\x9F\x98", 0, 1, "unexpected end of data"),
#undef C
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct sb out = SB_INIT;
		struct flux_err err = FLUX_ERR_INIT;
		char want_off[64], want_line[32];

		sb_adds(&out, "keep");
		assert_int_equal(mdir_normalise(cases[i].in, cases[i].len,
						"migrations/x.sql", &out, &err),
				 -1);
		assert_int_equal(err.code, FLUX_EXIT_DIRECTORY);
		snprintf(want_off, sizeof(want_off), "byte offset %zu ", cases[i].off);
		snprintf(want_line, sizeof(want_line), "(line %zu)", cases[i].line);
		if (!strstr(err.msg, "'migrations/x.sql'") ||
		    !strstr(err.msg, want_off) || !strstr(err.msg, want_line) ||
		    !strstr(err.msg, cases[i].why))
			fail_msg("case %zu: message '%s' (want '%s' %s %s)", i, err.msg,
				 want_off, want_line, cases[i].why);
		/* A failure leaves the builder as it was. */
		assert_int_equal(out.len, 4);
		assert_string_equal(out.buf, "keep");
		sb_release(&out);
		err_release(&err);
	}
}

static void test_no_transaction(void **state)
{
	static const struct {
		const char *in;
		bool want;
		/* clang-format off */
	} cases[] = {
		{ "-- flux:no-transaction", true },
		{ "-- flux:no-transaction\n", true },
		{ "-- flux:no-transaction\ncreate index concurrently i on t (c);", true },
		{ "-- flux:no-transaction  \t\nselect 1;", true },
		{ "-- flux:no-transaction\r\nselect 1;", true },
		{ "\xEF\xBB\xBF-- flux:no-transaction\n", true },
		{ "", false },
		{ "\n-- flux:no-transaction\n", false },
		{ " -- flux:no-transaction\n", false },
		{ "--flux:no-transaction\n", false },
		{ "-- flux:no-transactions\n", false },
		{ "-- flux:no-transaction x\n", false },
		{ "-- FLUX:NO-TRANSACTION\n", false },
		{ "-- flux:no-transactio", false },
		{ "select 1; -- flux:no-transaction\n", false },
		{ "\xEF\xBB\xBF", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	assert_false(mdir_is_no_transaction(NULL, 0));
	for (i = 0; i < N(cases); i++) {
		if (mdir_is_no_transaction(cases[i].in, strlen(cases[i].in)) !=
		    cases[i].want)
			fail_msg("mdir_is_no_transaction('%s') != %d", cases[i].in,
				 cases[i].want);
	}
}

/* ---- reading directories ----------------------------------------------- */

static void test_order_by_id_bytes(void **state)
{
	/* Files created in a scrambled order; expected order is strcmp of ID. */
	/* clang-format off */
	static const char *files[] = {
		"a_b.sql", "B.sql", "a.sql", "\xC3\xA9t\xC3\xA9.sql", "a-b.sql",
		"a.b.sql", "0010.sql", "0002.sql", "z.py", "Z.sql", "a.sql.bak",
	};
	/* clang-format on */
	/* clang-format off */
	static const char *want[] = {
		"0002", "0010", "B", "Z", "a", "a-b", "a.b", "a_b", "z",
		"\xC3\xA9t\xC3\xA9",
	};
	/* clang-format on */
	struct mdir dir;
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < N(files); i++) {
		snprintf(path, sizeof(path), "migrations/%s", files[i]);
		put(path, files[i], strlen(files[i]));
	}
	read_ok(&dir, "migrations");
	assert_string_equal(dir.root, "migrations");
	assert_int_equal(dir.nmigrations, N(want));
	for (i = 0; i < N(want); i++) {
		assert_string_equal(dir.migrations[i].id, want[i]);
		if (i)
			assert_true(strcmp(dir.migrations[i - 1].id,
					   dir.migrations[i].id) < 0);
	}
	assert_int_equal(dir.npre, 0);
	assert_int_equal(dir.npost, 0);
	mdir_release(&dir);
}

static void test_sql_and_undo(void **state)
{
	struct mdir dir;
	const struct mdir_migration *m;
	char *log;

	(void)state;
	PUT("migrations/0001_simple.sql", REF1);
	PUT("migrations/0001_simple.undo.sql", "drop table simple_table;\r\n");
	PUT("migrations/0002_new.sql", REF2);
	PUT("migrations/0003_orphan.undo.sql", "drop table x;\n");
	test_capture_start();
	read_ok(&dir, "migrations");
	log = test_capture_end();

	assert_int_equal(dir.nmigrations, 2);
	m = &dir.migrations[0];
	assert_string_equal(m->id, "0001_simple");
	assert_int_equal(m->kind, MDIR_SQL);
	assert_string_equal(m->path, "migrations/0001_simple.sql");
	assert_string_equal(text_of(m, false), REF1);
	assert_int_equal(m->text_len, strlen(REF1));
	assert_int_equal(m->bom_len, 0);
	assert_string_equal(m->hash, REF1_MD5);
	assert_false(m->no_transaction);
	assert_string_equal(m->undo_path, "migrations/0001_simple.undo.sql");
	assert_string_equal(text_of(m, true), "drop table simple_table;\n");
	assert_int_equal(m->undo_len, strlen("drop table simple_table;\n"));
	assert_false(m->undo_no_transaction);

	m = &dir.migrations[1];
	assert_string_equal(m->id, "0002_new");
	assert_string_equal(m->hash, REF2_MD5);
	assert_null(m->undo_path);
	assert_null(text_of(m, true));
	assert_int_equal(m->undo_len, 0);

	/* The orphan undo is ignored, with a warning that names the file. */
	assert_null(mdir_find(&dir, "0003_orphan"));
	if (!strstr(log, "warning") || !strstr(log, "'migrations/0003_orphan.undo.sql'"))
		fail_msg("no warning about the orphan undo in '%s'", log);
	free(log);
	mdir_release(&dir);
}

static void test_python(void **state)
{
	struct mdir dir;
	const struct mdir_migration *m;
	char *log;

	(void)state;
	PUT("migrations/0001.sql", "select 1;\n");
	PUT("migrations/0002_data.py", "def apply():\n    return 'select 2'\n");
	PUT("migrations/0002_data.undo.sql", "select 3;\n");
	test_capture_start();
	read_ok(&dir, "migrations");
	log = test_capture_end();

	assert_int_equal(dir.nmigrations, 2);
	m = mdir_find(&dir, "0002_data");
	assert_non_null(m);
	assert_int_equal(m->kind, MDIR_PY);
	assert_string_equal(m->path, "migrations/0002_data.py");
	assert_null(text_of(m, false));
	assert_int_equal(m->text_len, 0);
	assert_string_equal(m->hash, "");
	/* flux-migrations takes a .py migration's undo from the module. */
	assert_null(m->undo_path);
	assert_null(text_of(m, true));
	if (!strstr(log, "'migrations/0002_data.undo.sql'"))
		fail_msg("no warning about the ignored undo in '%s'", log);
	free(log);
	mdir_release(&dir);
}

static void test_duplicate_id(void **state)
{
	(void)state;
	PUT("migrations/0001.sql", "select 1;\n");
	PUT("migrations/0002_x.sql", "select 1;\n");
	PUT("migrations/0002_x.py", "def apply(): return ''\n");
	expect_fail("migrations", "duplicate migration id '0002_x'",
		    "'migrations/0002_x.py'");
}

static void test_repeatable(void **state)
{
	struct mdir dir;

	(void)state;
	mk("migrations/pre-apply");
	mk("migrations/post-apply");
	mk("migrations/pre-apply/nested");
	PUT("migrations/pre-apply/nested/n.sql", "select 'ignored';\n");
	PUT("migrations/pre-apply/b.sql", "select 'b';\r\n");
	PUT("migrations/pre-apply/A.sql", "-- flux:no-transaction\nvacuum;\n");
	PUT("migrations/pre-apply/readme.md", "docs");
	PUT("migrations/post-apply/z.sql", "");
	PUT("migrations/0001.sql", "select 1;\n");
	read_ok(&dir, "migrations");

	assert_int_equal(dir.nmigrations, 1);
	assert_null(mdir_find(&dir, "A"));
	assert_int_equal(dir.npre, 2);
	assert_string_equal(dir.pre[0].id, "A");
	assert_string_equal(dir.pre[0].path, "migrations/pre-apply/A.sql");
	assert_true(dir.pre[0].no_transaction);
	assert_string_equal(dir.pre[1].id, "b");
	assert_string_equal(text_of(&dir.pre[1], false), "select 'b';\n");
	assert_int_equal(dir.pre[1].kind, MDIR_SQL);
	assert_null(dir.pre[1].undo_path);
	assert_int_equal(dir.npost, 1);
	assert_string_equal(dir.post[0].id, "z");
	assert_string_equal(dir.post[0].hash, EMPTY_MD5);
	mdir_release(&dir);
}

static void test_repeatable_errors(void **state)
{
	static const struct {
		const char *file, *part1, *part2;
		/* clang-format off */
	} cases[] = {
		{ "migrations/pre-apply/r.undo.sql", "'migrations/pre-apply/r.undo.sql'", "undo" },
		{ "migrations/post-apply/r.undo.sql", "'migrations/post-apply/r.undo.sql'", "undo" },
		{ "migrations/pre-apply/r.py", "'migrations/pre-apply/r.py'", "python" },
		{ "migrations/post-apply/r.py", "'migrations/post-apply/r.py'", "python" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	mk("migrations/pre-apply");
	mk("migrations/post-apply");
	PUT("migrations/pre-apply/r.sql", "select 1;\n");
	PUT("migrations/post-apply/r.sql", "select 1;\n");
	for (i = 0; i < N(cases); i++) {
		PUT(cases[i].file, "x");
		expect_fail("migrations", cases[i].part1, cases[i].part2);
		assert_int_equal(unlink(cases[i].file), 0);
	}
}

static void test_repeatable_not_dir(void **state)
{
	(void)state;
	PUT("migrations/post-apply", "not a directory");
	expect_fail("migrations", "'migrations/post-apply'", "Not a directory");
}

static void test_ignored_entries(void **state)
{
	struct mdir dir;

	(void)state;
	PUT("migrations/README.md", "x");
	PUT("migrations/0001.SQL", "x");
	PUT("migrations/0001.sql~", "x");
	PUT("migrations/0001.sql.orig", "x");
	PUT("migrations/notes.txt", "\xFF\0 not even text");
	PUT("migrations/0002.pyc", "x");
	mk("migrations/archive");
	PUT("migrations/archive/0000_old.sql", "select 'old';\n");
	mk("migrations/archive.d");
	PUT("migrations/0003.sql", "select 3;\n");
	read_ok(&dir, "migrations");
	assert_int_equal(dir.nmigrations, 1);
	assert_string_equal(dir.migrations[0].id, "0003");
	mdir_release(&dir);
}

static void test_empty_dir(void **state)
{
	struct mdir dir;

	(void)state;
	read_ok(&dir, "migrations");
	assert_int_equal(dir.nmigrations, 0);
	assert_null(mdir_find(&dir, "x"));
	mdir_release(&dir);
	mdir_release(&dir);
	mdir_release(NULL);
}

static void test_missing_dir(void **state)
{
	(void)state;
	expect_fail("nope", "migration directory 'nope' does not exist", NULL);
	PUT("afile", "x");
	expect_fail("afile", "'afile'", "Not a directory");
}

static void test_root_trailing_slash(void **state)
{
	struct mdir dir;

	(void)state;
	PUT("migrations/0001.sql", "");
	read_ok(&dir, "migrations/");
	assert_string_equal(dir.migrations[0].path, "migrations/0001.sql");
	mdir_release(&dir);
	read_ok(&dir, "./migrations");
	assert_string_equal(dir.migrations[0].path, "./migrations/0001.sql");
	mdir_release(&dir);
}

static void test_symlinks(void **state)
{
	struct mdir dir;

	(void)state;
	mk("elsewhere");
	PUT("elsewhere/real.sql", REF1);
	assert_int_equal(symlink("../elsewhere/real.sql", "migrations/0001_link.sql"), 0);
	read_ok(&dir, "migrations");
	assert_int_equal(dir.nmigrations, 1);
	assert_string_equal(dir.migrations[0].hash, REF1_MD5);
	assert_string_equal(dir.migrations[0].path, "migrations/0001_link.sql");
	mdir_release(&dir);
	/* A symlinked migration directory is followed too. */
	assert_int_equal(symlink("migrations", "linked"), 0);
	read_ok(&dir, "linked");
	assert_string_equal(dir.migrations[0].path, "linked/0001_link.sql");
	mdir_release(&dir);
}

static void test_unreadable(void **state)
{
	static const struct {
		const char *setup_target; /* symlink target, or NULL for a dir */
		const char *part;
		/* clang-format off */
	} cases[] = {
		{ "does-not-exist.sql", "No such file or directory" },
		{ "0003_users.sql", "Too many levels of symbolic links" },
		{ "../elsewhere", "Is a directory" },
		{ NULL, "Is a directory" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	mk("elsewhere");
	PUT("migrations/0001.sql", "select 1;\n");
	for (i = 0; i < N(cases); i++) {
		if (cases[i].setup_target)
			assert_int_equal(symlink(cases[i].setup_target,
						 "migrations/0003_users.sql"),
					 0);
		else
			mk("migrations/0003_users.sql");
		expect_fail("migrations",
			    "cannot read migration 'migrations/0003_users.sql': ",
			    cases[i].part);
		test_rm_tree("migrations/0003_users.sql");
	}
	/* Same for an undo file and a .py (whose content is never read). */
	PUT("migrations/0003_users.sql", "select 1;\n");
	assert_int_equal(symlink("gone", "migrations/0003_users.undo.sql"), 0);
	expect_fail("migrations", "'migrations/0003_users.undo.sql'",
		    "No such file or directory");
	assert_int_equal(symlink("gone", "migrations/0004.py"), 0);
	unlink("migrations/0003_users.undo.sql");
	expect_fail("migrations", "'migrations/0004.py'", "No such file or directory");
}

static void test_permission_denied(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip();
	PUT("migrations/0003_users.sql", "select 1;\n");
	assert_int_equal(chmod("migrations/0003_users.sql", 0), 0);
	expect_fail("migrations",
		    "cannot read migration 'migrations/0003_users.sql': Permission denied",
		    NULL);
}

static void test_fifo(void **state)
{
	(void)state;
	/* Reading must not block on a FIFO that nobody writes: SIGALRM kills a hang. */
	assert_int_equal(mkfifo("migrations/0001.sql", 0644), 0);
	alarm(10);
	expect_fail("migrations", "'migrations/0001.sql'", "not a regular file");
	alarm(0);
}

static void test_too_large(void **state)
{
	int fd;

	(void)state;
	fd = open("migrations/0001_big.sql", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	/* Sparse: costs no disk. */
	assert_int_equal(ftruncate(fd, ((off_t)64 << 20) + 1), 0);
	close(fd);
	expect_fail("migrations", "'migrations/0001_big.sql' is too large", "64 MiB");
}

static void test_bad_content(void **state)
{
	static const struct {
		const char *data;
		size_t len;
		const char *part1, *part2;
		/* clang-format off */
	} cases[] = {
/* clang-format off */
#define C(d, p1, p2) { d, sizeof(d) - 1, p1, p2 }
		/* clang-format on */
		C("select 1;\nselect '\0';\n",
		  "NUL byte in migration 'migrations/0002_bad.sql'",
		  "byte offset 18 (line 2)"),
		C("\xEF\xBB\xBFselect '\xE9';",
		  "invalid UTF-8 in migration 'migrations/0002_bad.sql'",
		  "byte offset 11 (line 1)"),
		C("a\r\nb\r\nc\xED\xA0\x80", "invalid UTF-8", "byte offset 7 (line 3)"),
		C("--\xC0\xAF", "invalid UTF-8", "byte offset 2 "),
		C("x\xF4\x90\x80\x80", "invalid UTF-8", "byte offset 1 "),
		C("x\xE2\x82", "unexpected end of data", "byte offset 1 "),
#undef C
	};
	/* clang-format on */
	size_t i;

	(void)state;
	PUT("migrations/0001.sql", "select 1;\n");
	for (i = 0; i < N(cases); i++) {
		put("migrations/0002_bad.sql", cases[i].data, cases[i].len);
		expect_fail("migrations", cases[i].part1, cases[i].part2);
	}
	/* The undo file is checked too. */
	PUT("migrations/0002_bad.sql", "select 2;\n");
	PUT("migrations/0002_bad.undo.sql", "drop\0");
	expect_fail("migrations", "NUL byte in migration 'migrations/0002_bad.undo.sql'",
		    "byte offset 4");
	/* So are repeatable ones. */
	unlink("migrations/0002_bad.undo.sql");
	mk("migrations/post-apply");
	PUT("migrations/post-apply/grants.sql", "\xFF");
	expect_fail("migrations", "'migrations/post-apply/grants.sql'", "byte offset 0 ");
}

static void test_bad_file_name(void **state)
{
	(void)state;
	PUT("migrations/0001_caf\xE9.sql", "select 1;\n");
	expect_fail("migrations", "file name", "not valid UTF-8");
}

static void test_text_forms(void **state)
{
	static const struct {
		const char *name, *data;
		size_t len;
		const char *text, *hash;
		size_t bom_len;
		bool no_tx;
		/* clang-format off */
	} cases[] = {
/* clang-format off */
#define C(n, d, t, h, b, nt) { n, d, sizeof(d) - 1, t, h, b, nt }
		/* clang-format on */
		C("a_lf", REF1, REF1, REF1_MD5, 0, false),
		C("b_nonl", REF2, REF2, REF2_MD5, 0, false),
		C("c_crlf", "alter table simple_table add column description text;\r\n",
		  REF1, REF1_MD5, 0, false),
		C("d_cr", "alter table simple_table add column description text;\r", REF1,
		  REF1_MD5, 0, false),
		C("e_bom", "\xEF\xBB\xBFselect 1;\n", "select 1;\n", BOM_SEL_MD5, 3,
		  false),
		C("f_bom_crlf", "\xEF\xBB\xBFselect 1;\r\n", "select 1;\n", BOM_SEL_MD5,
		  3, false),
		C("g_nobom", "select 1;\n", "select 1;\n", SEL_MD5, 0, false),
		C("h_empty", "", "", EMPTY_MD5, 0, false),
		C("i_bom_only", "\xEF\xBB\xBF", "", "", 3, false),
		C("j_notx",
		  "-- flux:no-transaction \t\r\ncreate index concurrently i on t (c);\r\n",
		  "-- flux:no-transaction \t\ncreate index concurrently i on t (c);\n",
		  NULL, 0, true),
		C("k_bom_notx", "\xEF\xBB\xBF-- flux:no-transaction\nvacuum;",
		  "-- flux:no-transaction\nvacuum;", NULL, 3, true),
		C("l_second_line", "select 1;\n-- flux:no-transaction\n",
		  "select 1;\n-- flux:no-transaction\n", NULL, 0, false),
		C("m_comment_only", "-- nothing to do\n", "-- nothing to do\n", NULL, 0,
		  false),
#undef C
	};
	/* clang-format on */
	struct mdir dir;
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		snprintf(path, sizeof(path), "migrations/%s.sql", cases[i].name);
		put(path, cases[i].data, cases[i].len);
		snprintf(path, sizeof(path), "migrations/%s.undo.sql", cases[i].name);
		put(path, cases[i].data, cases[i].len);
	}
	read_ok(&dir, "migrations");
	assert_int_equal(dir.nmigrations, N(cases));
	for (i = 0; i < N(cases); i++) {
		const struct mdir_migration *m = &dir.migrations[i];
		char want_hash[33];

		assert_string_equal(m->id, cases[i].name);
		assert_int_equal(m->text_len, strlen(cases[i].text));
		assert_string_equal(text_of(m, false), cases[i].text);
		assert_int_equal(m->bom_len, cases[i].bom_len);
		/* The hash covers the BOM the text no longer has. */
		if (cases[i].hash && cases[i].hash[0]) {
			assert_string_equal(m->hash, cases[i].hash);
		} else {
			struct sb s = SB_INIT;

			if (cases[i].bom_len)
				sb_add(&s, "\xEF\xBB\xBF", 3);
			sb_add(&s, cases[i].text, strlen(cases[i].text));
			mdir_md5_hex(s.buf, s.len, want_hash);
			assert_string_equal(m->hash, want_hash);
			sb_release(&s);
		}
		if (m->no_transaction != cases[i].no_tx)
			fail_msg("%s: no_transaction %d", m->id, m->no_transaction);
		assert_string_equal(text_of(m, true), cases[i].text);
		assert_int_equal(m->undo_len, strlen(cases[i].text));
		if (m->undo_no_transaction != cases[i].no_tx)
			fail_msg("%s: undo_no_transaction %d", m->id,
				 m->undo_no_transaction);
	}
	/* BOM and no BOM differ in hash though their texts are the same. */
	assert_string_not_equal(mdir_find(&dir, "e_bom")->hash,
				mdir_find(&dir, "g_nobom")->hash);
	assert_string_equal(text_of(mdir_find(&dir, "e_bom"), false),
			    text_of(mdir_find(&dir, "g_nobom"), false));
	mdir_release(&dir);
}

static void test_find(void **state)
{
	static const char *ids[] = { "0001", "0002", "0005", "0010", "b" };
	static const char *absent[] = { "",     "0000", "0003", "00010",
					"0011", "a",    "c",    "0001.sql" };
	struct mdir dir;
	char path[64];
	size_t i;

	(void)state;
	for (i = 0; i < N(ids); i++) {
		snprintf(path, sizeof(path), "migrations/%s.sql", ids[i]);
		put(path, ids[i], strlen(ids[i]));
	}
	read_ok(&dir, "migrations");
	assert_null(mdir_find(NULL, "0001"));
	assert_null(mdir_find(&dir, NULL));
	for (i = 0; i < N(ids); i++) {
		const struct mdir_migration *m = mdir_find(&dir, ids[i]);

		assert_non_null(m);
		assert_ptr_equal(m, &dir.migrations[i]);
		assert_string_equal(text_of(m, false), ids[i]);
	}
	for (i = 0; i < N(absent); i++) {
		if (mdir_find(&dir, absent[i]))
			fail_msg("mdir_find('%s') found something", absent[i]);
	}
	mdir_release(&dir);
}

static void test_thousand(void **state)
{
	struct timespec t0, t1;
	struct mdir dir;
	char path[64], body[512];
	double ms;
	int i;

	(void)state;
	/* Created in reverse so that the sort does the work. */
	for (i = 999; i >= 0; i--) {
		int n = snprintf(
			body, sizeof(body),
			"-- migration %d\r\ncreate table t%04d (id bigint primary key,"
			" name text not null, created_at timestamptz default now());\r\n",
			i, i);

		snprintf(path, sizeof(path), "migrations/%04d_table.sql", i);
		put(path, body, (size_t)n);
		if (i % 2) {
			snprintf(path, sizeof(path), "migrations/%04d_table.undo.sql", i);
			PUT(path, "drop table x;\n");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_ok(&dir, "migrations");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("read 1000 migrations in %.2f ms\n", ms);
	/* Generous: sanitizers slow this down several times. */
	assert_true(ms < 1000.0);
	assert_int_equal(dir.nmigrations, 1000);
	for (i = 0; i < 1000; i++) {
		char id[32];
		const struct mdir_migration *m;

		snprintf(id, sizeof(id), "%04d_table", i);
		m = mdir_find(&dir, id);
		assert_non_null(m);
		assert_ptr_equal(m, &dir.migrations[i]);
		assert_null(strchr(text_of(m, false), '\r'));
		assert_int_equal(m->undo_path != NULL, i % 2);
	}
	mdir_release(&dir);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5),
		cmocka_unit_test(test_normalise_ok),
		cmocka_unit_test(test_normalise_bad),
		cmocka_unit_test(test_no_transaction),
		T(test_order_by_id_bytes),
		T(test_sql_and_undo),
		T(test_python),
		T(test_duplicate_id),
		T(test_repeatable),
		T(test_repeatable_errors),
		T(test_repeatable_not_dir),
		T(test_ignored_entries),
		T(test_empty_dir),
		T(test_missing_dir),
		T(test_root_trailing_slash),
		T(test_symlinks),
		T(test_unreadable),
		T(test_permission_denied),
		T(test_fifo),
		T(test_too_large),
		T(test_bad_content),
		T(test_bad_file_name),
		T(test_text_forms),
		T(test_find),
		T(test_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
