# Fuzz targets (libFuzzer, clang): included by the top-level Makefile.
#
#   make fuzz-build  build build/fuzz/fuzz_TARGET for every tests/fuzz/fuzz_TARGET.c
#                    (split, cfg, url, mdir)
#   make fuzz-quick  each target for FUZZ_QUICK_SECONDS (15 s: 60 s in all)
#   make fuzz        each target for FUZZ_SECONDS (300 s)
#
# Each target links the src/*.c files it needs directly, compiled with
# -fsanitize=fuzzer,address,undefined. Runs start from the checked-in seed
# corpus tests/fuzz/corpus/<target>/ and grow a working copy under
# build/fuzz/corpus/ (the checked-in seeds are never rewritten); a crash is
# written to build/fuzz/artifacts/. tests/fuzz/run.sh does the running.

FUZZ_CC ?= clang
FUZZ_TARGETS = $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_CFLAGS = -g -O1 -std=c11 -Wall -Wextra $(DEFS) -Isrc \
	$(BACKEND_DEV_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_LIBS = $(BACKEND_DEV_LIBS) -linih -lcrypto
# Every engine module, the backends of the Makefile's BACKENDS included:
# the registry (src/db.c) names them, and cfg and url reach their URL hooks
# through it (fuzz_url and fuzz_cfg fuzz PostgreSQL's URL code that way).
FUZZ_SRC = $(SRC_ENGINE)
FUZZ_BINS = $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_QUICK_SECONDS ?= 15
FUZZ_SECONDS ?= 300

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	@echo '  FUZZ      $@'
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-quick: $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_QUICK_SECONDS)

fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_SECONDS)

.PHONY: fuzz fuzz-quick fuzz-build
