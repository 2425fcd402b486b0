/*
 * env: the front's environment layer: FLUX_* variables and FLUX_*_FILE
 * secrets.
 *
 * Every setting in cfg_settings that names an environment variable X may be
 * given as X or as X_FILE, the path of a file holding the value (Docker and
 * Kubernetes secrets); setting both, or naming a file that cannot be read,
 * is FLUX_EXIT_CONFIG. The database URL falls back to DATABASE_URL when
 * neither FLUX_DATABASE_URL nor FLUX_DATABASE_URL_FILE is set. An empty
 * variable counts as unset (compose writes `X=${X:-}`). Values go through
 * cfg_set() with CFG_SRC_ENV, so they override the file and are
 * overridden by flags.
 * The lookup function is injectable for tests; NULL means getenv(). Strings
 * it returns belong to the environment.
 * May depend on cfg, err, sb, url, xalloc and libc.
 */
#ifndef FLUX_ENV_H
#define FLUX_ENV_H

#include <stdbool.h>

#include "cfg.h"
#include "err.h"

/* Look a variable up: NULL when unset (getenv() but for the const). */
typedef const char *(*env_lookup_fn)(const char *name);

/* Apply every FLUX_* variable (and _FILE form) to cfg. 0 or -1. */
int env_apply(struct flux_config *cfg, env_lookup_fn lookup, struct flux_err *err);

/*
 * Does the environment ask for JSON logs: FLUX_LOG_FORMAT, else the file
 * FLUX_LOG_FORMAT_FILE names, says json in any case? For the earliest
 * errors, before env_apply(), which reports a bad value or file itself.
 */
bool env_log_json(env_lookup_fn lookup);

/* $FLUX_CONFIG (no _FILE form), or NULL when unset or empty. */
const char *env_config_path(env_lookup_fn lookup);

#endif
