/*
 * Unit tests for src/xalloc.c: XGROW's growth, and out of memory (a real
 * failed malloc, or size arithmetic that would overflow) as exit 12 with one
 * line naming the size, in text or as a JSON event. The exits run in a
 * child process (test_lib's test_death).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "test_lib.h"
#include "xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Under AddressSanitizer a malloc that cannot be served returns NULL, as
 * libc's does, instead of ending the process with a report: the path under
 * test is flux's own.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void test_xgrow(void **state)
{
	static const struct {
		size_t alloc, n, want;
		/* clang-format off */
	} cases[] = {
		{ 0, 0, 0 },     /* nothing asked: nothing allocated */
		{ 0, 1, 16 },    /* a first allocation holds 16 */
		{ 0, 40, 40 },   /* or n when that is more */
		{ 16, 16, 16 },  /* room enough: unchanged */
		{ 16, 17, 32 },  /* doubling */
		{ 16, 100, 100 },
	};
	/* clang-format on */
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		long *arr = NULL;
		size_t alloc = 0;

		XGROW(arr, alloc, cases[i].alloc);
		XGROW(arr, alloc, cases[i].n);
		if (alloc != cases[i].want)
			fail_msg("case %zu: alloc %zu, want %zu", i, alloc,
				 cases[i].want);
		if (alloc)
			memset(arr, 0, alloc * sizeof(*arr)); /* ASan checks the size */
		free(arr);
	}
}

struct oom_case {
	const char *what;
	int json;
	size_t a, b;
	const char *want; /* in stderr */
};

static void oom_child(void *arg)
{
	const struct oom_case *c = arg;

	xalloc_log_json(c->json);
	if (!strcmp(c->what, "malloc")) {
		free(xmalloc(c->a));
	} else if (!strcmp(c->what, "calloc")) {
		free(xcalloc(c->a, c->b));
	} else if (!strcmp(c->what, "realloc")) {
		free(xrealloc(NULL, c->a));
	} else if (!strcmp(c->what, "xgrow")) {
		/* c->b elements of 8 bytes after c->a. */
		long *arr = NULL;
		size_t alloc = c->a;

		XGROW(arr, alloc, c->b);
		/* Reached only when nothing stopped it: use what it claims. */
		memset(arr, 0, 4096);
		free(arr);
	} else if (!strcmp(c->what, "add")) {
		(void)xsize_add(c->a, c->b);
	} else if (!strcmp(c->what, "mul")) {
		(void)xsize_mul(c->a, c->b);
	}
}

static void test_out_of_memory(void **state)
{
	/* clang-format off */
	static const struct oom_case cases[] = {
		{ "malloc", 0, SIZE_MAX / 2, 0,
		  "flux: error: out of memory allocating 9223372036854775807 bytes\n" },
		{ "realloc", 0, SIZE_MAX - 4096, 0,
		  "flux: error: out of memory allocating 18446744073709547519 bytes\n" },
		{ "calloc", 0, SIZE_MAX / 4, 8,
		  "flux: error: out of memory allocating 4611686018427387903 x 8 bytes\n" },
		/* n * 8 wraps to 8: it must not be a small allocation. */
		{ "xgrow", 0, 0, SIZE_MAX / 8 + 2,
		  "flux: error: out of memory allocating 2305843009213693953 x 8 bytes\n" },
		/* Doubling would wrap: it asks for n, which cannot be served. */
		{ "xgrow", 0, SIZE_MAX / 16 + 1, SIZE_MAX / 16 + 2,
		  "flux: error: out of memory allocating 9223372036854775816 bytes\n" },
		{ "add", 0, SIZE_MAX, 1,
		  "flux: error: out of memory allocating 18446744073709551615 + 1 bytes\n" },
		{ "mul", 0, SIZE_MAX / 2 + 1, 2,
		  "flux: error: out of memory allocating 9223372036854775808 x 2 bytes\n" },
		{ "malloc", 1, SIZE_MAX / 2, 0,
		  "\",\"level\":\"error\",\"event\":\"out_of_memory\","
		  "\"msg\":\"out of memory allocating 9223372036854775807 bytes\"}\n" },
		/* clang-format on */
	};
	struct test_death d;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		const char *line;
		bool ok;

		test_death(oom_child, (void *)&cases[i], &d);
		/* ASan warns on lines of its own ("==PID==WARNING: ..."): skip them. */
		line = d.err;
		while (!strncmp(line, "==", 2) && strchr(line, '\n'))
			line = strchr(line, '\n') + 1;
		ok = d.exited && d.code == FLUX_EXIT_NOMEM &&
			strstr(line, cases[i].want) &&
			strchr(line, '\n') == line + strlen(line) - 1 &&
			(!cases[i].json || !strncmp(line, "{\"ts\":\"", 7));
		if (!ok)
			print_error("case %zu (%s): exited %d code %d signal %d, stderr '%s'\n",
				    i, cases[i].what, d.exited, d.code, d.sig, d.err);
		free(d.err);
		if (!ok)
			fail();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xgrow),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
