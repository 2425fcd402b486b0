/*
 * xalloc: allocation that cannot fail.
 *
 * On out-of-memory these write one line to stderr naming the size asked
 * for (`flux: error: out of memory allocating N bytes`, or a JSON event
 * when JSON logs were chosen) and exit with FLUX_EXIT_NOMEM (12): the only
 * exit outside the front. A size whose arithmetic overflows is treated the
 * same way. Callers never check their results for NULL.
 * The line is written with one write(2) from a stack buffer: nothing on
 * that path allocates.
 * May depend on err.h (the exit codes) and libc only.
 */
#ifndef FLUX_XALLOC_H
#define FLUX_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* a + b and a * b, or the out-of-memory exit when the result overflows. */
size_t xsize_add(size_t a, size_t b);
size_t xsize_mul(size_t a, size_t b);

/*
 * Grow *arr (of *alloc elements of size elem) to hold at least n elements:
 * doubling, and never past what a size_t can count in bytes.
 */
void xgrow(void **arr, size_t *alloc, size_t n, size_t elem);
#define XGROW(arr, alloc, n) xgrow((void **)&(arr), &(alloc), (n), sizeof(*(arr)))

/* Write the out-of-memory line as a JSON event (log_setup's choice). */
void xalloc_log_json(int on);

#endif
