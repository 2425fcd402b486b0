/* Unit tests for src/url.c: scheme detection, +driver, libpq checks, redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "sb.h"
#include "url.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_looks_like(void **state)
{
	static const struct {
		const char *in;
		bool want;
		/* clang-format off */
	} cases[] = {
		{ "postgres://h/db", true },
		{ "postgresql://h/db", true },
		{ "postgresql+asyncpg://u@h/db", true },
		{ "postgres+aiopg://h", true },
		{ "postgresql+psycopg2://h", true },
		{ "POSTGRESQL://h/db", true },
		{ "PostgreS+Pg8000://h", true },
		{ "postgresql://", true },
		{ "postgresql+://h", false },
		{ "postgresql:/h", false },
		{ "postgresq://h", false },
		{ "mysql://h/db", false },
		{ "host=x dbname=y", false },
		{ "2", false },
		{ "", false },
		{ " postgresql://h", false },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	assert_false(url_looks_like(NULL));
	for (i = 0; i < N(cases); i++) {
		if (url_looks_like(cases[i].in) != cases[i].want)
			fail_msg("url_looks_like('%s') != %d", cases[i].in,
				 cases[i].want);
	}
}

static void test_normalise_ok(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "postgresql://u:p@h:5432/db", "postgresql://u:p@h:5432/db" },
		{ "postgres://h/db", "postgres://h/db" },
		{ "postgresql+asyncpg://u:p@h/db", "postgresql://u:p@h/db" },
		{ "postgres+aiopg://h/db", "postgres://h/db" },
		{ "postgresql+psycopg2://h/db?sslmode=require", "postgresql://h/db?sslmode=require" },
		{ "POSTGRESQL+ASYNCPG://h/db", "postgresql://h/db" },
		{ "  postgresql://h/db\n", "postgresql://h/db" },
		{ "host=x dbname=y", "host=x dbname=y" },
		{ "host=x password='sec ret'", "host=x password='sec ret'" },
		{ "postgresql://h1:5432,h2:5433/db", "postgresql://h1:5432,h2:5433/db" },
		{ "postgresql:///db?host=/var/run/postgresql", "postgresql:///db?host=/var/run/postgresql" },
		{ "postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db" },
		/* one raw '@' outside the user info is no ambiguity */
		{ "postgresql://h/db?application_name=a@b", "postgresql://h/db?application_name=a@b" },
		{ "postgresql://app:p%40ss@h/db", "postgresql://app:p%40ss@h/db" },
		{ "host=h password=a@b@c", "host=h password=a@b@c" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct flux_err err = FLUX_ERR_INIT;
		char *out = (char *)"unset";

		if (url_normalise(cases[i].in, &out, &err) != 0)
			fail_msg("url_normalise('%s'): %s", cases[i].in, err.msg);
		assert_string_equal(out, cases[i].want);
		free(out);
		err_release(&err);
	}
}

static void test_normalise_bad(void **state)
{
	static const struct {
		const char *in, *msg;
		/* clang-format off */
	} cases[] = {
		{ "postgresql://host:notaport/db",
		  "invalid database URL 'postgresql://host:notaport/db': invalid port number: \"notaport\"" },
		{ "postgresql://h:0/db",
		  "invalid database URL 'postgresql://h:0/db': invalid port number: \"0\"" },
		{ "postgresql://h:65536/db",
		  "invalid database URL 'postgresql://h:65536/db': invalid port number: \"65536\"" },
		{ "host='unterminated",
		  "invalid database URL 'host='unterminated': unterminated quoted string in connection info string" },
		{ "garbage",
		  "invalid database URL 'garbage': missing \"=\" after \"garbage\" in connection info string" },
		{ "postgresql://h/db?sslmode=requre",
		  "invalid database URL 'postgresql://h/db?sslmode=requre': invalid sslmode value: \"requre\"" },
		{ "postgresql://h/db?nosuch=1",
		  "invalid database URL 'postgresql://h/db?nosuch=1': invalid URI query parameter: \"nosuch\"" },
		/* the password must not come back through libpq's reason */
		{ "postgresql://u:p%zz@h/db",
		  "invalid database URL 'postgresql://u:***@h/db': invalid percent-encoded token: \"***\"" },
		{ "postgresql+asyncpg://u:secret@h:bad/db",
		  "invalid database URL 'postgresql://u:***@h:bad/db': invalid port number: \"bad\"" },
		{ "postgresql://u:pa/ss@h/db",
		  "invalid database URL 'postgresql://u:***@h/db': invalid port number: \"***\"" },
		{ "postgresql://u:pa/ss?w0rd@h/db",
		  "invalid database URL 'postgresql://u:***@h/db': missing key/value separator \"=\" in URI query parameter: \"***\"" },
		{ "postgresql://u:Sec]ret/Ta?il@127.0.0.1:1/db",
		  "invalid database URL 'postgresql://u:***@127.0.0.1:1/db': missing key/value separator \"=\" in URI query parameter: \"***\"" },
		{ "postgresql://u:p=ss/x?y@h/db",
		  "invalid database URL 'postgresql://u:***@h/db': missing key/value separator \"=\" in URI query parameter: \"***\"" },
		/* many star passwords: each "***" must not be matched again */
		{ "i-* password=* password=* password=* password=*",
		  "invalid database URL 'i-* password=*** password=*** password=*** password=***': missing \"=\" after \"***\" in connection info string" },
		{ "host=h password=sec ret",
		  "invalid database URL 'host=h password=***': missing \"=\" after \"***\" in connection info string" },
		{ "postgresql://h/db?password=a%zz",
		  "invalid database URL 'postgresql://h/db?password=***': invalid percent-encoded token: \"***\"" },
		/* a raw '@' in the password: refused before libpq takes a host from it */
		{ "postgresql://app:Tr0ub4dor@3xyzQ@db/app",
		  "invalid database URL 'postgresql://app:***@db/app': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql+asyncpg://app:a@b/c@db:5432/app",
		  "invalid database URL 'postgresql://app:***@db:5432/app': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql://app:a@b?c@db/app",
		  "invalid database URL 'postgresql://app:***@db/app': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql://me@corp:pw@db/app",
		  "invalid database URL 'postgresql://me@corp:***@db/app': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql://u@h:1/db?password=Zab@cdZ",
		  "invalid database URL 'postgresql://u@h:***': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql://u@h/db?password=ab@cd&sslmode=require",
		  "invalid database URL 'postgresql://u@h/db?password=***&sslmode=require': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
		{ "postgresql://app:pw@db/app?application_name=a@b",
		  "invalid database URL 'postgresql://app:***@b': it holds more than one '@': "
		  "write an '@' in the user name or password (or anywhere else in the URL) as '%40'" },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		struct flux_err err = FLUX_ERR_INIT;
		char *out = (char *)"unset";

		if (url_normalise(cases[i].in, &out, &err) != -1)
			fail_msg("url_normalise('%s') accepted it", cases[i].in);
		assert_null(out);
		assert_int_equal(err.code, FLUX_EXIT_CONFIG);
		assert_string_equal(err.msg, cases[i].msg);
		err_release(&err);
	}
}

static void test_normalise_from(void **state)
{
	struct flux_err err = FLUX_ERR_INIT;
	char *out;

	(void)state;
	assert_int_equal(url_normalise_from("postgresql://u:pw@h:x/db",
					    "FLUX_DATABASE_URL", &out, &err),
			 -1);
	assert_string_equal(err.msg,
			    "invalid database URL 'postgresql://u:***@h:x/db' "
			    "in FLUX_DATABASE_URL: invalid port number: \"x\"");
	err_release(&err);
}

static void test_redact(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "postgresql://u:secret@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u@h/db", "postgresql://u@h/db" },
		{ "postgresql://h/db", "postgresql://h/db" },
		{ "postgresql://u:@h/db", "postgresql://u:@h/db" },
		{ "postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:p@ss@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:p/ss@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:p?ss@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:pa/ss?w0rd@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:p?ss/w0rd@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:Sec]ret/Ta?il@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:a[b/c?d@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://[::1]:5432/db?application_name=a@b", "postgresql://[::1]:5432/db?application_name=a@b" },
		{ "postgresql://h:5432/db?application_name=a@b", "postgresql://h:5432/db?application_name=a@b" },
		{ "postgresql://h1:1,[::1]:2/db?application_name=a@b", "postgresql://h1:1,[::1]:2/db?application_name=a@b" },
		{ "postgresql+asyncpg://u:s@h/db", "postgresql+asyncpg://u:***@h/db" },
		{ "postgresql://u:s@h1:1,h2:2/db?sslmode=require", "postgresql://u:***@h1:1,h2:2/db?sslmode=require" },
		{ "postgresql://h/db?user=u&password=s3&sslmode=require",
		  "postgresql://h/db?user=u&password=***&sslmode=require" },
		{ "postgresql://h/db?password=s3", "postgresql://h/db?password=***" },
		{ "postgresql://h/db?pass%77ord=s3", "postgresql://h/db?pass%77ord=***" },
		{ "postgresql://u:a@h/db?password=b", "postgresql://u:***@h/db?password=***" },
		{ "postgresql://h/db?sslpassword=k", "postgresql://h/db?sslpassword=***" },
		{ "postgresql://h:5432/db?application_name=a", "postgresql://h:5432/db?application_name=a" },
		{ "host=h password=secret dbname=d", "host=h password=*** dbname=d" },
		{ "password=secret", "password=***" },
		{ "host=h password='sec ret' dbname=d", "host=h password=*** dbname=d" },
		{ "host=h password = 'it\\'s' dbname=d", "host=h password = *** dbname=d" },
		{ "host=h password='unterminated", "host=h password=***" },
		{ "host=h password=sec ret", "host=h password=***" },
		{ "host=h PASSWORD=x", "host=h PASSWORD=***" },
		{ "host='x password=secret", "host='x password=***" },
		{ "host='x password='sec ret' y", "host='x password=*** y" },
		{ "password=a password=b", "password=*** password=***" },
		{ "host=h dbname=password", "host=h dbname=password" },
		{ "host=h", "host=h" },
		{ "", "" },
		{ "garbage", "garbage" },
	};
	/* clang-format on */
	size_t i;
	char *r;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		r = url_redact(cases[i].in);
		if (strcmp(r, cases[i].want) != 0)
			fail_msg("url_redact('%s') = '%s', want '%s'", cases[i].in, r,
				 cases[i].want);
		free(r);
	}
	r = url_redact(NULL);
	assert_string_equal(r, "");
	free(r);
}

/* No limit on the number of passwords a string may hold. */
static void test_redact_many(void **state)
{
	struct sb in = SB_INIT, want = SB_INIT;
	char *r;
	int i;

	(void)state;
	sb_adds(&in, "host=h");
	sb_adds(&want, "host=h");
	for (i = 0; i < 40; i++) {
		sb_addf(&in, " password=p%d", i);
		sb_adds(&want, " password=***");
	}
	r = url_redact(in.buf);
	assert_string_equal(r, want.buf);
	free(r);
	r = url_redact_text(in.buf);
	assert_string_equal(r, want.buf);
	free(r);
	sb_reset(&in);
	sb_reset(&want);
	sb_adds(&in, "postgresql://h/db?x=1");
	sb_adds(&want, "postgresql://h/db?x=1");
	for (i = 0; i < 40; i++) {
		sb_addf(&in, "&password=p%d", i);
		sb_adds(&want, "&password=***");
	}
	r = url_redact(in.buf);
	assert_string_equal(r, want.buf);
	free(r);
	sb_release(&in);
	sb_release(&want);
}

/* Free text: a message or any value, with URLs or conninfo anywhere in it. */
static void test_redact_text(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "postgresql://u:secret@h/db", "postgresql://u:***@h/db" },
		{ "postgresql://u:sec ret@h/db", "postgresql://u:***@h/db" },
		{ "migrations", "migrations" },
		{ "", "" },
		{ "unknown option '--dry-run=postgresql://u:secret@h/db' (see 'flux --help')",
		  "unknown option '--dry-run=postgresql://u:***@h/db' (see 'flux --help')" },
		{ "apply: unexpected argument 'postgres+asyncpg://u:secret@h/db': expected a number",
		  "apply: unexpected argument 'postgres+asyncpg://u:***@h/db': expected a number" },
		{ "a 'postgresql://h/db?sslmode=require&password=secret' b",
		  "a 'postgresql://h/db?sslmode=require&password=***' b" },
		{ "two: postgresql://a:one@h/x and mysql://b:two@h/y",
		  "two: postgresql://a:***@h/x and mysql://b:***@h/y" },
		{ "invalid x 'host=db password=secret' in X", "invalid x 'host=db password=***' in X" },
		{ "invalid x 'host=db PassWord = secret' in X", "invalid x 'host=db PassWord = ***' in X" },
		{ "invalid x 'host=db password='sec ret'' in X", "invalid x 'host=db password=***' in X" },
		{ "cannot open 'postgresql://app:Tr0ub4dor@3xyzQ@db/app': no",
		  "cannot open 'postgresql://app:***@db/app': no" },
		{ "no url: a://b and c:d@e", "no url: a://b and c:d@e" },
		{ "http://host/path", "http://host/path" },
		/* already redacted text stays as it is */
		{ "x 'postgresql://u:***@h/db?password=***' y", "x 'postgresql://u:***@h/db?password=***' y" },
		{ "x 'host=h password=***' y", "x 'host=h password=***' y" },
	};
	/* clang-format on */
	size_t i;
	char *r;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		r = url_redact_text(cases[i].in);
		if (strcmp(r, cases[i].want) != 0)
			fail_msg("url_redact_text('%s') = '%s', want '%s'", cases[i].in,
				 r, cases[i].want);
		free(r);
	}
	r = url_redact_text(NULL);
	assert_string_equal(r, "");
	free(r);
}

/* In place, same length: what /proc/PID/cmdline shows afterwards. */
static void test_scrub(void **state)
{
	static const struct {
		const char *in, *want;
		/* clang-format off */
	} cases[] = {
		{ "postgresql://app:secret@db/app", "postgresql://app:******@db/app" },
		{ "postgresql://app:Tr0ub4dor@3xyzQ@db/app", "postgresql://app:***************@db/app" },
		{ "postgresql://h/db?password=pw&sslmode=require", "postgresql://h/db?password=**&sslmode=require" },
		{ "host=h password='a b' dbname=d", "host=h password=***** dbname=d" },
		{ "postgresql://app@db/app", "postgresql://app@db/app" },
		{ "", "" },
	};
	/* clang-format on */
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		s = strdup(cases[i].in);
		url_scrub(s);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
	url_scrub(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_looks_like),
		cmocka_unit_test(test_normalise_ok),
		cmocka_unit_test(test_normalise_bad),
		cmocka_unit_test(test_normalise_from),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_redact_many),
		cmocka_unit_test(test_redact_text),
		cmocka_unit_test(test_scrub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
