/* Unit tests for src/db.c: the backend registry (which backends are built
 * in, finding one by name, every hook set), the backend setting checked
 * against it, the init template, and the signal-time cancel with nothing
 * open. No server: the hooks that connect are tested by tests/cli. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "sb.h"
#include "test_lib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_registry_lists_postgres(void **state)
{
	struct sb names = SB_INIT;
	size_t n = 0;

	(void)state;
	while (db_backends[n])
		n++;
	assert_true(n >= 1);
	/* the default (first) backend is PostgreSQL, as flux-migrations' is */
	assert_string_equal(db_backends[0]->name, "postgres");
	db_backend_names(&names);
	assert_string_equal(names.buf, "postgres");
	sb_release(&names);
}

static void test_backend_find(void **state)
{
	static const struct {
		const char *name;
		const char *found; /* NULL: not a backend */
				   /* clang-format off */
	} cases[] = {
		{ "postgres", "postgres" },
		{ "POSTGRES", "postgres" }, /* case is ignored, as for every setting */
		{ "Postgres", "postgres" },
		{ "postgresql", NULL },
		{ "postgre", NULL },
		{ "postgres ", NULL },
		{ "", NULL },
		{ "mysql", NULL },
		{ "sqlite", NULL },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const struct db_backend *be = db_backend_find(cases[i].name);

		if (!cases[i].found) {
			if (be)
				fail_msg("'%s' found backend '%s'", cases[i].name,
					 be->name);
			continue;
		}
		assert_non_null(be);
		assert_string_equal(be->name, cases[i].found);
	}
	assert_null(db_backend_find(NULL));
}

/* A backend with a hook left out would crash the first command to use it. */
static void test_every_hook_set(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; db_backends[i]; i++) {
		const struct db_backend *be = db_backends[i];
		const char *t = be->init_template;

		assert_non_null(be->name);
		assert_ptr_equal(db_backend_find(be->name), be);
		assert_non_null(t);
		/* written after [flux]: its own section, whole lines */
		assert_true(!strncmp(t, "[backend]\n", 10));
		assert_true(t[strlen(t) - 1] == '\n');
		assert_non_null(be->url_looks_like);
		assert_non_null(be->url_check);
		assert_non_null(be->url_redact);
		assert_non_null(be->url_redact_text);
		assert_non_null(be->url_scrub);
		assert_non_null(be->wait);
		assert_non_null(be->cancel_from_signal);
		assert_non_null(be->open);
		assert_non_null(be->close);
		assert_non_null(be->start);
		assert_non_null(be->unlock);
		assert_non_null(be->guard);
		assert_non_null(be->history_create);
		assert_non_null(be->run_chunk);
		assert_non_null(be->run_one);
		assert_non_null(be->lock_blockers);
	}
}

static void test_backend_setting(void **state)
{
	static const struct {
		const char *value;
		enum cfg_source source;
		const char *where;
		const char *stored; /* NULL: refused */
		const char *msg;
		/* clang-format off */
	} cases[] = {
		{ "postgres", CFG_SRC_FILE, "flux.toml:2", "postgres", NULL },
		{ "PostgreS", CFG_SRC_ENV, "FLUX_BACKEND", "postgres", NULL },
		{ "mysql", CFG_SRC_ENV, "FLUX_BACKEND", NULL,
		  "invalid backend 'mysql' in FLUX_BACKEND: expected one of postgres" },
		{ "postgresql", CFG_SRC_FILE, "flux.ini:2", NULL,
		  "invalid backend 'postgresql' in flux.ini:2: expected one of postgres" },
		{ "", CFG_SRC_FILE, "flux.toml:2", NULL,
		  "invalid backend '' in flux.toml:2: expected one of postgres" },
		/* a URL given to the wrong setting: quoted with its password hidden */
		{ "postgresql://u:s3cret@db/app", CFG_SRC_ENV, "FLUX_BACKEND", NULL,
		  "invalid backend 'postgresql://u:***@db/app' in FLUX_BACKEND: expected one of postgres" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct flux_config cfg;
		struct flux_err err = FLUX_ERR_INIT;
		int rc;

		cfg_init(&cfg);
		rc = cfg_set(&cfg, CFG_BACKEND, cases[i].value, cases[i].source,
			     cases[i].where, &err);
		if (cases[i].stored) {
			assert_int_equal(rc, 0);
			assert_string_equal(cfg.backend, cases[i].stored);
			assert_null(err.msg);
		} else {
			assert_int_equal(rc, -1);
			/* a configuration error (exit 3), naming the accepted backends */
			assert_int_equal(err.code, FLUX_EXIT_CONFIG);
			assert_non_null(err.msg);
			assert_string_equal(err.msg, cases[i].msg);
			/* the previous value stays */
			assert_string_equal(cfg.backend, "postgres");
		}
		err_release(&err);
		cfg_release(&cfg);
	}
}

/* The same from a config file: exit 3 naming the file's line. */
static void test_backend_in_file(void **state)
{
	char path[128];
	struct flux_config cfg;
	struct flux_err err = FLUX_ERR_INIT;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/flux.toml", test_tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[flux]\nbackend = \"cockroach\"\n", f);
	fclose(f);
	cfg_init(&cfg);
	assert_int_equal(cfg_load_file(&cfg, path, &err), -1);
	assert_int_equal(err.code, FLUX_EXIT_CONFIG);
	assert_non_null(err.msg);
	assert_non_null(strstr(err.msg, "invalid backend 'cockroach' in "));
	assert_non_null(strstr(err.msg, "flux.toml:2: expected one of postgres"));
	err_release(&err);
	cfg_release(&cfg);
}

/* The database URL is checked by the configured backend's url_check. */
static void test_url_checked_by_backend(void **state)
{
	static const struct {
		const char *url;
		const char *stored; /* NULL: refused with exit 3 */
				    /* clang-format off */
	} cases[] = {
		{ "postgresql+asyncpg://u@db/app", "postgresql://u@db/app" },
		{ "host=db dbname=app", "host=db dbname=app" },
		{ "postgresql://u@db/app?nosuchoption=1", NULL },
		{ "host=db nosuchkey=1", NULL },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct flux_config cfg;
		struct flux_err err = FLUX_ERR_INIT;
		int rc;

		cfg_init(&cfg);
		rc = cfg_set(&cfg, CFG_DATABASE_URL, cases[i].url, CFG_SRC_ENV,
			     "FLUX_DATABASE_URL", &err);
		if (cases[i].stored) {
			assert_int_equal(rc, 0);
			assert_string_equal(cfg.database_url, cases[i].stored);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(err.code, FLUX_EXIT_CONFIG);
			assert_non_null(strstr(err.msg, "invalid database URL '"));
			assert_non_null(strstr(err.msg, "' in FLUX_DATABASE_URL: "));
		}
		err_release(&err);
		cfg_release(&cfg);
	}
}

/* SIGTERM with no connection open: nothing to cancel, the front exits at once. */
static void test_cancel_with_nothing_open(void **state)
{
	(void)state;
	assert_int_equal(db_cancel_from_signal(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_lists_postgres),
		cmocka_unit_test(test_backend_find),
		cmocka_unit_test(test_every_hook_set),
		cmocka_unit_test(test_backend_setting),
		cmocka_unit_test(test_backend_in_file),
		cmocka_unit_test(test_url_checked_by_backend),
		cmocka_unit_test(test_cancel_with_nothing_open),
	};

	return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
