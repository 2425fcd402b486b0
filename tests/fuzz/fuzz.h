/*
 * Shared by the libFuzzer targets in tests/fuzz/: CHECK(cond) aborts with
 * the failed invariant, which libFuzzer reports as a crash and saves the
 * input for.
 */
#ifndef FLUX_FUZZ_H
#define FLUX_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                             \
			abort();                                                 \
		}                                                                \
	} while (0)

#endif
