/*
 * url: database URL handling: the +driver form, validation, redaction.
 *
 * flux-migrations users have SQLAlchemy-style URLs (postgresql+asyncpg://);
 * libpq wants postgresql://. Redaction hides passwords in URIs and in
 * key=value conninfo strings so that no output ever carries one.
 * Returned strings are malloc'd and owned by the caller.
 * May depend on libpq (PQconninfoParse), sb, xalloc, err and libc.
 */
#ifndef FLUX_URL_H
#define FLUX_URL_H

#include <stdbool.h>

#include "err.h"

/* Does s look like a database URL (scheme postgres/postgresql[+x]://)? */
bool url_looks_like(const char *s);

/*
 * Drop a "+driver" from the scheme and check that libpq can parse the
 * result (URI or key=value). A parse failure is FLUX_EXIT_CONFIG with the
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

/* A copy with any password replaced by "***". Never fails. */
char *url_redact(const char *in);

#endif
