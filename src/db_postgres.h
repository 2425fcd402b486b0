/*
 * db_postgres: what the PostgreSQL backend's two files share. Private to
 * the backend (db_postgres.c, db_postgres_url.c): the rest of flux reaches
 * these only through db_postgres_backend's hooks (db.h) and src/url.h.
 * May depend on err and libc.
 */
#ifndef FLUX_DB_POSTGRES_H
#define FLUX_DB_POSTGRES_H

#include <stdbool.h>

#include "err.h"

/* Does s look like a PostgreSQL URL (scheme postgres/postgresql[+x]://)? */
bool pg_url_looks_like(const char *s);

/*
 * Drop a "+driver" from the scheme and check that libpq can parse the
 * result (URI or key=value); a URI with more than one raw '@' is refused.
 * A failure is FLUX_EXIT_CONFIG, `invalid database URL '<redacted>' in
 * <where>: <reason>` (where may be NULL). *out (malloc'd) is the
 * normalised string.
 */
int pg_url_check(const char *in, const char *where, char **out, struct flux_err *err);

/* A malloc'd copy of a URL or conninfo, any password replaced by "***". */
char *pg_url_redact(const char *in);

/* A malloc'd copy of free text, the password of every URL and `password=` in it "***". */
char *pg_url_redact_text(const char *text);

/* Overwrite, in place, every password byte of the URL or conninfo s with '*'. */
void pg_url_scrub(char *s);

#endif
