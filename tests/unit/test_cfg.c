/* Unit tests for src/cfg.c: settings table, cfg_set, durations, identifiers,
 * the config file, precedence, cfg_locate and cfg_format_value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "sb.h"
#include "test_lib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- helpers ----------------------------------------------------------- */

/* Write content to test_tmpdir/name; returns the path (static buffer). */
static const char *write_file(const char *name, const char *content)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	return path;
}

/* tmpl with every "%s" replaced by path (the templates are data, not formats). */
static char *with_path(const char *tmpl, const char *path)
{
	struct sb sb = SB_INIT;
	const char *p;

	while ((p = strstr(tmpl, "%s"))) {
		sb_add(&sb, tmpl, (size_t)(p - tmpl));
		sb_adds(&sb, path);
		tmpl = p + 2;
	}
	sb_adds(&sb, tmpl);
	return sb_detach(&sb, NULL);
}

static char *formatted(const struct flux_config *cfg, enum cfg_key key)
{
	struct sb sb = SB_INIT;

	cfg_format_value(cfg, key, &sb);
	return sb_detach(&sb, NULL);
}

static void assert_value(const struct flux_config *cfg, enum cfg_key key,
			 const char *want)
{
	char *got = formatted(cfg, key);

	if (strcmp(got, want) != 0)
		fail_msg("%s = '%s', want '%s'", cfg_settings[key].name, got, want);
	free(got);
}

/* --- the table --------------------------------------------------------- */

static void test_settings_table(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_setting *s = &cfg_settings[i];

		assert_int_equal(s->key, i);
		assert_non_null(s->name);
		assert_non_null(s->env);
		assert_non_null(s->accepted);
		assert_int_equal(strncmp(s->env, "FLUX_", 5), 0);
		assert_true(!s->section == !s->file_key);
		if (s->flag)
			assert_int_equal(strncmp(s->flag, "--", 2), 0);
		for (j = 0; j < i; j++) {
			assert_string_not_equal(s->name, cfg_settings[j].name);
			assert_string_not_equal(s->env, cfg_settings[j].env);
		}
	}
	assert_true(cfg_settings[CFG_DATABASE_URL].secret);
	assert_null(cfg_settings[CFG_DATABASE_URL].file_key);
	assert_string_equal(cfg_settings[CFG_MIGRATIONS_TABLE].section, "backend");
	assert_string_equal(cfg_settings[CFG_LOG_LEVEL].flag, "--log-level");
	assert_string_equal(cfg_settings[CFG_AUTO_APPROVE].flag, "--auto-approve");
	assert_null(cfg_settings[CFG_BACKEND].flag);
}

static void test_defaults(void **state)
{
	/* clang-format off */
	static const char *const want[CFG_NKEYS] = {
		[CFG_BACKEND] = "postgres",
		[CFG_MIGRATION_DIRECTORY] = "migrations",
		[CFG_LOG_LEVEL] = "info",
		[CFG_APPLY_REPEATABLE_ON_UNDO] = "true",
		[CFG_MIGRATIONS_SCHEMA] = "public",
		[CFG_MIGRATIONS_TABLE] = "_flux_migrations",
		[CFG_MIGRATIONS_LOCK_ID] = "3589",
		[CFG_DATABASE_URL] = "(not set: libpq PG* variables apply)",
		[CFG_WAIT_TIMEOUT] = "60s",
		[CFG_LOCK_TIMEOUT] = "0",
		[CFG_LOG_FORMAT] = "text",
		[CFG_AUTO_APPROVE] = "false",
		[CFG_TERMINATION_LOG] =
			"(not set: /dev/termination-log when it exists and is writable)",
		[CFG_LINT_IGNORE] = "(none)",
		[CFG_DDL_LOCK_TIMEOUT] = "0 (off)",
		[CFG_DDL_LOCK_RETRIES] = "10",
	};
	/* clang-format on */
	struct flux_config cfg;
	int i;

	(void)state;
	cfg_init(&cfg);
	for (i = 0; i < CFG_NKEYS; i++) {
		assert_value(&cfg, (enum cfg_key)i, want[i]);
		assert_int_equal(cfg.source[i], CFG_SRC_DEFAULT);
		assert_string_equal(cfg.where[i], "default");
	}
	assert_null(cfg.database_url);
	assert_null(cfg.config_path);
	assert_int_equal(cfg.wait_timeout_ms, 60000);
	assert_int_equal(cfg.lock_timeout_ms, 0);
	assert_true(cfg.migrations_lock_id == 3589);
	assert_int_equal(cfg.log_level, LOG_INFO);
	assert_int_equal(cfg.log_format, LOG_TEXT);
	cfg_release(&cfg);
	cfg_release(NULL);
	assert_string_equal(cfg_source_name(CFG_SRC_DEFAULT), "default");
	assert_string_equal(cfg_source_name(CFG_SRC_FILE), "file");
	assert_string_equal(cfg_source_name(CFG_SRC_ENV), "env");
	assert_string_equal(cfg_source_name(CFG_SRC_FLAG), "flag");
}

/* --- cfg_set ----------------------------------------------------------- */

static void test_set_good(void **state)
{
	static const struct {
		enum cfg_key key;
		const char *value, *shown;
		/* clang-format off */
	} cases[] = {
		{ CFG_BACKEND, "postgres", "postgres" },
		{ CFG_BACKEND, "Postgres", "postgres" },
		{ CFG_MIGRATION_DIRECTORY, "db/migrations", "db/migrations" },
		{ CFG_MIGRATION_DIRECTORY, "/abs path/with space", "/abs path/with space" },
		{ CFG_LOG_LEVEL, "debug", "debug" },
		{ CFG_LOG_LEVEL, "INFO", "info" },
		{ CFG_LOG_LEVEL, "Warning", "warning" },
		{ CFG_LOG_LEVEL, "error", "error" },
		{ CFG_APPLY_REPEATABLE_ON_UNDO, "false", "false" },
		{ CFG_APPLY_REPEATABLE_ON_UNDO, "TRUE", "true" },
		{ CFG_MIGRATIONS_SCHEMA, "flux", "flux" },
		{ CFG_MIGRATIONS_SCHEMA, "_s1", "_s1" },
		{ CFG_MIGRATIONS_TABLE, "My_Table", "My_Table" },
		{ CFG_MIGRATIONS_LOCK_ID, "42", "42" },
		{ CFG_MIGRATIONS_LOCK_ID, "-1", "-1" },
		{ CFG_MIGRATIONS_LOCK_ID, "+7", "7" },
		{ CFG_MIGRATIONS_LOCK_ID, "1_000_000", "1000000" },
		{ CFG_MIGRATIONS_LOCK_ID, "9223372036854775807", "9223372036854775807" },
		{ CFG_MIGRATIONS_LOCK_ID, "-9223372036854775808", "-9223372036854775808" },
		{ CFG_MIGRATIONS_LOCK_ID, "0", "0" },
		{ CFG_DATABASE_URL, "postgresql://u:pw@h/db", "postgresql://u:***@h/db" },
		{ CFG_DATABASE_URL, "postgresql+asyncpg://h/db", "postgresql://h/db" },
		{ CFG_DATABASE_URL, "host=h password=pw", "host=h password=***" },
		{ CFG_WAIT_TIMEOUT, "500ms", "500ms" },
		{ CFG_WAIT_TIMEOUT, "30s", "30s" },
		{ CFG_WAIT_TIMEOUT, "2m", "120s" },
		{ CFG_WAIT_TIMEOUT, "0", "0" },
		{ CFG_WAIT_TIMEOUT, "15", "15s" },
		{ CFG_LOCK_TIMEOUT, "1500ms", "1500ms" },
		{ CFG_LOCK_TIMEOUT, "10", "10s" },
		{ CFG_LOG_FORMAT, "json", "json" },
		{ CFG_LOG_FORMAT, "TEXT", "text" },
		{ CFG_AUTO_APPROVE, "true", "true" },
		{ CFG_AUTO_APPROVE, "False", "false" },
		{ CFG_LINT_IGNORE, "rename", "rename" },
		{ CFG_LINT_IGNORE, " drop-column-or-table , rename,", "rename,drop-column-or-table" },
		{ CFG_LINT_IGNORE, "", "(none)" },
		{ CFG_DDL_LOCK_TIMEOUT, "200ms", "200ms" },
		{ CFG_DDL_LOCK_TIMEOUT, "0", "0 (off)" },
		{ CFG_DDL_LOCK_RETRIES, "0", "0" },
		{ CFG_DDL_LOCK_RETRIES, "25", "25" },
	};
	/* clang-format on */
	struct flux_config cfg;
	size_t i;

	(void)state;
	cfg_init(&cfg);
	for (i = 0; i < N(cases); i++) {
		struct flux_err err = FLUX_ERR_INIT;

		if (cfg_set(&cfg, cases[i].key, cases[i].value, CFG_SRC_ENV,
			    cfg_settings[cases[i].key].env, &err) != 0)
			fail_msg("cfg_set(%s, '%s'): %s", cfg_settings[cases[i].key].name,
				 cases[i].value, err.msg);
		assert_value(&cfg, cases[i].key, cases[i].shown);
		assert_int_equal(cfg.source[cases[i].key], CFG_SRC_ENV);
		assert_string_equal(cfg.where[cases[i].key],
				    cfg_settings[cases[i].key].env);
		err_release(&err);
	}
	cfg_release(&cfg);
}

static void test_set_typed(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;

	(void)state;
	cfg_init(&cfg);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "warning", CFG_SRC_FLAG,
				 "--log-level", &err),
			 0);
	assert_int_equal(cfg.log_level, LOG_WARNING);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_FORMAT, "json", CFG_SRC_FLAG,
				 "--log-format", &err),
			 0);
	assert_int_equal(cfg.log_format, LOG_JSON);
	assert_int_equal(cfg_set(&cfg, CFG_WAIT_TIMEOUT, "2m", CFG_SRC_FLAG,
				 "--wait-timeout", &err),
			 0);
	assert_int_equal(cfg.wait_timeout_ms, 120000);
	assert_int_equal(cfg_set(&cfg, CFG_MIGRATIONS_LOCK_ID, "-9223372036854775808",
				 CFG_SRC_FILE, "flux.ini:2", &err),
			 0);
	assert_true(cfg.migrations_lock_id == INT64_MIN);
	assert_int_equal(cfg_set(&cfg, CFG_DATABASE_URL, "postgres+aiopg://u:pw@h/db",
				 CFG_SRC_FLAG, "--database-url", &err),
			 0);
	/* stored normalised, unredacted: the database layer needs the password */
	assert_string_equal(cfg.database_url, "postgres://u:pw@h/db");
	assert_int_equal(cfg_set(&cfg, CFG_AUTO_APPROVE, "true", CFG_SRC_FLAG,
				 "--auto-approve", &err),
			 0);
	assert_true(cfg.auto_approve);
	assert_string_equal(cfg.where[CFG_AUTO_APPROVE], "--auto-approve");
	assert_int_equal(cfg.source[CFG_AUTO_APPROVE], CFG_SRC_FLAG);
	/* a NULL where falls back to the source's name */
	assert_int_equal(cfg_set(&cfg, CFG_BACKEND, "postgres", CFG_SRC_ENV, NULL, &err),
			 0);
	assert_string_equal(cfg.where[CFG_BACKEND], "env");
	cfg_release(&cfg);
	err_release(&err);
}

static void test_set_bad(void **state)
{
	static const struct {
		enum cfg_key key;
		const char *value;
		enum cfg_source source;
		const char *where;
		enum flux_exit code;
		const char *msg;
		/* clang-format off */
	} cases[] = {
		{ CFG_LOG_LEVEL, "loud", CFG_SRC_FILE, "flux.ini:3", FLUX_EXIT_CONFIG,
		  "invalid log_level 'loud' in flux.ini:3: expected one of debug, info, warning, error" },
		{ CFG_LOG_LEVEL, "loud", CFG_SRC_ENV, "FLUX_LOG_LEVEL", FLUX_EXIT_CONFIG,
		  "invalid log_level 'loud' in FLUX_LOG_LEVEL: expected one of debug, info, warning, error" },
		{ CFG_LOG_LEVEL, "loud", CFG_SRC_FLAG, "--log-level", FLUX_EXIT_USAGE,
		  "invalid log_level 'loud' in --log-level: expected one of debug, info, warning, error" },
		{ CFG_LOG_LEVEL, "warn", CFG_SRC_ENV, "FLUX_LOG_LEVEL", FLUX_EXIT_CONFIG,
		  "invalid log_level 'warn' in FLUX_LOG_LEVEL: expected one of debug, info, warning, error" },
		{ CFG_LOG_LEVEL, "", CFG_SRC_ENV, "FLUX_LOG_LEVEL", FLUX_EXIT_CONFIG,
		  "invalid log_level '' in FLUX_LOG_LEVEL: expected one of debug, info, warning, error" },
		{ CFG_BACKEND, "mysql", CFG_SRC_FILE, "flux.toml:2", FLUX_EXIT_CONFIG,
		  "invalid backend 'mysql' in flux.toml:2: expected one of postgres" },
		{ CFG_MIGRATION_DIRECTORY, "", CFG_SRC_FLAG, "--migration-directory", FLUX_EXIT_USAGE,
		  "invalid migration_directory '' in --migration-directory: expected a directory path" },
		{ CFG_APPLY_REPEATABLE_ON_UNDO, "yes", CFG_SRC_FILE, "flux.ini:5", FLUX_EXIT_CONFIG,
		  "invalid apply_repeatable_on_undo 'yes' in flux.ini:5: expected one of true, false" },
		{ CFG_APPLY_REPEATABLE_ON_UNDO, "1", CFG_SRC_ENV, "FLUX_APPLY_REPEATABLE_ON_UNDO", FLUX_EXIT_CONFIG,
		  "invalid apply_repeatable_on_undo '1' in FLUX_APPLY_REPEATABLE_ON_UNDO: expected one of true, false" },
		{ CFG_AUTO_APPROVE, "y", CFG_SRC_ENV, "FLUX_AUTO_APPROVE", FLUX_EXIT_CONFIG,
		  "invalid auto_approve 'y' in FLUX_AUTO_APPROVE: expected one of true, false" },
		{ CFG_MIGRATIONS_SCHEMA, "my-schema", CFG_SRC_FILE, "flux.ini:8", FLUX_EXIT_CONFIG,
		  "invalid migrations_schema 'my-schema' in flux.ini:8: expected an identifier: "
		  "a letter or '_', then up to 62 letters, digits or '_'" },
		{ CFG_MIGRATIONS_TABLE, "t; drop table x", CFG_SRC_ENV, "FLUX_MIGRATIONS_TABLE", FLUX_EXIT_CONFIG,
		  "invalid migrations_table 't; drop table x' in FLUX_MIGRATIONS_TABLE: expected an identifier: "
		  "a letter or '_', then up to 62 letters, digits or '_'" },
		{ CFG_MIGRATIONS_LOCK_ID, "9223372036854775808", CFG_SRC_ENV, "FLUX_MIGRATIONS_LOCK_ID", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '9223372036854775808' in FLUX_MIGRATIONS_LOCK_ID: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "-9223372036854775809", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '-9223372036854775809' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "12abc", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '12abc' in X: expected an integer (int64)" },
		/* reserved words cannot name a schema or table unquoted */
		{ CFG_MIGRATIONS_TABLE, "user", CFG_SRC_ENV, "FLUX_MIGRATIONS_TABLE", FLUX_EXIT_CONFIG,
		  "invalid migrations_table 'user' in FLUX_MIGRATIONS_TABLE: a reserved word in "
		  "PostgreSQL, which flux's unquoted names cannot use; choose another name" },
		{ CFG_MIGRATIONS_SCHEMA, "Select", CFG_SRC_FILE, "flux.toml:4", FLUX_EXIT_CONFIG,
		  "invalid migrations_schema 'Select' in flux.toml:4: a reserved word in "
		  "PostgreSQL, which flux's unquoted names cannot use; choose another name" },
		/* a URL or conninfo given to the wrong setting: password redacted */
		{ CFG_MIGRATION_DIRECTORY, "postgresql://app:hunter2@db/app", CFG_SRC_FLAG,
		  "--migration-directory", FLUX_EXIT_USAGE,
		  "invalid migration_directory 'postgresql://app:***@db/app' in --migration-directory: "
		  "expected a directory path, not a database URL (--database-url or FLUX_DATABASE_URL takes that)" },
		{ CFG_WAIT_TIMEOUT, "postgresql://app:hunter2@db/app", CFG_SRC_FLAG, "--wait-timeout",
		  FLUX_EXIT_USAGE,
		  "invalid wait_timeout 'postgresql://app:***@db/app' in --wait-timeout: "
		  "expected a duration: 500ms, 30s, 2m or seconds" },
		{ CFG_LOCK_TIMEOUT, "postgres+asyncpg://h/db?password=hunter2", CFG_SRC_ENV,
		  "FLUX_LOCK_TIMEOUT", FLUX_EXIT_CONFIG,
		  "invalid lock_timeout 'postgres+asyncpg://h/db?password=***' in FLUX_LOCK_TIMEOUT: "
		  "expected a duration: 500ms, 30s, 2m or seconds" },
		{ CFG_LOG_LEVEL, "host=db password=hunter2 user=u", CFG_SRC_FILE, "flux.ini:2",
		  FLUX_EXIT_CONFIG,
		  "invalid log_level 'host=db password=*** user=u' in flux.ini:2: "
		  "expected one of debug, info, warning, error" },
		{ CFG_MIGRATIONS_SCHEMA, "host=db password='hun ter2'", CFG_SRC_ENV,
		  "FLUX_MIGRATIONS_SCHEMA", FLUX_EXIT_CONFIG,
		  "invalid migrations_schema 'host=db password=***' in FLUX_MIGRATIONS_SCHEMA: "
		  "expected an identifier: a letter or '_', then up to 62 letters, digits or '_'" },
		{ CFG_MIGRATIONS_LOCK_ID, " 12", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id ' 12' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "0x10", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '0x10' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "1__0", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '1__0' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "_1", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '_1' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "-", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '-' in X: expected an integer (int64)" },
		{ CFG_MIGRATIONS_LOCK_ID, "", CFG_SRC_ENV, "X", FLUX_EXIT_CONFIG,
		  "invalid migrations_lock_id '' in X: expected an integer (int64)" },
		{ CFG_WAIT_TIMEOUT, "soon", CFG_SRC_FLAG, "--wait-timeout", FLUX_EXIT_USAGE,
		  "invalid wait_timeout 'soon' in --wait-timeout: expected a duration: 500ms, 30s, 2m or seconds" },
		{ CFG_LOCK_TIMEOUT, "-1", CFG_SRC_ENV, "FLUX_LOCK_TIMEOUT", FLUX_EXIT_CONFIG,
		  "invalid lock_timeout '-1' in FLUX_LOCK_TIMEOUT: expected a duration: 500ms, 30s, 2m or seconds" },
		{ CFG_LOG_FORMAT, "xml", CFG_SRC_FLAG, "--log-format", FLUX_EXIT_USAGE,
		  "invalid log_format 'xml' in --log-format: expected one of text, json" },
		/* control bytes are escaped, long values cut */
		{ CFG_LOG_FORMAT, "a\nb\x1b", CFG_SRC_ENV, "FLUX_LOG_FORMAT", FLUX_EXIT_CONFIG,
		  "invalid log_format 'a\\x0ab\\x1b' in FLUX_LOG_FORMAT: expected one of text, json" },
		{ CFG_LOG_FORMAT,
		  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxyz",
		  CFG_SRC_ENV, "FLUX_LOG_FORMAT", FLUX_EXIT_CONFIG,
		  "invalid log_format "
		  "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
		  " in FLUX_LOG_FORMAT: expected one of text, json" },
		/* a URL libpq cannot take is exit 3 from any source (SPEC 4), redacted */
		{ CFG_DATABASE_URL, "postgresql://u:hunter2@h:port/db", CFG_SRC_FLAG, "--database-url",
		  FLUX_EXIT_CONFIG,
		  "invalid database URL 'postgresql://u:***@h:port/db' in --database-url: invalid port number: \"port\"" },
		{ CFG_DATABASE_URL, "host='x password=hunter2", CFG_SRC_ENV, "FLUX_DATABASE_URL",
		  FLUX_EXIT_CONFIG,
		  "invalid database URL 'host='x password=***' in FLUX_DATABASE_URL: "
		  "unterminated quoted string in connection info string" },
		{ CFG_DATABASE_URL, "", CFG_SRC_FLAG, "--database-url", FLUX_EXIT_CONFIG,
		  "invalid database URL '' in --database-url: expected a libpq URI or key=value string" },
		/* lint rule IDs are exact: an unknown one is named */
		{ CFG_LINT_IGNORE, "rename,Rename", CFG_SRC_ENV, "FLUX_LINT_IGNORE", FLUX_EXIT_CONFIG,
		  "invalid lint_ignore 'rename,Rename' in FLUX_LINT_IGNORE: unknown rule 'Rename': "
		  "expected comma-separated rule IDs of 'flux lint --help'" },
		{ CFG_LINT_IGNORE, "rename drop-column-or-table", CFG_SRC_FILE, "flux.ini:2",
		  FLUX_EXIT_CONFIG,
		  "invalid lint_ignore 'rename drop-column-or-table' in flux.ini:2: unknown rule "
		  "'rename drop-column-or-table': expected comma-separated rule IDs of 'flux lint --help'" },
		{ CFG_DDL_LOCK_RETRIES, "-1", CFG_SRC_ENV, "FLUX_DDL_LOCK_RETRIES", FLUX_EXIT_CONFIG,
		  "invalid ddl_lock_retries '-1' in FLUX_DDL_LOCK_RETRIES: expected a whole number from 0 to 1000" },
		{ CFG_DDL_LOCK_TIMEOUT, "soon", CFG_SRC_FLAG, "--ddl-lock-timeout", FLUX_EXIT_USAGE,
		  "invalid ddl_lock_timeout 'soon' in --ddl-lock-timeout: expected a duration: 500ms, 30s, 2m or seconds; 0 is off" },
	};
	/* clang-format on */
	struct flux_config cfg;
	size_t i;
	char *before, *after;

	(void)state;
	cfg_init(&cfg);
	for (i = 0; i < N(cases); i++) {
		struct flux_err err = FLUX_ERR_INIT;

		before = formatted(&cfg, cases[i].key);
		if (cfg_set(&cfg, cases[i].key, cases[i].value, cases[i].source,
			    cases[i].where, &err) != -1)
			fail_msg("cfg_set(%s, '%s') accepted it",
				 cfg_settings[cases[i].key].name, cases[i].value);
		assert_string_equal(err.msg, cases[i].msg);
		assert_int_equal(err.code, cases[i].code);
		/* a bad value changes nothing */
		after = formatted(&cfg, cases[i].key);
		assert_string_equal(before, after);
		assert_int_equal(cfg.source[cases[i].key], CFG_SRC_DEFAULT);
		free(before);
		free(after);
		err_release(&err);
	}
	cfg_release(&cfg);
}

/* However a URL is broken, its password never shows in the message. */
static void test_set_url_never_echoes_password(void **state)
{
	/* clang-format off */
	static const char *const bad[] = {
		"postgresql://u:hunter2@h:nope/db",
		"postgresql+asyncpg://u:hunter2@h/db?bogus=1",
		"postgresql://u:hunter2%zz@h/db",
		"host=h password=hunter2 port=nope",
		"host=h password='hunter2' bogus",
		"postgresql://h/db?password=hunter2&sslmode=nope",
		"host='x password=hunter2",
		"host=x password='hunter2",
		"password=hunter2 host='x",
	};
	/* clang-format on */
	struct flux_config cfg;
	size_t i;

	(void)state;
	cfg_init(&cfg);
	for (i = 0; i < N(bad); i++) {
		struct flux_err err = FLUX_ERR_INIT;

		assert_int_equal(cfg_set(&cfg, CFG_DATABASE_URL, bad[i], CFG_SRC_ENV,
					 "FLUX_DATABASE_URL", &err),
				 -1);
		if (strstr(err.msg, "hunter2"))
			fail_msg("password in '%s'", err.msg);
		assert_int_equal(err.code, FLUX_EXIT_CONFIG);
		err_release(&err);
	}
	cfg_release(&cfg);
}

/* --- durations and identifiers ----------------------------------------- */

static void test_reserved_words(void **state)
{
	static const struct {
		const char *in;
		bool want;
		/* clang-format off */
	} cases[] = {
		{ "select", true }, { "user", true }, { "order", true },
		{ "USER", true }, { "Table", true }, { "all", true },
		{ "with", true }, { "left", true }, { "verbose", true },
		{ "system_user", true }, { "current_schema", true },
		{ "public", false }, { "_flux_migrations", false },
		{ "users", false }, { "selects", false }, { "orders", false },
		{ "name", false }, { "int", false }, { "a", false }, { "", false },
		{ "zzz", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++)
		if (cfg_reserved_word(cases[i].in) != cases[i].want)
			fail_msg("cfg_reserved_word('%s') != %d", cases[i].in,
				 cases[i].want);
}

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		long want;
		/* clang-format off */
	} cases[] = {
		{ "0", 0 },
		{ "0ms", 0 },
		{ "0s", 0 },
		{ "500ms", 500 },
		{ "30s", 30000 },
		{ "2m", 120000 },
		{ "45", 45000 },
		{ "007", 7000 },
		{ "1", 1000 },
		{ "9223372036854775807ms", 9223372036854775807L },
		{ "9223372036854775808ms", -1 },
		{ "9223372036854775807", -1 },
		{ "153722867280912931m", -1 },
		{ "99999999999999999999999", -1 },
		{ "", -1 },
		{ "-1", -1 },
		{ "+1", -1 },
		{ " 1", -1 },
		{ "1 ", -1 },
		{ "1.5s", -1 },
		{ "1h", -1 },
		{ "1S", -1 },
		{ "1sec", -1 },
		{ "ms", -1 },
		{ "s", -1 },
		{ "10mss", -1 },
		{ "abc", -1 },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	assert_int_equal(cfg_parse_duration_ms(NULL), -1);
	for (i = 0; i < N(cases); i++) {
		long got = cfg_parse_duration_ms(cases[i].in);

		if (got != cases[i].want)
			fail_msg("cfg_parse_duration_ms('%s') = %ld, want %ld",
				 cases[i].in, got, cases[i].want);
	}
}

static void test_identifiers(void **state)
{
	static const char c63[] =
		"a12345678901234567890123456789012345678901234567890123456789012";
	static const char c64[] =
		"a123456789012345678901234567890123456789012345678901234567890123";
	static const struct {
		const char *in;
		bool want;
		/* clang-format off */
	} cases[] = {
		{ "public", true },
		{ "_flux_migrations", true },
		{ "_", true },
		{ "a", true },
		{ "Z9", true },
		{ "MixedCase_1", true },
		{ c63, true },
		{ c64, false },
		{ "", false },
		{ "1abc", false },
		{ "9", false },
		{ "a-b", false },
		{ "a b", false },
		{ "a.b", false },
		{ "\"quoted\"", false },
		{ "a\"b", false },
		{ "a;drop", false },
		{ "t;", false },
		{ "a'b", false },
		{ "caf\xc3\xa9", false },
		{ "\xc3\xa9t\xc3\xa9", false },
		{ "$a", false },
		{ "a$", false },
		{ " a", false },
		{ "a\n", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	assert_int_equal(strlen(c63), 63);
	assert_int_equal(strlen(c64), 64);
	assert_false(cfg_valid_identifier(NULL));
	for (i = 0; i < N(cases); i++)
		if (cfg_valid_identifier(cases[i].in) != cases[i].want)
			fail_msg("cfg_valid_identifier('%s') != %d", cases[i].in,
				 cases[i].want);
}

/* --- the config file --------------------------------------------------- */

struct file_case {
	const char *name;
	const char *content;
	int rc;
	enum flux_exit code;
	const char *msg;     /* error message (rc -1), %s = path */
	const char *warning; /* expected in stderr, %s = path, or NULL */
	/* expected values after a successful load, NULL = default */
	const char *values[CFG_NKEYS];
};

/* clang-format off */
static const struct file_case file_cases[] = {
	{ "flux-migrations flux.toml", "[flux]\n"
	  "backend = \"postgres\"\n"
	  "migration_directory = \"migrations\"\n"
	  "log_level = \"INFO\"\n"
	  "apply_repeatable_on_undo = true\n"
	  "\n"
	  "[backend]\n"
	  "migrations_table = \"_flux_migrations\"\n"
	  "migrations_schema = \"public\"\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_BACKEND] = "postgres", [CFG_MIGRATION_DIRECTORY] = "migrations",
	    [CFG_LOG_LEVEL] = "info", [CFG_APPLY_REPEATABLE_ON_UNDO] = "true",
	    [CFG_MIGRATIONS_TABLE] = "_flux_migrations",
	    [CFG_MIGRATIONS_SCHEMA] = "public" } },
	{ "bare values", "[flux]\n"
	  "migration_directory = db/migrations\n"
	  "log_level = debug\n"
	  "apply_repeatable_on_undo = false\n"
	  "[backend]\n"
	  "migrations_schema = flux\n"
	  "migrations_table = history\n"
	  "migrations_lock_id = -42\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "db/migrations", [CFG_LOG_LEVEL] = "debug",
	    [CFG_APPLY_REPEATABLE_ON_UNDO] = "false", [CFG_MIGRATIONS_SCHEMA] = "flux",
	    [CFG_MIGRATIONS_TABLE] = "history", [CFG_MIGRATIONS_LOCK_ID] = "-42" } },
	{ "quoted, escapes and comments", "# a TOML comment\n"
	  "; an INI comment\n"
	  "[flux]\n"
	  "migration_directory = \"dir \\\"q\\\" \\\\ x\"  # comment\n"
	  "log_level = 'warning' # comment\n"
	  "[backend]\n"
	  "migrations_table = t1 # comment\n"
	  "migrations_schema = s1 ; comment\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "dir \"q\" \\ x", [CFG_LOG_LEVEL] = "warning",
	    [CFG_MIGRATIONS_TABLE] = "t1", [CFG_MIGRATIONS_SCHEMA] = "s1" } },
	{ "quotes keep # ; and =", "[flux]\n"
	  "migration_directory = \"a #b ;c =d\"\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "a #b ;c =d" } },
	{ "single quotes are literal", "[flux]\n"
	  "migration_directory = 'C:\\migrations'\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "C:\\migrations" } },
	{ "bare value with inner #", "[flux]\n"
	  "migration_directory = dir#1\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "dir#1" } },
	{ "indented keys, CRLF, BOM, blank lines", "\xef\xbb\xbf[flux]\r\n"
	  "  log_level = \"error\"\r\n"
	  "  apply_repeatable_on_undo = false\r\n"
	  "\r\n"
	  "\t[backend]\r\n"
	  "\tmigrations_lock_id = 1_000\r\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_LOG_LEVEL] = "error", [CFG_APPLY_REPEATABLE_ON_UNDO] = "false",
	    [CFG_MIGRATIONS_LOCK_ID] = "1000" } },
	/* TOML: a key may be defined once; flux.ini is read the same way. */
	{ "duplicate key", "[flux]\n"
	  "log_level = debug\n"
	  "log_level = error\n",
	  -1, FLUX_EXIT_CONFIG,
	  "duplicate key 'flux.log_level' in %s:3: already set at line 2 (TOML allows a key once)",
	  NULL, { NULL } },
	{ "duplicate key in a repeated section", "[flux]\n"
	  "log_level = debug\n"
	  "[backend]\n"
	  "migrations_table = t\n"
	  "[flux]\n"
	  "log_level = debug\n",
	  -1, FLUX_EXIT_CONFIG,
	  "duplicate key 'flux.log_level' in %s:6: already set at line 2 (TOML allows a key once)",
	  NULL, { NULL } },
	{ "duplicate unknown key", "[flux]\n"
	  "colour = red\n"
	  "colour = blue\n",
	  -1, FLUX_EXIT_CONFIG,
	  "duplicate key 'flux.colour' in %s:3: already set at line 2 (TOML allows a key once)",
	  NULL, { NULL } },
	{ "one key name in two sections is no duplicate", "[flux]\n"
	  "log_level = error\n"
	  "[backend]\n"
	  "log_level = debug\n",
	  0, FLUX_EXIT_OK, NULL, "flux: warning: unknown key 'log_level' in %s:4 (ignored)\n",
	  { [CFG_LOG_LEVEL] = "error" } },
	{ "long value line", "[flux]\n"
	  "migration_directory = \"/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/end\"\n"
	  "log_level = debug\n",
	  0, FLUX_EXIT_OK, NULL, NULL,
	  { [CFG_MIGRATION_DIRECTORY] = "/x/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/end",
	    [CFG_LOG_LEVEL] = "debug" } },
	{ "empty file", "", 0, FLUX_EXIT_OK, NULL, NULL, { NULL } },
	{ "unknown key warns and still loads", "[flux]\n"
	  "log_level = debug\n"
	  "\n"
	  "foo = 1\n"
	  "log_format = json\n",
	  0, FLUX_EXIT_OK, NULL,
	  "flux: warning: unknown key 'foo' in %s:4 (ignored)\n"
	  "flux: warning: unknown key 'log_format' in %s:5 (ignored)\n",
	  { [CFG_LOG_LEVEL] = "debug" } },
	{ "unknown section warns once", "[flux]\n"
	  "log_level = error\n"
	  "[tool.other]\n"
	  "a = 1\n"
	  "b = 2\n",
	  0, FLUX_EXIT_OK, NULL,
	  "flux: warning: unknown section '[tool.other]' in %s:4 (ignored)\n",
	  { [CFG_LOG_LEVEL] = "error" } },
	{ "key before any section", "log_level = error\n",
	  0, FLUX_EXIT_OK, NULL,
	  "flux: warning: unknown key 'log_level' in %s:1 (ignored): keys belong in [flux] or [backend]\n",
	  { NULL } },
	{ "key in the wrong section", "[backend]\nlog_level = error\n",
	  0, FLUX_EXIT_OK, NULL,
	  "flux: warning: unknown key 'log_level' in %s:2 (ignored)\n", { NULL } },
	{ "bad value names file:line", "[flux]\n"
	  "backend = \"postgres\"\n"
	  "log_level = \"loud\"\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid log_level 'loud' in %s:3: expected one of debug, info, warning, error",
	  NULL, { NULL } },
	{ "bad identifier", "[flux]\n[backend]\n\nmigrations_table = \"a-b\" # no\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid migrations_table 'a-b' in %s:4: expected an identifier: "
	  "a letter or '_', then up to 62 letters, digits or '_'",
	  NULL, { NULL } },
	{ "bad boolean", "[flux]\napply_repeatable_on_undo = \"yes\"\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid apply_repeatable_on_undo 'yes' in %s:2: expected one of true, false",
	  NULL, { NULL } },
	{ "unterminated quote", "[flux]\nlog_level = \"info\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid log_level in %s:2: unterminated quoted value", NULL, { NULL } },
	{ "text after the quote", "[flux]\nlog_level = \"info\" debug\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid log_level in %s:2: unexpected text after the closing quote", NULL, { NULL } },
	{ "syntax error line", "[flux]\n"
	  "log_level = info\n"
	  "\n"
	  "\n"
	  "\n"
	  "\n"
	  "this line has no equals sign\n"
	  "backend = postgres\n",
	  -1, FLUX_EXIT_CONFIG, "cannot parse config file '%s': syntax error at line 7",
	  NULL, { NULL } },
	{ "unclosed section", "[flux\nlog_level = info\n",
	  -1, FLUX_EXIT_CONFIG, "cannot parse config file '%s': syntax error at line 1",
	  NULL, { NULL } },
	{ "syntax error before a bad value", "[flux]\nnonsense\nlog_level = loud\n",
	  -1, FLUX_EXIT_CONFIG, "cannot parse config file '%s': syntax error at line 2",
	  NULL, { NULL } },
	{ "bad value before a syntax error", "[flux]\nlog_level = loud\nnonsense\n",
	  -1, FLUX_EXIT_CONFIG,
	  "invalid log_level 'loud' in %s:2: expected one of debug, info, warning, error",
	  NULL, { NULL } },
};
/* clang-format on */

static void check_file_case(const struct file_case *c)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	char *want, *warnings;
	const char *path;
	int rc, i;

	path = write_file("case.ini", c->content);
	cfg_init(&cfg);
	test_capture_start();
	rc = cfg_load_file(&cfg, path, &err);
	warnings = test_capture_end();
	if (rc != c->rc)
		fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc,
			 err.msg ? err.msg : "");
	if (rc < 0) {
		want = with_path(c->msg, path);
		assert_string_equal(err.msg, want);
		free(want);
		assert_int_equal(err.code, c->code);
		assert_null(cfg.config_path);
	} else {
		assert_string_equal(cfg.config_path, path);
		for (i = 0; i < CFG_NKEYS; i++) {
			if (!c->values[i]) {
				if (cfg.source[i] != CFG_SRC_DEFAULT)
					fail_msg("%s: %s not default", c->name,
						 cfg_settings[i].name);
				continue;
			}
			assert_value(&cfg, (enum cfg_key)i, c->values[i]);
			assert_int_equal(cfg.source[i], CFG_SRC_FILE);
			assert_int_equal(strncmp(cfg.where[i], path, strlen(path)), 0);
		}
	}
	if (c->warning) {
		want = with_path(c->warning, path);
		assert_string_equal(warnings, want);
		free(want);
	} else if (rc == 0) {
		assert_string_equal(warnings, "");
	}
	free(warnings);
	err_release(&err);
	cfg_release(&cfg);
}

static void test_file_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(file_cases); i++)
		check_file_case(&file_cases[i]);
}

static void test_file_where(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	char want[300];
	const char *path;

	(void)state;
	path = write_file("where.ini",
			  "[flux]\n\nlog_level = debug\n[backend]\nmigrations_lock_id=7\n");
	cfg_init(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, &err), 0);
	snprintf(want, sizeof(want), "%s:3", path);
	assert_string_equal(cfg.where[CFG_LOG_LEVEL], want);
	snprintf(want, sizeof(want), "%s:5", path);
	assert_string_equal(cfg.where[CFG_MIGRATIONS_LOCK_ID], want);
	assert_true(cfg.migrations_lock_id == 7);
	cfg_release(&cfg);
}

static void test_file_unreadable(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	char path[256], want[512];

	(void)state;
	cfg_init(&cfg);
	snprintf(path, sizeof(path), "%s/no-such.ini", test_tmpdir);
	assert_int_equal(cfg_load_file(&cfg, path, &err), -1);
	snprintf(want, sizeof(want),
		 "cannot open config file '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, FLUX_EXIT_CONFIG);

	/* a directory opens but cannot be read */
	assert_int_equal(cfg_load_file(&cfg, test_tmpdir, &err), -1);
	snprintf(want, sizeof(want), "cannot read config file '%s': Is a directory",
		 test_tmpdir);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.code, FLUX_EXIT_CONFIG);
	assert_null(cfg.config_path);
	err_release(&err);
	cfg_release(&cfg);
}

static void test_file_nul(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	char path[256], want[512];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/nul.ini", test_tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite("[flux]\nlog_level = de\0bug\n", 1, 26, f);
	fclose(f);
	cfg_init(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, &err), -1);
	snprintf(want, sizeof(want), "cannot parse config file '%s': NUL byte at line 2",
		 path);
	assert_string_equal(err.msg, want);
	err_release(&err);
	cfg_release(&cfg);
}

/* --- precedence -------------------------------------------------------- */

static void test_precedence(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	const char *path;

	(void)state;
	path = write_file("prec.ini",
			  "[flux]\nlog_level = error\nmigration_directory = from_file\n"
			  "[backend]\nmigrations_table = file_t\n");
	cfg_init(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, &err), 0);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "warning", CFG_SRC_ENV,
				 "FLUX_LOG_LEVEL", &err),
			 0);
	assert_int_equal(cfg_set(&cfg, CFG_MIGRATION_DIRECTORY, "from_env", CFG_SRC_ENV,
				 "FLUX_MIGRATION_DIRECTORY", &err),
			 0);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "debug", CFG_SRC_FLAG,
				 "--log-level", &err),
			 0);

	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_int_equal(cfg.source[CFG_LOG_LEVEL], CFG_SRC_FLAG);
	assert_string_equal(cfg.where[CFG_LOG_LEVEL], "--log-level");
	assert_string_equal(cfg.migration_directory, "from_env");
	assert_int_equal(cfg.source[CFG_MIGRATION_DIRECTORY], CFG_SRC_ENV);
	assert_string_equal(cfg.where[CFG_MIGRATION_DIRECTORY],
			    "FLUX_MIGRATION_DIRECTORY");
	assert_string_equal(cfg.migrations_table, "file_t");
	assert_int_equal(cfg.source[CFG_MIGRATIONS_TABLE], CFG_SRC_FILE);
	assert_string_equal(cfg.migrations_schema, "public");
	assert_int_equal(cfg.source[CFG_MIGRATIONS_SCHEMA], CFG_SRC_DEFAULT);

	/* a bad later value leaves the earlier one and its origin */
	assert_int_equal(cfg_set(&cfg, CFG_MIGRATIONS_TABLE, "1bad", CFG_SRC_FLAG, "--x",
				 &err),
			 -1);
	assert_string_equal(cfg.migrations_table, "file_t");
	assert_int_equal(cfg.source[CFG_MIGRATIONS_TABLE], CFG_SRC_FILE);
	err_release(&err);
	cfg_release(&cfg);
}

/* --- cfg_locate -------------------------------------------------------- */

struct locate_case {
	const char *name;
	bool ini, toml; /* files present in the working directory */
	const char *explicit_path, *env_path;
	int rc;
	const char *want; /* chosen path or error message */
	const char *warning;
};

/* clang-format off */
static const struct locate_case locate_cases[] = {
	{ "nothing", false, false, NULL, NULL, 0, NULL, NULL },
	{ "ini only", true, false, NULL, NULL, 0, "flux.ini", NULL },
	{ "toml only", false, true, NULL, NULL, 0, "flux.toml", NULL },
	{ "both", true, true, NULL, NULL, 0, "flux.ini",
	  "flux: warning: both flux.ini and flux.toml exist: using flux.ini "
	  "(flux-migrations reads flux.toml)\n" },
	{ "explicit wins", true, true, "other.ini", "flux.toml", 0, "other.ini", NULL },
	{ "env wins over files", true, true, NULL, "other.ini", 0, "other.ini", NULL },
	{ "empty env ignored", false, true, NULL, "", 0, "flux.toml", NULL },
	{ "explicit missing", true, true, "missing.ini", NULL, -1,
	  "cannot open config file 'missing.ini' (from --config): No such file or directory", NULL },
	{ "env missing", true, false, NULL, "missing.ini", -1,
	  "cannot open config file 'missing.ini' (from FLUX_CONFIG): No such file or directory", NULL },
	{ "explicit empty", true, false, "", NULL, -1,
	  "cannot open config file '' (from --config): No such file or directory", NULL },
};
/* clang-format on */

static void test_locate(void **state)
{
	char cwd[4096], dir[256], *warnings;
	size_t i;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (i = 0; i < N(locate_cases); i++) {
		const struct locate_case *c = &locate_cases[i];
		struct flux_err err = FLUX_ERR_INIT;
		char *path = (char *)"unset";
		int rc;

		snprintf(dir, sizeof(dir), "%s/locate%zu", test_tmpdir, i);
		assert_int_equal(mkdir(dir, 0700), 0);
		assert_int_equal(chdir(dir), 0);
		if (c->ini)
			fclose(fopen("flux.ini", "w"));
		if (c->toml)
			fclose(fopen("flux.toml", "w"));
		fclose(fopen("other.ini", "w"));
		test_capture_start();
		rc = cfg_locate(c->explicit_path, c->env_path, &path, &err);
		warnings = test_capture_end();
		assert_int_equal(chdir(cwd), 0);
		if (rc != c->rc)
			fail_msg("%s: rc %d", c->name, rc);
		if (rc < 0) {
			assert_null(path);
			assert_string_equal(err.msg, c->want);
			assert_int_equal(err.code, FLUX_EXIT_CONFIG);
		} else if (c->want) {
			assert_non_null(path);
			assert_string_equal(path, c->want);
		} else {
			assert_null(path);
		}
		assert_string_equal(warnings, c->warning ? c->warning : "");
		free(warnings);
		if (rc == 0)
			free(path);
		err_release(&err);
	}
}

/*
 * The generated parts: what a row promises must hold for every row, and
 * the init template keeps what flux and flux-migrations read.
 */
static void test_rows_complete(void **state)
{
	struct flux_config cfg;
	struct sb out = SB_INIT;
	int i;

	(void)state;
	cfg_init(&cfg);
	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_setting *s = &cfg_settings[i];

		/* A flag shows in --help, with its value's name unless a bool. */
		if (s->flag && (!s->help || !s->metavar != (s->type == CFG_T_BOOL)))
			fail_msg("%s: a flag needs help and a value name unless a bool",
				 s->name);
		if (s->short_flag && s->type != CFG_T_BOOL)
			fail_msg("%s: only a bool takes a one-letter flag", s->name);
		if ((s->type == CFG_T_WORD || s->type == CFG_T_ENUM) !=
		    (s->words != NULL))
			fail_msg("%s: words go with a word or enum type", s->name);
		/* A backend setting's default is the registry's first backend. */
		if (s->tpl != CFG_TPL_NONE &&
		    (!s->section || (!s->def && s->type != CFG_T_BACKEND)))
			fail_msg("%s: the init template needs a section and a default",
				 s->name);
		if (s->type == CFG_T_INT && s->min > s->max)
			fail_msg("%s: empty range", s->name);
		/* Shown back, the default reads as itself. */
		sb_reset(&out);
		cfg_format_value(&cfg, s->key, &out);
		if (s->def && *s->def && strcmp(s->def, "0") && strcmp(out.buf, s->def))
			fail_msg("%s: default '%s' is shown as '%s'", s->name, s->def,
				 out.buf);
	}
	/* Setting a value and the default again gives the default back. */
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "ERROR", CFG_SRC_ENV, "X", NULL),
			 0);
	assert_int_equal(cfg.log_level, LOG_ERROR);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_FORMAT, "Json", CFG_SRC_ENV, "X", NULL),
			 0);
	assert_int_equal(cfg.log_format, LOG_JSON);
	assert_int_equal(cfg_set(&cfg, CFG_DDL_LOCK_RETRIES, "1000", CFG_SRC_ENV, "X",
				 NULL),
			 0);
	assert_int_equal(cfg.ddl_lock_retries, 1000);
	sb_release(&out);
	cfg_release(&cfg);
}

static void test_template(void **state)
{
	static const char want[] = "[flux]\n"
				   "backend = \"postgres\"\n"
				   "migration_directory = \"migrations\"\n"
				   "# log_level = \"info\"\n"
				   "# apply_repeatable_on_undo = true\n"
				   "\n"
				   "[backend]\n"
				   "# migrations_schema = \"public\"\n"
				   "# migrations_table = \"_flux_migrations\"\n"
				   "# migrations_lock_id = 3589\n";
	struct sb out = SB_INIT;
	char path[] = "/tmp/flux-test-template-XXXXXX";
	struct flux_config cfg;
	struct flux_err err = FLUX_ERR_INIT;
	FILE *f;
	int fd;

	(void)state;
	cfg_template(&out, "postgres", NULL);
	assert_string_equal(out.buf, want);
	/* The backend's own section says the same as the settings table. */
	sb_reset(&out);
	cfg_template(&out, db_backends[0]->name, db_backends[0]->init_template);
	assert_string_equal(out.buf, want);
	/* Uncommented, every line is read back as its default. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (const char *line = out.buf; *line; line = strchr(line, '\n') + 1) {
		if (!strncmp(line, "# ", 2))
			line += 2;
		fprintf(f, "%.*s\n", (int)strcspn(line, "\n"), line);
	}
	assert_int_equal(fclose(f), 0);
	cfg_init(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, &err), 0);
	assert_int_equal(cfg.source[CFG_MIGRATIONS_LOCK_ID], CFG_SRC_FILE);
	assert_int_equal(cfg.source[CFG_APPLY_REPEATABLE_ON_UNDO], CFG_SRC_FILE);
	assert_true(cfg.migrations_lock_id == 3589);
	assert_string_equal(cfg.migrations_table, "_flux_migrations");
	unlink(path);
	cfg_release(&cfg);
	err_release(&err);
	sb_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_table),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_good),
		cmocka_unit_test(test_set_typed),
		cmocka_unit_test(test_set_bad),
		cmocka_unit_test(test_set_url_never_echoes_password),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_reserved_words),
		cmocka_unit_test(test_file_cases),
		cmocka_unit_test(test_file_where),
		cmocka_unit_test(test_file_unreadable),
		cmocka_unit_test(test_file_nul),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_rows_complete),
		cmocka_unit_test(test_template),
	};

	return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
