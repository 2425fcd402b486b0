/* Unit tests for entrypoint/env.c: FLUX_* variables and their _FILE forms. */
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
#include "env.h"
#include "err.h"
#include "sb.h"
#include "test_lib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_VARS 8

/* The injected environment: NULL-terminated name/value pairs. */
static const char *const *fake_env;

static const char *fake_lookup(const char *name)
{
	size_t i;

	for (i = 0; fake_env && fake_env[i]; i += 2)
		if (strcmp(fake_env[i], name) == 0)
			return fake_env[i + 1];
	return NULL;
}

/* Files the cases refer to as {tmp}/name. */
static const struct {
	const char *name;
	const char *content;
	size_t len; /* 0: strlen */
		    /* clang-format off */
} files[] = {
	{ "url", "postgresql://u:s3cret@db/app\n", 0 },
	{ "url_crlf", "postgresql://u:s3cret@db/app\r\n\r\n", 0 },
	{ "url_plain", "postgresql://u:s3cret@db/app", 0 },
	{ "level", "debug\n\n", 0 },
	{ "bad_level", "loud\n", 0 },
	{ "empty", "", 0 },
	{ "nul", "de\0bug", 6 },
	{ "bad_url", "postgresql://u:s3cret@db:x/app\n", 0 },
	{ "json_upper", "JSON\n", 0 },
	{ "text", "text\n", 0 },
};
/* clang-format on */

static char *expand(const char *s)
{
	struct sb sb = SB_INIT;
	const char *at;

	while ((at = strstr(s, "{tmp}"))) {
		sb_add(&sb, s, (size_t)(at - s));
		sb_adds(&sb, test_tmpdir);
		s = at + 5;
	}
	sb_adds(&sb, s);
	return sb_detach(&sb, NULL);
}

static void write_files(void)
{
	size_t i;
	char path[256];
	FILE *f;

	for (i = 0; i < N(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", test_tmpdir, files[i].name);
		f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(files[i].content, 1,
		       files[i].len ? files[i].len : strlen(files[i].content), f);
		fclose(f);
	}
	/* one bigger than the 64 KiB cap */
	snprintf(path, sizeof(path), "%s/big", test_tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (i = 0; i < 64 * 1024 + 1; i++)
		fputc('a', f);
	fclose(f);
}

struct env_case {
	const char *name;
	const char *vars[2 * MAX_VARS + 1]; /* values may use {tmp} */
	int rc;
	enum flux_exit code;
	const char *msg;   /* may use {tmp} */
	enum cfg_key key;  /* checked on success */
	const char *value; /* cfg.database_url or formatted value */
	const char *where;
};

/* clang-format off */
static const struct env_case cases[] = {
	{ "nothing set", { NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_LOG_LEVEL, "info", "default" },
	{ "plain variable", { "FLUX_LOG_LEVEL", "debug", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_LOG_LEVEL, "debug", "FLUX_LOG_LEVEL" },
	{ "empty is unset", { "FLUX_LOG_LEVEL", "", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_LOG_LEVEL, "info", "default" },
	{ "empty _FILE is unset", { "FLUX_LOG_LEVEL", "error", "FLUX_LOG_LEVEL_FILE", "", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_LOG_LEVEL, "error", "FLUX_LOG_LEVEL" },
	{ "_FILE form, newlines trimmed", { "FLUX_LOG_LEVEL_FILE", "{tmp}/level", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_LOG_LEVEL, "debug", "FLUX_LOG_LEVEL_FILE" },
	{ "url from _FILE", { "FLUX_DATABASE_URL_FILE", "{tmp}/url", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://u:s3cret@db/app",
	  "FLUX_DATABASE_URL_FILE" },
	{ "url from _FILE, CRLF trimmed", { "FLUX_DATABASE_URL_FILE", "{tmp}/url_crlf", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://u:s3cret@db/app",
	  "FLUX_DATABASE_URL_FILE" },
	{ "url from _FILE without newline", { "FLUX_DATABASE_URL_FILE", "{tmp}/url_plain", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://u:s3cret@db/app",
	  "FLUX_DATABASE_URL_FILE" },
	{ "DATABASE_URL fallback", { "DATABASE_URL", "postgresql+asyncpg://h/fallback", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://h/fallback", "DATABASE_URL" },
	{ "FLUX_DATABASE_URL wins", { "DATABASE_URL", "postgresql://h/fallback",
	  "FLUX_DATABASE_URL", "postgresql://h/flux", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://h/flux", "FLUX_DATABASE_URL" },
	{ "FLUX_DATABASE_URL_FILE wins", { "DATABASE_URL", "postgresql://h/fallback",
	  "FLUX_DATABASE_URL_FILE", "{tmp}/url", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://u:s3cret@db/app",
	  "FLUX_DATABASE_URL_FILE" },
	{ "bad DATABASE_URL is never reached", { "DATABASE_URL", "nonsense",
	  "FLUX_DATABASE_URL", "postgresql://h/flux", NULL },
	  0, FLUX_EXIT_OK, NULL, CFG_DATABASE_URL, "postgresql://h/flux", "FLUX_DATABASE_URL" },
	{ "no url", { "PGHOST", "db", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_DATABASE_URL, NULL, "default" },
	{ "duration", { "FLUX_WAIT_TIMEOUT", "500ms", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_WAIT_TIMEOUT, "500ms", "FLUX_WAIT_TIMEOUT" },
	{ "auto approve", { "FLUX_AUTO_APPROVE", "TRUE", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_AUTO_APPROVE, "true", "FLUX_AUTO_APPROVE" },
	{ "schema", { "FLUX_MIGRATIONS_SCHEMA", "flux", NULL }, 0, FLUX_EXIT_OK, NULL,
	  CFG_MIGRATIONS_SCHEMA, "flux", "FLUX_MIGRATIONS_SCHEMA" },
	{ "both set", { "FLUX_DATABASE_URL", "postgresql://h/a",
	  "FLUX_DATABASE_URL_FILE", "{tmp}/url", NULL }, -1, FLUX_EXIT_CONFIG,
	  "both FLUX_DATABASE_URL and FLUX_DATABASE_URL_FILE are set", 0, NULL, NULL },
	{ "both set, other key", { "FLUX_LOCK_TIMEOUT", "1s",
	  "FLUX_LOCK_TIMEOUT_FILE", "{tmp}/level", NULL }, -1, FLUX_EXIT_CONFIG,
	  "both FLUX_LOCK_TIMEOUT and FLUX_LOCK_TIMEOUT_FILE are set", 0, NULL, NULL },
	{ "missing file", { "FLUX_DATABASE_URL_FILE", "{tmp}/missing", NULL }, -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_DATABASE_URL_FILE '{tmp}/missing': No such file or directory",
	  0, NULL, NULL },
	{ "directory", { "FLUX_LOG_LEVEL_FILE", "/", NULL }, -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_LOG_LEVEL_FILE '/': Is a directory", 0, NULL, NULL },
	{ "too big", { "FLUX_LOG_LEVEL_FILE", "{tmp}/big", NULL }, -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_LOG_LEVEL_FILE '{tmp}/big': larger than 65536 bytes", 0, NULL, NULL },
	{ "NUL byte", { "FLUX_LOG_LEVEL_FILE", "{tmp}/nul", NULL }, -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_LOG_LEVEL_FILE '{tmp}/nul': it holds a NUL byte", 0, NULL, NULL },
	{ "empty file is a value", { "FLUX_LOG_LEVEL_FILE", "{tmp}/empty", NULL }, -1, FLUX_EXIT_CONFIG,
	  "invalid log_level '' in FLUX_LOG_LEVEL_FILE: expected one of debug, info, warning, error",
	  0, NULL, NULL },
	{ "bad value names the variable", { "FLUX_LOG_LEVEL", "loud", NULL }, -1, FLUX_EXIT_CONFIG,
	  "invalid log_level 'loud' in FLUX_LOG_LEVEL: expected one of debug, info, warning, error",
	  0, NULL, NULL },
	{ "bad value from _FILE names it", { "FLUX_LOG_LEVEL_FILE", "{tmp}/bad_level", NULL }, -1,
	  FLUX_EXIT_CONFIG,
	  "invalid log_level 'loud' in FLUX_LOG_LEVEL_FILE: expected one of debug, info, warning, error",
	  0, NULL, NULL },
	{ "bad identifier", { "FLUX_MIGRATIONS_TABLE", "1x", NULL }, -1, FLUX_EXIT_CONFIG,
	  "invalid migrations_table '1x' in FLUX_MIGRATIONS_TABLE: expected an identifier: "
	  "a letter or '_', then up to 62 letters, digits or '_'", 0, NULL, NULL },
	{ "bad url redacted", { "FLUX_DATABASE_URL_FILE", "{tmp}/bad_url", NULL }, -1, FLUX_EXIT_CONFIG,
	  "invalid database URL 'postgresql://u:***@db:x/app' in FLUX_DATABASE_URL_FILE: "
	  "invalid port number: \"x\"", 0, NULL, NULL },
	{ "bad DATABASE_URL names it", { "DATABASE_URL", "postgresql://u:pw@h:x/d", NULL }, -1,
	  FLUX_EXIT_CONFIG,
	  "invalid database URL 'postgresql://u:***@h:x/d' in DATABASE_URL: invalid port number: \"x\"",
	  0, NULL, NULL },
	/* the URL itself where its file was meant: the path is quoted redacted */
	{ "url as _FILE path", { "FLUX_DATABASE_URL_FILE", "postgresql://u:s3cret@{tmp}/x", NULL },
	  -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_DATABASE_URL_FILE 'postgresql://u:***@{tmp}/x': No such file or directory",
	  0, NULL, NULL },
	{ "conninfo as _FILE path", { "FLUX_LOG_LEVEL_FILE", "host=h password=s3cret", NULL },
	  -1, FLUX_EXIT_CONFIG,
	  "cannot read FLUX_LOG_LEVEL_FILE 'host=h password=***': No such file or directory",
	  0, NULL, NULL },
	{ "bad duration", { "FLUX_WAIT_TIMEOUT", "1h", NULL }, -1, FLUX_EXIT_CONFIG,
	  "invalid wait_timeout '1h' in FLUX_WAIT_TIMEOUT: expected a duration: 500ms, 30s, 2m or seconds",
	  0, NULL, NULL },
};
/* clang-format on */

static void test_cases(void **state)
{
	size_t i, j;

	(void)state;
	write_files();
	for (i = 0; i < N(cases); i++) {
		const struct env_case *c = &cases[i];
		struct flux_err err = FLUX_ERR_INIT;
		struct flux_config cfg;
		char *vars[2 * MAX_VARS + 1] = { NULL };
		int rc;

		for (j = 0; c->vars[j]; j++)
			vars[j] = expand(c->vars[j]);
		fake_env = (const char *const *)vars;
		cfg_init(&cfg);
		rc = env_apply(&cfg, fake_lookup, &err);
		if (rc != c->rc)
			fail_msg("%s: rc %d (%s)", c->name, rc, err.msg ? err.msg : "");
		if (rc < 0) {
			char *want = expand(c->msg);

			if (strcmp(err.msg, want) != 0)
				fail_msg("%s: '%s', want '%s'", c->name, err.msg, want);
			assert_int_equal(err.code, c->code);
			free(want);
		} else if (c->key == CFG_DATABASE_URL) {
			if (c->value)
				assert_string_equal(cfg.database_url, c->value);
			else
				assert_null(cfg.database_url);
			assert_string_equal(cfg.where[c->key], c->where);
		} else {
			struct sb sb = SB_INIT;

			cfg_format_value(&cfg, c->key, &sb);
			if (strcmp(sb.buf, c->value) != 0 ||
			    strcmp(cfg.where[c->key], c->where) != 0)
				fail_msg("%s: '%s' from %s", c->name, sb.buf,
					 cfg.where[c->key]);
			assert_int_equal(cfg.source[c->key],
					 strcmp(c->where, "default") ? CFG_SRC_ENV :
								       CFG_SRC_DEFAULT);
			sb_release(&sb);
		}
		for (j = 0; vars[j]; j++)
			free(vars[j]);
		fake_env = NULL;
		err_release(&err);
		cfg_release(&cfg);
	}
}

/* Every variable set at once: each lands on its key. */
static void test_all_keys(void **state)
{
	/* clang-format off */
	static const char *const vars[] = {
		"FLUX_BACKEND", "postgres",
		"FLUX_MIGRATION_DIRECTORY", "db/m",
		"FLUX_LOG_LEVEL", "warning",
		"FLUX_APPLY_REPEATABLE_ON_UNDO", "false",
		"FLUX_MIGRATIONS_SCHEMA", "s",
		"FLUX_MIGRATIONS_TABLE", "t",
		"FLUX_MIGRATIONS_LOCK_ID", "-5",
		"FLUX_DATABASE_URL", "host=h",
		"FLUX_WAIT_TIMEOUT", "2m",
		"FLUX_LOCK_TIMEOUT", "30s",
		"FLUX_LOG_FORMAT", "json",
		"FLUX_AUTO_APPROVE", "true",
		"FLUX_TERMINATION_LOG", "/tmp/t.log",
		"FLUX_LINT_IGNORE", "rename",
		"FLUX_DDL_LOCK_TIMEOUT", "200ms",
		"FLUX_DDL_LOCK_RETRIES", "3",
		NULL,
	};
	/* clang-format on */
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;
	int i;

	(void)state;
	fake_env = vars;
	cfg_init(&cfg);
	assert_int_equal(env_apply(&cfg, fake_lookup, &err), 0);
	for (i = 0; i < CFG_NKEYS; i++) {
		assert_int_equal(cfg.source[i], CFG_SRC_ENV);
		assert_string_equal(cfg.where[i], cfg_settings[i].env);
	}
	assert_string_equal(cfg.migration_directory, "db/m");
	assert_int_equal(cfg.log_level, LOG_WARNING);
	assert_false(cfg.apply_repeatable_on_undo);
	assert_true(cfg.migrations_lock_id == -5);
	assert_string_equal(cfg.database_url, "host=h");
	assert_int_equal(cfg.wait_timeout_ms, 120000);
	assert_int_equal(cfg.lock_timeout_ms, 30000);
	assert_int_equal(cfg.log_format, LOG_JSON);
	assert_true(cfg.auto_approve);
	assert_string_equal(cfg.termination_log, "/tmp/t.log");
	assert_int_equal(cfg.ddl_lock_timeout_ms, 200);
	assert_int_equal(cfg.ddl_lock_retries, 3);
	fake_env = NULL;
	cfg_release(&cfg);
}

/* The environment overrides the file; a flag then overrides the environment. */
static void test_precedence(void **state)
{
	static const char *const vars[] = { "FLUX_LOG_LEVEL", "error", NULL };
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;

	(void)state;
	fake_env = vars;
	cfg_init(&cfg);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "debug", CFG_SRC_FILE, "flux.ini:2",
				 &err),
			 0);
	assert_int_equal(env_apply(&cfg, fake_lookup, &err), 0);
	assert_int_equal(cfg.log_level, LOG_ERROR);
	assert_int_equal(cfg.source[CFG_LOG_LEVEL], CFG_SRC_ENV);
	assert_int_equal(cfg_set(&cfg, CFG_LOG_LEVEL, "warning", CFG_SRC_FLAG,
				 "--log-level", &err),
			 0);
	assert_int_equal(cfg.log_level, LOG_WARNING);
	fake_env = NULL;
	cfg_release(&cfg);
}

static void test_config_path(void **state)
{
	static const char *const set[] = { "FLUX_CONFIG", "conf/flux.ini", NULL };
	static const char *const empty[] = { "FLUX_CONFIG", "", NULL };
	static const char *const file_form[] = { "FLUX_CONFIG_FILE", "x", NULL };

	(void)state;
	fake_env = set;
	assert_string_equal(env_config_path(fake_lookup), "conf/flux.ini");
	fake_env = empty;
	assert_null(env_config_path(fake_lookup));
	fake_env = file_form;
	assert_null(env_config_path(fake_lookup));
	fake_env = NULL;
	assert_null(env_config_path(fake_lookup));
}

/* NULL means the real environment. */
/* The earliest errors' format: FLUX_LOG_FORMAT or its _FILE, any case. */
static void test_log_json(void **state)
{
	static const struct {
		const char *vars[5]; /* values may use {tmp} */
		bool want;
		/* clang-format off */
	} json_cases[] = {
		{ { NULL }, false },
		{ { "FLUX_LOG_FORMAT", "json", NULL }, true },
		{ { "FLUX_LOG_FORMAT", "JSON", NULL }, true },
		{ { "FLUX_LOG_FORMAT", "Json", NULL }, true },
		{ { "FLUX_LOG_FORMAT", "text", NULL }, false },
		{ { "FLUX_LOG_FORMAT", "jsonl", NULL }, false },
		{ { "FLUX_LOG_FORMAT", "", NULL }, false },
		{ { "FLUX_LOG_FORMAT_FILE", "{tmp}/json_upper", NULL }, true },
		{ { "FLUX_LOG_FORMAT_FILE", "{tmp}/text", NULL }, false },
		{ { "FLUX_LOG_FORMAT_FILE", "{tmp}/missing", NULL }, false },
		{ { "FLUX_LOG_FORMAT", "text", "FLUX_LOG_FORMAT_FILE", "{tmp}/json_upper", NULL }, false },
	};
	/* clang-format on */
	size_t i, j;

	(void)state;
	write_files();
	for (i = 0; i < N(json_cases); i++) {
		char *vars[5] = { NULL };

		for (j = 0; json_cases[i].vars[j]; j++)
			vars[j] = expand(json_cases[i].vars[j]);
		fake_env = (const char *const *)vars;
		if (env_log_json(fake_lookup) != json_cases[i].want)
			fail_msg("case %zu: env_log_json != %d", i, json_cases[i].want);
		fake_env = NULL;
		for (j = 0; vars[j]; j++)
			free(vars[j]);
	}
}

static void test_real_getenv(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	struct flux_config cfg;

	(void)state;
	assert_int_equal(setenv("FLUX_MIGRATIONS_TABLE", "from_real_env", 1), 0);
	assert_int_equal(setenv("FLUX_CONFIG", "real.ini", 1), 0);
	cfg_init(&cfg);
	assert_int_equal(env_apply(&cfg, NULL, &err), 0);
	assert_string_equal(cfg.migrations_table, "from_real_env");
	assert_string_equal(env_config_path(NULL), "real.ini");
	unsetenv("FLUX_MIGRATIONS_TABLE");
	unsetenv("FLUX_CONFIG");
	cfg_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),      cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_precedence), cmocka_unit_test(test_config_path),
		cmocka_unit_test(test_log_json),   cmocka_unit_test(test_real_getenv),
	};

	return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
