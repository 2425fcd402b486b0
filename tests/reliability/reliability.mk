# Reliability tests: included by the top-level Makefile; `make
# test` builds reliability-build and runs the quick run (scripts/run-tests.sh).
#
#   make reliability  the quick run (~4 minutes): concurrency, kill -9,
#                     server faults, the bad-input corpus, 60 s of fuzzing,
#                     leak checks
#   make soak         the long run (more trials, processes, fuzzing)
# Both go through the one entry point tests/reliability/run.sh, which
# prints TAP and exits non-zero on failure.
#
# build/rel/flux-nosan is a glibc build without sanitizers, for valgrind
# (which cannot check the static musl binary, nor an ASan one).

REL_CFLAGS = -O1 -g $(WARNINGS) $(DEFS) $(INCS) $(BACKEND_DEV_CFLAGS)
REL_NOSAN_SRC = $(SRC_LIB) entrypoint/main.c

build/rel/flux-nosan: $(REL_NOSAN_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC (nosan) $@'
	@$(DEV_CC) $(REL_CFLAGS) -o $@ $(REL_NOSAN_SRC) $(DEV_LIBS)

reliability-build: build/flux build/dev/flux build/rel/flux-nosan $(FUZZ_BINS)

reliability: deps reliability-build
	tests/reliability/run.sh quick

soak: deps reliability-build
	tests/reliability/run.sh soak

.PHONY: reliability reliability-build soak
