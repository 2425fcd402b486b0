/*
 * url: database URL handling: the +driver form, validation, redaction,
 * for every backend built in (each does its own: the url_* hooks of
 * struct db_backend, db.h; PostgreSQL's are in src/db_postgres_url.c).
 *
 * flux-migrations users have SQLAlchemy-style URLs (postgresql+asyncpg://);
 * libpq wants postgresql://. Redaction hides passwords in URIs and in
 * key=value conninfo strings so that no output ever carries one: every
 * backend's redaction is applied. Returned strings are malloc'd and owned
 * by the caller.
 * May depend on db (the registry and its url_* hooks only) and libc.
 */
#ifndef FLUX_URL_H
#define FLUX_URL_H

#include <stdbool.h>

#include "err.h"

/* Does s look like a database URL of any backend (postgres/postgresql[+x]://)? */
bool url_looks_like(const char *s);

/*
 * The url_check of the backend whose scheme `in` has (else the default
 * backend's, for a key=value string): for PostgreSQL, drop a "+driver"
 * from the scheme and check that libpq can parse the result (URI or
 * key=value). A parse failure is FLUX_EXIT_CONFIG with the
 * redacted value and libpq's reason. *out is the normalised string.
 */
int url_normalise(const char *in, char **out, struct flux_err *err);

/*
 * As url_normalise(), the message also naming where the value came from:
 * `invalid database URL '...' in FLUX_DATABASE_URL: <reason>`. where may
 * be NULL.
 */
int url_normalise_from(const char *in, const char *where, char **out,
		       struct flux_err *err);

/*
 * A URI with more than one raw '@' is refused (FLUX_EXIT_CONFIG): libpq
 * would end the password at the first one and take the rest for a host.
 */

/* A copy of a URL or conninfo with any password replaced by "***". */
char *url_redact(const char *in);

/*
 * A copy of free text (a message, or any value a user gave) with the
 * password of every URL and every `password=` in it replaced by "***":
 * a text that starts with a scheme is read whole as url_redact() reads it;
 * otherwise a URL runs from its scheme to the next white space. Every
 * message that quotes a user value passes it (or itself) through this.
 */
char *url_redact_text(const char *text);

/*
 * Overwrite, in place, every password byte of the URL or conninfo s with
 * '*' (same length): for flux's own argv, so that /proc/PID/cmdline and
 * ps no longer show it.
 */
void url_scrub(char *s);

#endif
