#include "cfg.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "db.h"
#include "lint.h"
#include "url.h"
#include "xalloc.h"

#define IDENTIFIER_TEXT \
	"an identifier: a letter or '_', then up to 62 letters, digits or '_'"
#define DURATION_TEXT "a duration: 500ms, 30s, 2m or seconds"
#define FIELD(f) offsetof(struct flux_config, f)

/* Enum settings are stored through an int: their enums must be int-sized. */
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum log_level is not int-sized");
_Static_assert(sizeof(enum log_format) == sizeof(int),
	       "enum log_format is not int-sized");

static const struct cfg_word level_words[] = {
	{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warning", LOG_WARNING },
	{ "error", LOG_ERROR }, { NULL, 0 },
};
static const struct cfg_word format_words[] = {
	{ "text", LOG_TEXT },
	{ "json", LOG_JSON },
	{ NULL, 0 },
};

static const char *refuse_url_as_directory(const char *value);

const struct cfg_setting cfg_settings[CFG_NKEYS] = {
	[CFG_BACKEND] = { CFG_BACKEND, "backend", "flux", "backend", "FLUX_BACKEND", NULL,
			  false, "a backend built in",
			  /* The default is the registry's first backend (cfg_init). */
			  .type = CFG_T_BACKEND, .offset = FIELD(backend),
			  .tpl = CFG_TPL_SET },
	[CFG_MIGRATION_DIRECTORY] = { CFG_MIGRATION_DIRECTORY, "migration_directory",
				      "flux", "migration_directory",
				      "FLUX_MIGRATION_DIRECTORY", "--migration-directory",
				      false, "a directory path", .type = CFG_T_STRING,
				      .offset = FIELD(migration_directory),
				      .def = "migrations", .metavar = "DIR",
				      .help = "default: migrations", .tpl = CFG_TPL_SET,
				      .refuse = refuse_url_as_directory },
	[CFG_LOG_LEVEL] = { CFG_LOG_LEVEL, "log_level", "flux", "log_level",
			    "FLUX_LOG_LEVEL", "--log-level", false,
			    "debug, info, warning, error", .type = CFG_T_ENUM,
			    .offset = FIELD(log_level), .def = "info",
			    .words = level_words, .metavar = "LEVEL",
			    .help = "debug, info, warning, error",
			    .tpl = CFG_TPL_COMMENT },
	[CFG_APPLY_REPEATABLE_ON_UNDO] = { CFG_APPLY_REPEATABLE_ON_UNDO,
					   "apply_repeatable_on_undo", "flux",
					   "apply_repeatable_on_undo",
					   "FLUX_APPLY_REPEATABLE_ON_UNDO", NULL, false,
					   "true, false", .type = CFG_T_BOOL,
					   .offset = FIELD(apply_repeatable_on_undo),
					   .def = "true", .tpl = CFG_TPL_COMMENT },
	[CFG_MIGRATIONS_SCHEMA] = { CFG_MIGRATIONS_SCHEMA, "migrations_schema", "backend",
				    "migrations_schema", "FLUX_MIGRATIONS_SCHEMA", NULL,
				    false, IDENTIFIER_TEXT, .type = CFG_T_IDENT,
				    .offset = FIELD(migrations_schema), .def = "public",
				    .tpl = CFG_TPL_COMMENT },
	[CFG_MIGRATIONS_TABLE] = { CFG_MIGRATIONS_TABLE, "migrations_table", "backend",
				   "migrations_table", "FLUX_MIGRATIONS_TABLE", NULL,
				   false, IDENTIFIER_TEXT, .type = CFG_T_IDENT,
				   .offset = FIELD(migrations_table),
				   .def = "_flux_migrations", .tpl = CFG_TPL_COMMENT },
	[CFG_MIGRATIONS_LOCK_ID] = { CFG_MIGRATIONS_LOCK_ID, "migrations_lock_id",
				     "backend", "migrations_lock_id",
				     "FLUX_MIGRATIONS_LOCK_ID", NULL, false,
				     "an integer (int64)", .type = CFG_T_INT64,
				     .offset = FIELD(migrations_lock_id), .def = "3589",
				     .tpl = CFG_TPL_COMMENT },
	[CFG_DATABASE_URL] = { CFG_DATABASE_URL, "database_url", NULL, NULL,
			       "FLUX_DATABASE_URL", "--database-url", true,
			       "a libpq URI or key=value string", .type = CFG_T_URL,
			       .offset = FIELD(database_url),
			       .unset = "(not set: libpq PG* variables apply)",
			       .metavar = "URL",
			       .help = "libpq URI or key=value string" },
	[CFG_WAIT_TIMEOUT] = { CFG_WAIT_TIMEOUT, "wait_timeout", NULL, NULL,
			       "FLUX_WAIT_TIMEOUT", "--wait-timeout", false,
			       DURATION_TEXT, .type = CFG_T_DURATION,
			       .offset = FIELD(wait_timeout_ms), .def = "60s",
			       .metavar = "DURATION",
			       .help = "wait for the database (default 60s, 0: try once)" },
	[CFG_LOCK_TIMEOUT] = { CFG_LOCK_TIMEOUT, "lock_timeout", NULL, NULL,
			       "FLUX_LOCK_TIMEOUT", "--lock-timeout", false,
			       DURATION_TEXT, .type = CFG_T_DURATION,
			       .offset = FIELD(lock_timeout_ms), .def = "0",
			       .metavar = "DURATION",
			       .help = "wait for the lock (default 0: for ever)" },
	[CFG_LOG_FORMAT] = { CFG_LOG_FORMAT, "log_format", NULL, NULL, "FLUX_LOG_FORMAT",
			     "--log-format", false, "text, json", .type = CFG_T_ENUM,
			     .offset = FIELD(log_format), .def = "text",
			     .words = format_words, .metavar = "FORMAT",
			     .help = "text or json" },
	[CFG_AUTO_APPROVE] = { CFG_AUTO_APPROVE, "auto_approve", NULL, NULL,
			       "FLUX_AUTO_APPROVE", "--auto-approve", false,
			       "true, false", .type = CFG_T_BOOL,
			       .offset = FIELD(auto_approve), .def = "false",
			       .short_flag = 'y', .help = "do not ask for confirmation" },
	[CFG_TERMINATION_LOG] = { CFG_TERMINATION_LOG, "termination_log", NULL, NULL,
				  "FLUX_TERMINATION_LOG", NULL, false, "a file path",
				  .type = CFG_T_STRING, .offset = FIELD(termination_log),
				  .unset =
					  "(not set: /dev/termination-log when it exists and is writable)" },
	[CFG_LINT_IGNORE] = { CFG_LINT_IGNORE, "lint_ignore", "flux", "lint_ignore",
			      "FLUX_LINT_IGNORE", NULL, false,
			      "comma-separated rule IDs of 'flux lint --help'",
			      .type = CFG_T_RULES, .offset = FIELD(lint_ignore),
			      .def = "", .unset = "(none)" },
	[CFG_DDL_LOCK_TIMEOUT] = { CFG_DDL_LOCK_TIMEOUT, "ddl_lock_timeout", "flux",
				   "ddl_lock_timeout", "FLUX_DDL_LOCK_TIMEOUT",
				   "--ddl-lock-timeout", false,
				   DURATION_TEXT "; 0 is off", .type = CFG_T_DURATION,
				   .offset = FIELD(ddl_lock_timeout_ms), .def = "0",
				   .unset = "0 (off)", .metavar = "DURATION",
				   .help = "lock_timeout of each migration, retried (default 0: off)" },
	[CFG_DDL_LOCK_RETRIES] = { CFG_DDL_LOCK_RETRIES, "ddl_lock_retries", "flux",
				   "ddl_lock_retries", "FLUX_DDL_LOCK_RETRIES", NULL,
				   false, "a whole number from 0 to 1000",
				   .type = CFG_T_INT, .offset = FIELD(ddl_lock_retries),
				   .def = "10", .min = 0, .max = 1000 },
};

/* Longest value quoted back in a message: a secrets file may be 64 KiB. */
#define QUOTE_MAX 100

/* Config files are a few lines; anything bigger is not one. */
#define FILE_MAX (1024 * 1024)

static void set_origin(struct flux_config *cfg, enum cfg_key key, enum cfg_source source,
		       const char *where)
{
	free(cfg->where[key]);
	cfg->where[key] = xstrdup(where ? where : cfg_source_name(source));
	cfg->source[key] = source;
}

/* The field of setting s in cfg, as a T. */
#define FIELD_AT(cfg, s, T) ((T *)(void *)((char *)(cfg) + (s)->offset))
#define CFIELD_AT(cfg, s, T) \
	((const T *)(const void *)((const char *)(cfg) + (s)->offset))

/* Does the setting's field hold a string that cfg owns? */
static bool owns_string(const struct cfg_setting *s)
{
	return s->type == CFG_T_STRING || s->type == CFG_T_WORD ||
		s->type == CFG_T_BACKEND || s->type == CFG_T_IDENT ||
		s->type == CFG_T_URL || s->type == CFG_T_RULES;
}

void cfg_init(struct flux_config *cfg)
{
	struct flux_err err = FLUX_ERR_INIT;
	int i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_setting *s = &cfg_settings[i];
		const char *def = s->type == CFG_T_BACKEND ? db_backends[0]->name :
							     s->def;

		/* A default the setting refuses is a bug in the table above. */
		if (def &&
		    cfg_set(cfg, s->key, def, CFG_SRC_DEFAULT, "default", &err) < 0)
			abort();
		set_origin(cfg, s->key, CFG_SRC_DEFAULT, "default");
	}
	err_release(&err);
}

void cfg_release(struct flux_config *cfg)
{
	int i;

	if (!cfg)
		return;
	for (i = 0; i < CFG_NKEYS; i++) {
		if (owns_string(&cfg_settings[i]))
			free(*FIELD_AT(cfg, &cfg_settings[i], char *));
		free(cfg->where[i]);
	}
	free(cfg->config_path);
	memset(cfg, 0, sizeof(*cfg));
}

const char *cfg_source_name(enum cfg_source source)
{
	switch (source) {
	case CFG_SRC_DEFAULT:
		return "default";
	case CFG_SRC_FILE:
		return "file";
	case CFG_SRC_ENV:
		return "env";
	case CFG_SRC_FLAG:
		return "flag";
	}
	return "default";
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int ascii_casecmp(const char *a, const char *b)
{
	while (*a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return ascii_lower((unsigned char)*a) - ascii_lower((unsigned char)*b);
}

bool cfg_valid_identifier(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			c == '_';

		if (i >= 63 || !(letter || (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return i > 0;
}

/*
 * PostgreSQL's reserved key words: the one list flux keeps. These are the
 * words pg_get_keywords() marks 'R' (reserved) or 'T' (reserved, can be a
 * function or type name) in PostgreSQL 13 to 17 (their union); neither
 * kind can name a schema or a table without quotes, and flux, like
 * flux-migrations, uses the names unquoted. tests/cli/config.bats checks
 * every such word of the test server against this list. Sorted.
 */
static const char *const pg_reserved[] = {
	"all",
	"analyse",
	"analyze",
	"and",
	"any",
	"array",
	"as",
	"asc",
	"asymmetric",
	"authorization",
	"binary",
	"both",
	"case",
	"cast",
	"check",
	"collate",
	"collation",
	"column",
	"concurrently",
	"constraint",
	"create",
	"cross",
	"current_catalog",
	"current_date",
	"current_role",
	"current_schema",
	"current_time",
	"current_timestamp",
	"current_user",
	"default",
	"deferrable",
	"desc",
	"distinct",
	"do",
	"else",
	"end",
	"except",
	"false",
	"fetch",
	"for",
	"foreign",
	"freeze",
	"from",
	"full",
	"grant",
	"group",
	"having",
	"ilike",
	"in",
	"initially",
	"inner",
	"intersect",
	"into",
	"is",
	"isnull",
	"join",
	"lateral",
	"leading",
	"left",
	"like",
	"limit",
	"localtime",
	"localtimestamp",
	"natural",
	"not",
	"notnull",
	"null",
	"offset",
	"on",
	"only",
	"or",
	"order",
	"outer",
	"overlaps",
	"placing",
	"primary",
	"references",
	"returning",
	"right",
	"select",
	"session_user",
	"similar",
	"some",
	"symmetric",
	"system_user",
	"table",
	"tablesample",
	"then",
	"to",
	"trailing",
	"true",
	"union",
	"unique",
	"user",
	"using",
	"variadic",
	"verbose",
	"when",
	"where",
	"window",
	"with",
};

bool cfg_reserved_word(const char *s)
{
	size_t lo = 0, hi = sizeof(pg_reserved) / sizeof(pg_reserved[0]), mid;
	char buf[64];
	size_t i;
	int c;

	/* PostgreSQL folds unquoted names to lower case: so do we. */
	for (i = 0; s[i]; i++) {
		if (i + 1 >= sizeof(buf))
			return false;
		buf[i] = (char)ascii_lower((unsigned char)s[i]);
	}
	buf[i] = '\0';
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(buf, pg_reserved[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

long cfg_parse_duration_ms(const char *s)
{
	long n = 0, mult;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (LONG_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		mult = 1000;
	else if (strcmp(p, "m") == 0)
		mult = 60000;
	else
		return -1;
	if (n > LONG_MAX / mult)
		return -1;
	return n * mult;
}

/*
 * A TOML integer: optional sign, decimal digits, '_' allowed between
 * digits. The whole int64 range; anything else (spaces, 0x, overflow) fails.
 */
static int parse_int64(const char *s, int64_t *out)
{
	char buf[64], *end;
	size_t i, o = 0;
	long long v;

	for (i = 0; s[i]; i++) {
		if (s[i] == '_') {
			if (i == 0 || s[i - 1] < '0' || s[i - 1] > '9' ||
			    s[i + 1] < '0' || s[i + 1] > '9')
				return -1;
			continue;
		}
		if (o >= sizeof(buf) - 1)
			return -1;
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	i = (buf[0] == '+' || buf[0] == '-') ? 1 : 0;
	if (buf[i] < '0' || buf[i] > '9')
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

/*
 * Booleans are TOML's true/false. Case is ignored so that environment
 * values like FLUX_AUTO_APPROVE=TRUE work; 1/0 and yes/no are not taken,
 * since flux-migrations would not read them from the file either.
 */
static int parse_bool(const char *s, bool *out)
{
	if (ascii_casecmp(s, "true") == 0)
		*out = true;
	else if (ascii_casecmp(s, "false") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

/*
 * A value quoted for a message: any URL or conninfo password in it
 * redacted (a database URL given to the wrong option, a conninfo pasted
 * into another setting), control bytes escaped, long ones cut.
 */
static void add_quoted_value(struct sb *sb, const char *raw)
{
	char *value = url_redact_text(raw);
	size_t i;

	sb_addch(sb, '\'');
	for (i = 0; value[i] && i < QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c < 0x20 || c == 0x7f)
			sb_addf(sb, "\\x%02x", c);
		else
			sb_addch(sb, c);
	}
	if (value[i])
		sb_adds(sb, "...");
	sb_addch(sb, '\'');
	free(value);
}

/* A user value (a path, a name) fit to quote: passwords redacted. */
static char *shown(const char *value)
{
	return url_redact_text(value);
}

static int bad_value_because(enum cfg_key key, const char *value, enum cfg_source source,
			     const char *where, const char *why, struct flux_err *err)
{
	const struct cfg_setting *s = &cfg_settings[key];
	struct sb msg = SB_INIT;
	bool one_of = s->type == CFG_T_WORD || s->type == CFG_T_ENUM ||
		s->type == CFG_T_BOOL;

	sb_addf(&msg, "invalid %s ", s->name);
	if (s->secret) {
		char *redacted = url_redact(value);

		add_quoted_value(&msg, redacted);
		free(redacted);
	} else {
		add_quoted_value(&msg, value);
	}
	if (why)
		sb_addf(&msg, " in %s: %s", where, why);
	else
		sb_addf(&msg, " in %s: expected %s%s", where, one_of ? "one of " : "",
			s->accepted);
	err_set(err, source == CFG_SRC_FLAG ? FLUX_EXIT_USAGE : FLUX_EXIT_CONFIG, "%s",
		msg.buf);
	sb_release(&msg);
	return -1;
}

static void replace_string(struct flux_config *cfg, const struct cfg_setting *s,
			   char *value)
{
	char **field = FIELD_AT(cfg, s, char *);

	free(*field);
	*field = value;
}

/* lint_ignore: every ID must name a rule; stored as "a,b" in rule order. */
static int set_lint_ignore(struct flux_config *cfg, const struct cfg_setting *s,
			   const char *value, enum cfg_source source, const char *where,
			   struct flux_err *err)
{
	struct sb ids = SB_INIT, msg = SB_INIT;
	const char *bad;
	size_t bad_len;
	unsigned mask;
	int i;

	if (lint_parse_rule_list(value, &mask, &bad, &bad_len) < 0) {
		sb_adds(&msg, "invalid lint_ignore ");
		add_quoted_value(&msg, value);
		sb_addf(&msg, " in %s: unknown rule '%.*s': expected %s", where,
			bad_len > QUOTE_MAX ? QUOTE_MAX : (int)bad_len, bad, s->accepted);
		err_set(err, source == CFG_SRC_FLAG ? FLUX_EXIT_USAGE : FLUX_EXIT_CONFIG,
			"%s", msg.buf);
		sb_release(&msg);
		return -1;
	}
	for (i = 0; i < LINT_NRULES; i++)
		if (mask & (1u << i))
			sb_addf(&ids, "%s%s", ids.len ? "," : "", lint_rules[i].id);
	replace_string(cfg, s, sb_detach(&ids, NULL));
	return 0;
}

static int bad_value(enum cfg_key key, const char *value, enum cfg_source source,
		     const char *where, struct flux_err *err)
{
	return bad_value_because(key, value, source, where, NULL, err);
}

/* The entry of words that value names, any case, or NULL. */
static const struct cfg_word *find_word(const struct cfg_word *words, const char *value)
{
	for (; words && words->word; words++)
		if (ascii_casecmp(value, words->word) == 0)
			return words;
	return NULL;
}

/* Not a directory anyone has: a URL given to the wrong option. */
static const char *refuse_url_as_directory(const char *value)
{
	return url_looks_like(value) ?
		"expected a directory path, not a database URL "
		"(--database-url or FLUX_DATABASE_URL takes that)" :
		NULL;
}

int cfg_set(struct flux_config *cfg, enum cfg_key key, const char *value,
	    enum cfg_source source, const char *where, struct flux_err *err)
{
	const struct cfg_setting *s;
	const struct cfg_word *w;
	const char *why;
	int64_t i64;
	long ms;
	bool b;
	char *url;

	if (!where)
		where = cfg_source_name(source);
	if ((int)key < 0 || key >= CFG_NKEYS || !value)
		return err_set(err, FLUX_EXIT_CONFIG, "invalid setting in %s", where);
	s = &cfg_settings[key];
	if (s->refuse && (why = s->refuse(value)))
		return bad_value_because(key, value, source, where, why, err);

	switch (s->type) {
	case CFG_T_STRING:
		if (!*value)
			return bad_value(key, value, source, where, err);
		break;
	case CFG_T_BACKEND: {
		const struct db_backend *be = db_backend_find(value);
		struct sb names = SB_INIT;

		if (!be) {
			sb_adds(&names, "expected one of ");
			db_backend_names(&names);
			bad_value_because(key, value, source, where, names.buf, err);
			sb_release(&names);
			return -1;
		}
		replace_string(cfg, s, xstrdup(be->name));
		break;
	}
	case CFG_T_WORD:
	case CFG_T_ENUM:
		/* Case is ignored: flux-migrations writes Python's "INFO". */
		if (!(w = find_word(s->words, value)))
			return bad_value(key, value, source, where, err);
		if (s->type == CFG_T_ENUM)
			*FIELD_AT(cfg, s, int) = w->value;
		else
			replace_string(cfg, s, xstrdup(w->word));
		break;
	case CFG_T_BOOL:
		if (parse_bool(value, &b) < 0)
			return bad_value(key, value, source, where, err);
		*FIELD_AT(cfg, s, bool) = b;
		break;
	case CFG_T_INT64:
		if (parse_int64(value, &i64) < 0)
			return bad_value(key, value, source, where, err);
		*FIELD_AT(cfg, s, int64_t) = i64;
		break;
	case CFG_T_INT:
		if (parse_int64(value, &i64) < 0 || i64 < s->min || i64 > s->max)
			return bad_value(key, value, source, where, err);
		*FIELD_AT(cfg, s, long) = (long)i64;
		break;
	case CFG_T_DURATION:
		ms = cfg_parse_duration_ms(value);
		if (ms < 0)
			return bad_value(key, value, source, where, err);
		*FIELD_AT(cfg, s, long) = ms;
		break;
	case CFG_T_IDENT:
		if (!cfg_valid_identifier(value))
			return bad_value(key, value, source, where, err);
		if (cfg_reserved_word(value))
			return bad_value_because(
				key, value, source, where,
				"a reserved word in PostgreSQL, which flux's unquoted "
				"names cannot use; choose another name",
				err);
		break;
	case CFG_T_URL:
		/*
		 * An empty URL is refused rather than taken as "use PG*":
		 * `--database-url "$UNSET"` should not quietly connect
		 * elsewhere. A URL libpq cannot parse is exit 3 whatever its
		 * source, flags included (SPEC section 4).
		 */
		if (!*value)
			return err_set(err, FLUX_EXIT_CONFIG,
				       "invalid database URL '' in %s: expected %s",
				       where, s->accepted);
		if (url_normalise_from(value, where, &url, err) < 0)
			return -1;
		replace_string(cfg, s, url);
		break;
	case CFG_T_RULES:
		if (set_lint_ignore(cfg, s, value, source, where, err) < 0)
			return -1;
		break;
	}
	if (s->type == CFG_T_STRING || s->type == CFG_T_IDENT)
		replace_string(cfg, s, xstrdup(value));
	set_origin(cfg, key, source, where);
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	/* Anything but "not there" counts, so that reading it reports why. */
	return stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

int cfg_locate(const char *explicit_path, const char *env_path, char **path,
	       struct flux_err *err)
{
	const char *chosen = NULL, *from = NULL;
	struct stat st;
	int ini, toml;

	*path = NULL;
	if (explicit_path) {
		chosen = explicit_path;
		from = "--config";
	} else if (env_path && *env_path) {
		chosen = env_path;
		from = "FLUX_CONFIG";
	}
	if (chosen) {
		if (stat(chosen, &st) < 0) {
			int e = errno;
			char *p = shown(chosen);

			err_set(err, FLUX_EXIT_CONFIG,
				"cannot open config file '%s' (from %s): %s", p, from,
				strerror(e));
			free(p);
			return -1;
		}
		*path = xstrdup(chosen);
		return 0;
	}
	ini = file_exists("flux.ini");
	toml = file_exists("flux.toml");
	if (ini && toml)
		log_warn("config",
			 "both flux.ini and flux.toml exist: using flux.ini "
			 "(flux-migrations reads flux.toml)");
	if (ini)
		*path = xstrdup("flux.ini");
	else if (toml)
		*path = xstrdup("flux.toml");
	return 0;
}

/*
 * Reading the file. inih finds sections, keys, comment lines and syntax
 * errors; we feed it one line at a time from memory so that we know the
 * line number (Debian's inih calls handlers without one) and the raw line.
 * Leading blanks are stripped before inih sees a line: TOML allows
 * indented keys, which inih would otherwise take as a continuation of the
 * previous value. Values are taken from the raw line, not from inih, and
 * read TOML-style ("...", '...', bare, then an optional # comment):
 * inih would cut a value at " ;" and knows no quotes. That also lifts
 * inih's line length limit for values: only the key must fit.
 */
struct seen_key {
	char *section, *name;
	int line;
};

struct file_state {
	struct flux_config *cfg;
	const char *path;
	const char *pos, *end; /* unread content */
	const char *line;      /* current line, leading blanks stripped */
	size_t line_len;       /* without its line ending */
	int lineno;
	char *last_section;    /* last unknown section warned about */
	struct seen_key *seen; /* every key read so far, for duplicates */
	size_t nseen, seen_alloc;
	int err_line;       /* line of the first bad value, or 0 */
	struct sb warnings; /* '\n'-ended, logged once the whole file parsed */
	struct flux_err *err;
};

static char *file_reader(char *str, int num, void *stream)
{
	struct file_state *st = stream;
	const char *eol;
	size_t len, n;

	if (st->pos >= st->end || num < 3)
		return NULL;
	eol = memchr(st->pos, '\n', (size_t)(st->end - st->pos));
	if (!eol)
		eol = st->end;
	st->lineno++;
	while (st->pos < eol && (*st->pos == ' ' || *st->pos == '\t'))
		st->pos++;
	len = (size_t)(eol - st->pos);
	if (len && st->pos[len - 1] == '\r')
		len--;
	st->line = st->pos;
	st->line_len = len;
	st->pos = eol < st->end ? eol + 1 : eol;

	n = len < (size_t)num - 2 ? len : (size_t)num - 2;
	memcpy(str, st->line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

/* Parse a TOML-ish value from [p, end) into out. NULL or an error text. */
static const char *parse_file_value(const char *p, const char *end, struct sb *out)
{
	char q;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		q = *p++;
		for (; p < end && *p != q; p++) {
			/* Only \" and \\ are escapes; other backslashes stay. */
			if (q == '"' && *p == '\\' && p + 1 < end &&
			    (p[1] == '"' || p[1] == '\\'))
				p++;
			sb_addch(out, *p);
		}
		if (p >= end)
			return "unterminated quoted value";
		for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < end && *p != '#' && *p != ';')
			return "unexpected text after the closing quote";
		return NULL;
	}
	/* Bare: up to a '#' or ';' that starts a comment, trailing blanks cut. */
	{
		const char *start = p, *stop = p;

		for (; p < end; p++) {
			if ((*p == '#' || *p == ';') &&
			    (p == start || p[-1] == ' ' || p[-1] == '\t'))
				break;
			if (*p != ' ' && *p != '\t')
				stop = p + 1;
		}
		sb_add(out, start, (size_t)(stop - start));
	}
	return NULL;
}

static const struct cfg_setting *find_file_key(const char *section, const char *name)
{
	int i;

	for (i = 0; i < CFG_NKEYS; i++) {
		const struct cfg_setting *s = &cfg_settings[i];

		if (s->section && strcmp(s->section, section) == 0 &&
		    strcmp(s->file_key, name) == 0)
			return s;
	}
	return NULL;
}

static int known_section(const char *section)
{
	int i;

	for (i = 0; i < CFG_NKEYS; i++)
		if (cfg_settings[i].section &&
		    strcmp(cfg_settings[i].section, section) == 0)
			return 1;
	return 0;
}

/*
 * TOML: "Defining a key multiple times is invalid." An INI reader would
 * silently keep one of the two, and not the same one as every other tool.
 */
static int check_duplicate(struct file_state *st, const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < st->nseen; i++) {
		if (strcmp(st->seen[i].section, section) == 0 &&
		    strcmp(st->seen[i].name, name) == 0) {
			char *key = shown(name);

			err_set(st->err, FLUX_EXIT_CONFIG,
				"duplicate key '%s%s%s' in %s:%d: already set at line %d "
				"(TOML allows a key once)",
				*section ? section : "", *section ? "." : "", key,
				st->path, st->lineno, st->seen[i].line);
			free(key);
			return -1;
		}
	}
	XGROW(st->seen, st->seen_alloc, st->nseen + 1);
	st->seen[st->nseen].section = xstrdup(section);
	st->seen[st->nseen].name = xstrdup(name);
	st->seen[st->nseen].line = st->lineno;
	st->nseen++;
	return 0;
}

static int file_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct file_state *st = user;
	const struct cfg_setting *s;
	struct sb where = SB_INIT, val = SB_INIT;
	const char *sep, *line_end = st->line + st->line_len, *problem;
	int ok = 1;

	(void)value; /* re-read from the raw line, see above */
	if (st->err_line)
		return 1;
	sb_addf(&where, "%s:%d", st->path, st->lineno);
	if (check_duplicate(st, section, name) < 0) {
		st->err_line = st->lineno;
		ok = 0;
		goto done;
	}
	if (!known_section(section)) {
		if (!*section) {
			sb_addf(&st->warnings,
				"unknown key '%s' in %s (ignored): "
				"keys belong in [flux] or [backend]\n",
				name, where.buf);
		} else if (!st->last_section || strcmp(st->last_section, section) != 0) {
			char *shown_section = shown(section);

			sb_addf(&st->warnings, "unknown section '[%s]' in %s (ignored)\n",
				shown_section, where.buf);
			free(shown_section);
			free(st->last_section);
			st->last_section = xstrdup(section);
		}
		goto done;
	}
	s = find_file_key(section, name);
	if (!s) {
		sb_addf(&st->warnings, "unknown key '%s' in %s (ignored)\n", name,
			where.buf);
		goto done;
	}
	/* inih split the line at its first '=' or ':', and so do we. */
	sep = st->line + strcspn(st->line, "=:");
	if (sep >= line_end) {
		ok = 0;
		err_set(st->err, FLUX_EXIT_CONFIG,
			"cannot parse config file '%s': "
			"syntax error at line %d",
			st->path, st->lineno);
	} else if ((problem = parse_file_value(sep + 1, line_end, &val))) {
		ok = 0;
		err_set(st->err, FLUX_EXIT_CONFIG, "invalid %s in %s: %s", s->name,
			where.buf, problem);
	} else if (cfg_set(st->cfg, s->key, val.buf, CFG_SRC_FILE, where.buf, st->err) <
		   0) {
		ok = 0;
	}
	if (!ok)
		st->err_line = st->lineno;
done:
	sb_release(&where);
	sb_release(&val);
	return ok;
}

static void log_warning_lines(const char *p)
{
	const char *eol;

	for (; (eol = strchr(p, '\n')); p = eol + 1)
		log_warn("config", "%.*s", (int)(eol - p), p);
}

static int read_file(const char *path, struct sb *out, struct flux_err *err)
{
	int rc = sb_read_file(out, path, FILE_MAX), e = errno;
	char *p;

	if (!rc)
		return 0;
	p = shown(path);
	if (rc == -1)
		err_set(err, FLUX_EXIT_CONFIG, "cannot open config file '%s': %s", p,
			strerror(e));
	else if (e == EFBIG)
		err_set(err, FLUX_EXIT_CONFIG,
			"cannot read config file '%s': larger than %d bytes", p,
			FILE_MAX);
	else
		err_set(err, FLUX_EXIT_CONFIG, "cannot read config file '%s': %s", p,
			strerror(e));
	free(p);
	return -1;
}

int cfg_load_file(struct flux_config *cfg, const char *path, struct flux_err *err)
{
	struct file_state st;
	struct sb content = SB_INIT;
	const char *nul;
	int ret = -1, rc;

	if (read_file(path, &content, err) < 0)
		goto cleanup;
	if ((nul = memchr(content.buf, '\0', content.len))) {
		int line = 1;
		const char *p;

		for (p = content.buf; p < nul; p++)
			line += *p == '\n';
		err_set(err, FLUX_EXIT_CONFIG,
			"cannot parse config file '%s': NUL byte at line %d", path, line);
		goto cleanup;
	}

	memset(&st, 0, sizeof(st));
	sb_init(&st.warnings, 0);
	st.cfg = cfg;
	st.path = path;
	st.pos = content.buf;
	st.end = content.buf + content.len;
	st.err = err;
	if (content.len >= 3 && memcmp(st.pos, "\xef\xbb\xbf", 3) == 0)
		st.pos += 3;
	rc = ini_parse_stream(file_reader, &st, file_handler, &st);
	free(st.last_section);
	for (size_t i = 0; i < st.nseen; i++) {
		free(st.seen[i].section);
		free(st.seen[i].name);
	}
	free(st.seen);
	/* inih reports the first failing line, a handler's or a syntax error. */
	if (rc > 0 && rc != st.err_line)
		err_set(err, FLUX_EXIT_CONFIG,
			"cannot parse config file '%s': syntax error at line %d", path,
			rc);
	else if (rc < 0)
		err_set(err, FLUX_EXIT_CONFIG, "cannot parse config file '%s': %s", path,
			rc == -2 ? "out of memory" : "cannot read it");
	/*
	 * Warnings wait for the verdict: after a syntax error inih goes on
	 * reading, and the keys it then finds (say below a broken section
	 * header) would be reported as unknown when the error is the news.
	 */
	if (rc == 0 && !st.err_line)
		log_warning_lines(st.warnings.buf);
	sb_release(&st.warnings);
	if (rc != 0 || st.err_line)
		goto cleanup;

	free(cfg->config_path);
	cfg->config_path = xstrdup(path);
	ret = 0;
cleanup:
	sb_release(&content);
	return ret;
}

static void add_duration(struct sb *out, long ms)
{
	if (ms == 0)
		sb_adds(out, "0");
	else if (ms % 1000 == 0)
		sb_addf(out, "%lds", ms / 1000);
	else
		sb_addf(out, "%ldms", ms);
}

/* The name of an enum value among words. */
static const char *word_of(const struct cfg_word *words, int value)
{
	for (; words && words->word; words++)
		if (words->value == value)
			return words->word;
	return "?";
}

void cfg_format_value(const struct flux_config *cfg, enum cfg_key key, struct sb *out)
{
	const struct cfg_setting *s;
	const char *text;
	char *redacted;
	long ms;

	if ((int)key < 0 || key >= CFG_NKEYS)
		return;
	s = &cfg_settings[key];
	switch (s->type) {
	case CFG_T_STRING:
	case CFG_T_WORD:
	case CFG_T_BACKEND:
	case CFG_T_IDENT:
	case CFG_T_RULES:
		text = *CFIELD_AT(cfg, s, char *);
		sb_adds(out, text && *text ? text : s->unset ? s->unset : "");
		break;
	case CFG_T_URL:
		text = *CFIELD_AT(cfg, s, char *);
		if (!text) {
			sb_adds(out, s->unset);
			break;
		}
		redacted = url_redact(text);
		sb_adds(out, redacted);
		free(redacted);
		break;
	case CFG_T_ENUM:
		sb_adds(out, word_of(s->words, *CFIELD_AT(cfg, s, int)));
		break;
	case CFG_T_BOOL:
		sb_adds(out, *CFIELD_AT(cfg, s, bool) ? "true" : "false");
		break;
	case CFG_T_INT64:
		sb_addf(out, "%lld", (long long)*CFIELD_AT(cfg, s, int64_t));
		break;
	case CFG_T_INT:
		sb_addf(out, "%ld", *CFIELD_AT(cfg, s, long));
		break;
	case CFG_T_DURATION:
		ms = *CFIELD_AT(cfg, s, long);
		if (!ms && s->unset)
			sb_adds(out, s->unset);
		else
			add_duration(out, ms);
		break;
	}
}

/* A default as TOML: quoted unless a bool or a number. */
static void add_toml_value(struct sb *out, const struct cfg_setting *s,
			   const char *backend)
{
	bool bare = s->type == CFG_T_BOOL || s->type == CFG_T_INT ||
		s->type == CFG_T_INT64;
	const char *v = s->type == CFG_T_BACKEND ? backend : s->def;

	sb_addf(out, bare ? "%s" : "\"%s\"", v ? v : "");
}

void cfg_template(struct sb *out, const char *backend, const char *backend_section)
{
	const char *sections[CFG_NKEYS];
	size_t nsections = 0, i, k;
	int j;

	/* The sections in the order the table first names them. */
	for (j = 0; j < CFG_NKEYS; j++) {
		const struct cfg_setting *s = &cfg_settings[j];

		if (!s->section || s->tpl == CFG_TPL_NONE)
			continue;
		for (k = 0; k < nsections && strcmp(sections[k], s->section); k++)
			;
		if (k == nsections)
			sections[nsections++] = s->section;
	}
	for (i = 0; i < nsections; i++) {
		/* The backend writes its own section: its settings, its defaults. */
		if (backend_section && !strcmp(sections[i], "backend")) {
			sb_addf(out, "%s%s", i ? "\n" : "", backend_section);
			continue;
		}
		sb_addf(out, "%s[%s]\n", i ? "\n" : "", sections[i]);
		for (j = 0; j < CFG_NKEYS; j++) {
			const struct cfg_setting *s = &cfg_settings[j];

			if (s->tpl == CFG_TPL_NONE || !s->section ||
			    strcmp(s->section, sections[i]))
				continue;
			sb_addf(out, "%s%s = ", s->tpl == CFG_TPL_COMMENT ? "# " : "",
				s->file_key);
			add_toml_value(out, s, backend);
			sb_addch(out, '\n');
		}
	}
}
