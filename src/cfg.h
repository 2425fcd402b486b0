/*
 * cfg: the configuration model, its defaults, and the config file.
 *
 * One table (cfg_settings) names every setting once: its file section and
 * key, environment variable, flag, type, default, help and field. Every value, whatever its source, goes
 * through cfg_set(), which parses and validates it and records where it came
 * from; a later source overrides an earlier one (defaults < file < env <
 * flags: the front calls them in that order). Reading the environment and
 * FLUX_*_FILE secrets is the front's job (entrypoint/env.c); this module
 * reads the config file with inih.
 * struct flux_config owns all its strings; cfg_release() frees them.
 * May depend on err, lint (its rule IDs), log, sb, xalloc, url, db (the
 * registry: backend names and URL checks only), inih and libc.
 */
#ifndef FLUX_CFG_H
#define FLUX_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "log.h"
#include "sb.h"

enum cfg_key {
	CFG_BACKEND = 0,
	CFG_MIGRATION_DIRECTORY,
	CFG_LOG_LEVEL,
	CFG_APPLY_REPEATABLE_ON_UNDO,
	CFG_MIGRATIONS_SCHEMA,
	CFG_MIGRATIONS_TABLE,
	CFG_MIGRATIONS_LOCK_ID,
	CFG_DATABASE_URL,
	CFG_WAIT_TIMEOUT,
	CFG_LOCK_TIMEOUT,
	CFG_LOG_FORMAT,
	CFG_AUTO_APPROVE,
	CFG_TERMINATION_LOG,
	CFG_LINT_IGNORE,
	CFG_DDL_LOCK_TIMEOUT,
	CFG_DDL_LOCK_RETRIES,
	CFG_NKEYS
};

enum cfg_source { CFG_SRC_DEFAULT = 0, CFG_SRC_FILE, CFG_SRC_ENV, CFG_SRC_FLAG };

/*
 * How a setting's text is read, stored and shown. Each type names the C
 * type of its field in struct flux_config.
 */
enum cfg_type {
	CFG_T_STRING,   /* char *: non-empty text (a path) */
	CFG_T_WORD,     /* char *: one of words[], any case, stored as listed */
	CFG_T_BACKEND,  /* char *: a backend of the registry (db.h), any case */
	CFG_T_ENUM,     /* int-sized enum: one of words[], any case */
	CFG_T_BOOL,     /* bool: true or false, any case */
	CFG_T_INT64,    /* int64_t: a TOML integer, the whole range */
	CFG_T_INT,      /* long: a whole number from min to max */
	CFG_T_DURATION, /* long, in ms: 500ms, 30s, 2m or bare seconds */
	CFG_T_IDENT,    /* char *: an identifier, not a reserved word */
	CFG_T_URL,      /* char *: a database URL, normalised; NULL: unset */
	CFG_T_RULES     /* char *: lint rule IDs "a,b", in rule order */
};

/* One accepted word of a CFG_T_WORD or CFG_T_ENUM setting and its value. */
struct cfg_word {
	const char *word;
	int value;
};

/* What `flux init` writes for a setting into flux.toml. */
enum cfg_template { CFG_TPL_NONE = 0, CFG_TPL_SET, CFG_TPL_COMMENT };

/*
 * A setting, once. Everything else (defaults, parsing, `flux config`,
 * release, the flags and their --help lines, the environment, the config
 * file keys and the `init` template) is generated from these rows: a new
 * setting is one row here plus its field in struct flux_config.
 */
struct cfg_setting {
	enum cfg_key key;
	const char *name;     /* shown by `flux config` */
	const char *section;  /* file section, NULL if not settable in a file */
	const char *file_key; /* file key, NULL if not settable in a file */
	const char *env;      /* environment variable, NULL if none */
	const char *flag;     /* long flag with dashes, NULL if none */
	bool secret;          /* redact when printed */
	const char *accepted; /* human text of accepted values, for errors */
	enum cfg_type type;
	size_t offset;                /* of the field in struct flux_config */
	const char *def;              /* the default as text; NULL: unset */
	const struct cfg_word *words; /* CFG_T_WORD, CFG_T_ENUM; NULL-ended */
	long min, max;                /* CFG_T_INT */
	const char *unset;            /* `flux config` text when unset, empty or 0 */
	char short_flag;              /* 'y' for -y, or 0 */
	const char *metavar;          /* the flag's value in --help, NULL for a bool */
	const char *help;             /* the flag's line in --help */
	enum cfg_template tpl;
	/* A reason to refuse a value the type accepts, or NULL: a row's own check. */
	const char *(*refuse)(const char *value);
};

extern const struct cfg_setting cfg_settings[CFG_NKEYS];

struct flux_config {
	char *backend;
	char *migration_directory;
	enum log_level log_level;
	bool apply_repeatable_on_undo;
	char *migrations_schema;
	char *migrations_table;
	int64_t migrations_lock_id;
	char *database_url; /* normalised (no +driver), NULL: libpq PG* vars */
	long wait_timeout_ms;
	long lock_timeout_ms; /* 0: wait for ever */
	enum log_format log_format;
	bool auto_approve;
	char *termination_log;    /* NULL: /dev/termination-log if writable */
	char *lint_ignore;        /* rule IDs "a,b", checked; "" for none */
	long ddl_lock_timeout_ms; /* 0: off; else SET LOCAL lock_timeout per migration */
	long ddl_lock_retries;    /* retries after a lock timeout (55P03) */

	char *config_path; /* the config file read, or NULL */
	enum cfg_source source[CFG_NKEYS];
	char *where[CFG_NKEYS]; /* "flux.ini:3", "FLUX_LOG_LEVEL", "--log-level" */
};

/* Fill in the built-in defaults. */
void cfg_init(struct flux_config *cfg);
void cfg_release(struct flux_config *cfg);

/*
 * Parse and store one value. `where` names its origin for messages
 * ("flux.ini:3", "FLUX_WAIT_TIMEOUT", "--wait-timeout"). A bad value is
 * FLUX_EXIT_USAGE for CFG_SRC_FLAG and FLUX_EXIT_CONFIG otherwise; the
 * message names where, the key, the value (any password in it redacted)
 * and the accepted values. Schema and table names must be identifiers and
 * not reserved words; a migration directory may not be a database URL.
 */
int cfg_set(struct flux_config *cfg, enum cfg_key key, const char *value,
	    enum cfg_source source, const char *where, struct flux_err *err);

/*
 * Choose the config file: explicit (--config) else env_path ($FLUX_CONFIG)
 * else ./flux.ini else ./flux.toml. An explicit or env path that does not
 * exist is FLUX_EXIT_CONFIG. *path is NULL when no file applies. Warns when
 * both flux.ini and flux.toml exist.
 */
int cfg_locate(const char *explicit_path, const char *env_path, char **path,
	       struct flux_err *err);

/*
 * Read a config file with inih; unknown sections/keys warn. A key set
 * twice in one section is FLUX_EXIT_CONFIG (TOML forbids it), naming the
 * file, the line and the key.
 */
int cfg_load_file(struct flux_config *cfg, const char *path, struct flux_err *err);

/* The value as `flux config` shows it, secrets redacted. */
void cfg_format_value(const struct flux_config *cfg, enum cfg_key key, struct sb *out);

/*
 * The settings part of flux.toml as `flux init` writes it: each section,
 * then its keys set or commented out with their defaults, in TOML.
 */
void cfg_template(struct sb *out, const char *backend, const char *backend_section);

/* Durations: "500ms", "30s", "2m", bare seconds. -1 on a bad value. */
long cfg_parse_duration_ms(const char *s);

/* ^[A-Za-z_][A-Za-z0-9_]{0,62}$ */
bool cfg_valid_identifier(const char *s);

/*
 * Is s (any case) one of PostgreSQL's reserved key words, which cannot
 * name a schema or table unquoted? The list lives in cfg.c, once.
 */
bool cfg_reserved_word(const char *s);

const char *cfg_source_name(enum cfg_source source);

#endif
