#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

static int oom_json;

void xalloc_log_json(int on)
{
	oom_json = on;
}

/*
 * The one out-of-memory exit. what is "N bytes" or "N x M bytes". No stdio
 * buffer and no malloc: snprintf into the stack, one write.
 */
static void oom_exit(const char *what)
{
	char line[256];
	int n;

	if (oom_json) {
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
			     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
			     "\"level\":\"error\",\"event\":\"out_of_memory\","
			     "\"msg\":\"out of memory allocating %s\"}\n",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			     tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000), what);
	} else {
		n = snprintf(line, sizeof(line),
			     "flux: error: out of memory allocating %s\n", what);
	}
	if (n > 0 && (size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (n > 0 && write(2, line, (size_t)n) < 0) {
		/* nothing more can be done about it */
	}
	exit(FLUX_EXIT_NOMEM);
}

static void oom(size_t n)
{
	char what[64];

	snprintf(what, sizeof(what), "%zu bytes", n);
	oom_exit(what);
}

static void oom2(size_t a, size_t b)
{
	char what[96];

	snprintf(what, sizeof(what), "%zu x %zu bytes", a, b);
	oom_exit(what);
}

size_t xsize_add(size_t a, size_t b)
{
	if (a > SIZE_MAX - b) {
		char what[96];

		snprintf(what, sizeof(what), "%zu + %zu bytes", a, b);
		oom_exit(what);
	}
	return a + b;
}

size_t xsize_mul(size_t a, size_t b)
{
	if (b && a > SIZE_MAX / b)
		oom2(a, b);
	return a * b;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		oom2(nmemb, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(xsize_add(len, 1));
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void xgrow(void **arr, size_t *alloc, size_t n, size_t elem)
{
	size_t want;

	if (n <= *alloc)
		return;
	/* Doubling that would overflow the byte count asks for n instead. */
	if (!*alloc)
		want = 16;
	else if (elem && *alloc > SIZE_MAX / 2 / elem)
		want = n;
	else
		want = *alloc * 2;
	if (want < n)
		want = n;
	*arr = xrealloc(*arr, xsize_mul(want, elem));
	*alloc = want;
}
