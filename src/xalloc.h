/*
 * xalloc: allocation that cannot fail.
 *
 * On out-of-memory these print one line to stderr and exit(70): the only
 * exit outside the front. Callers never check their results for NULL.
 * May depend on libc only.
 */
#ifndef FLUX_XALLOC_H
#define FLUX_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Grow *arr (of *alloc elements of size elem) to hold at least n elements. */
void xgrow(void **arr, size_t *alloc, size_t n, size_t elem);
#define XGROW(arr, alloc, n) xgrow((void **)&(arr), &(alloc), (n), sizeof(*(arr)))

#endif
