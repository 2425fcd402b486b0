/*
 * test_lib: helpers the unit tests share, compiled into each test binary
 * (it is not a test itself): temporary directories, capturing what the
 * code under test writes to stderr, and running a function that must die
 * in a child process.
 * Include after <cmocka.h>; failures inside are cmocka failures.
 */
#ifndef FLUX_TEST_LIB_H
#define FLUX_TEST_LIB_H

#include <stddef.h>

/*
 * A fresh directory /tmp/flux-unit-XXXXXX: test_tmpdir_setup() makes it
 * and writes its path to test_tmpdir, test_tmpdir_teardown() removes it
 * and all below it. In cmocka's setup/teardown shape: 0 or -1.
 */
extern char test_tmpdir[64];
int test_tmpdir_setup(void **state);
int test_tmpdir_teardown(void **state);

/* Remove path and all below it, unreadable directories included; quiet. */
void test_rm_tree(const char *path);

/*
 * Send stderr (fd 2 and the stream) to a temporary file until
 * test_capture_end(), which restores it and returns what was written
 * (the caller frees it). Captures do not nest.
 */
void test_capture_start(void);
char *test_capture_end(void);

/* How a child run by test_death() ended. */
struct test_death {
	int exited; /* exited with code (else killed by sig) */
	int code;
	int sig;
	char *err; /* what it wrote to stderr; free it */
};

/*
 * Run fn(arg) in a child process, which exits 0 if fn returns; fill *out
 * with how the child ended and its stderr. For code that must exit or
 * abort (out of memory, a broken invariant).
 */
void test_death(void (*fn)(void *arg), void *arg, struct test_death *out);

#endif
