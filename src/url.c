/*
 * url: database URLs, whichever backend they are for: each function asks
 * the backends built in (db_backends[]) through their url_* hooks.
 */
#include "url.h"

#include <stdlib.h>

#include "db.h"

bool url_looks_like(const char *s)
{
	size_t i;

	for (i = 0; db_backends[i]; i++)
		if (db_backends[i]->url_looks_like(s))
			return true;
	return false;
}

/* The backend whose scheme s has, else the default (a key=value string). */
static const struct db_backend *backend_of(const char *s)
{
	size_t i;

	for (i = 0; db_backends[i]; i++)
		if (db_backends[i]->url_looks_like(s))
			return db_backends[i];
	return db_backends[0];
}

int url_normalise_from(const char *in, const char *where, char **out,
		       struct flux_err *err)
{
	return backend_of(in)->url_check(in, where, out, err);
}

int url_normalise(const char *in, char **out, struct flux_err *err)
{
	return url_normalise_from(in, NULL, out, err);
}

/* Each backend redacts what it knows of the previous one's output. */
static char *redact_all(const char *in, bool text)
{
	char *cur = NULL, *next;
	size_t i;

	for (i = 0; db_backends[i]; i++) {
		const char *from = cur ? cur : in;

		next = text ? db_backends[i]->url_redact_text(from) :
			      db_backends[i]->url_redact(from);
		free(cur);
		cur = next;
	}
	return cur;
}

char *url_redact(const char *in)
{
	return redact_all(in, false);
}

char *url_redact_text(const char *text)
{
	return redact_all(text, true);
}

void url_scrub(char *s)
{
	size_t i;

	for (i = 0; db_backends[i]; i++)
		db_backends[i]->url_scrub(s);
}
