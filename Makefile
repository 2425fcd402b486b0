# flux build. `make` builds the shipped binary build/flux: static, stripped,
# linked with musl against OpenSSL, libpq and inih built for musl into the
# cached sysroot build/sysroot. `make dev` builds build/dev/flux with glibc,
# AddressSanitizer and UBSan. `make test` runs every test.

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARNINGS = -std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 -Wshadow -fno-common
DEFS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DFLUX_VERSION='"$(VERSION)"'
INCS = -Isrc -Ientrypoint

SRC_ENGINE := $(sort $(wildcard src/*.c))
SRC_FRONT := $(sort $(filter-out entrypoint/main.c,$(wildcard entrypoint/*.c)))
SRC_LIB := $(SRC_ENGINE) $(SRC_FRONT)
HDRS := $(wildcard src/*.h entrypoint/*.h)

# --- shipped static musl binary -------------------------------------------
SYSROOT = build/sysroot
MUSL_CC = musl-gcc
# Size (SPEC 6: at most 4 MB stripped): a section per function and object,
# so --gc-sections drops what is never called, here and in the sysroot's
# libraries (built the same way by scripts/build-sysroot.sh), and no unwind
# tables, which nothing in a C program on musl reads.
MUSL_SIZE = -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables
MUSL_CFLAGS = -O2 $(MUSL_SIZE) $(WARNINGS) $(DEFS) $(INCS) -I$(SYSROOT)/include
MUSL_LDFLAGS = -static -s -Wl,--gc-sections
MUSL_LIBS = -L$(SYSROOT)/lib -lpq -lpgcommon -lpgport -lssl -lcrypto -linih
MUSL_OBJ := $(patsubst %.c,build/musl/%.o,$(SRC_LIB) entrypoint/main.c)

all: build/flux

$(SYSROOT)/.stamp: scripts/build-sysroot.sh
	scripts/build-sysroot.sh $(SYSROOT)

build/musl/%.o: %.c $(HDRS) $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	@echo '  CC (musl) $<'
	@$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

build/flux: $(MUSL_OBJ)
	$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(MUSL_OBJ) $(MUSL_LIBS)

# --- sanitized glibc development binary -------------------------------------
DEV_CC = gcc
SANITIZE ?= address,undefined
DEV_CFLAGS = -O1 -g $(WARNINGS) $(DEFS) $(INCS) -I$(shell pg_config --includedir) \
	$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
DEV_LDFLAGS = $(if $(SANITIZE),-fsanitize=$(SANITIZE))
DEV_LIBS = -lpq -linih -lcrypto
DEV_LIB_OBJ := $(patsubst %.c,build/dev/%.o,$(SRC_LIB))

dev: build/dev/flux

build/dev/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC (dev)  $<'
	@$(DEV_CC) $(DEV_CFLAGS) -c $< -o $@

build/dev/libflux.a: $(DEV_LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

build/dev/flux: build/dev/entrypoint/main.o build/dev/libflux.a
	$(DEV_CC) $(DEV_LDFLAGS) -o $@ $^ $(DEV_LIBS)

# --- unit tests (cmocka), run under the sanitizers -------------------------
# tests/unit/test_lib.c holds the helpers the tests share: linked into each.
UNIT_LIB := tests/unit/test_lib.c
UNIT_SRC := $(sort $(filter-out $(UNIT_LIB),$(wildcard tests/unit/test_*.c)))
UNIT_BIN := $(patsubst tests/unit/%.c,build/dev/tests/%,$(UNIT_SRC))

build/dev/tests/%: tests/unit/%.c $(UNIT_LIB) tests/unit/test_lib.h build/dev/libflux.a
	@mkdir -p $(dir $@)
	@echo "  LINK      $@"
	@$(DEV_CC) $(DEV_CFLAGS) $(DEV_LDFLAGS) -o $@ $< $(UNIT_LIB) build/dev/libflux.a $(DEV_LIBS) -lcmocka

unit: $(UNIT_BIN)

include tests/fuzz/fuzz.mk tests/reliability/reliability.mk
include bench/bench.mk

# --- container image (Dockerfile) ---------------------------------------------
# k2bd/flux:dev, built with the classic builder from the local
# debian:bookworm-slim (scripts/images.sh makes it without a registry).
IMAGE ?= k2bd/flux:dev
DOCKER_BUILD ?= DOCKER_BUILDKIT=0 docker build

image:
	scripts/images.sh base
	$(DOCKER_BUILD) --build-arg VERSION=$(VERSION) -t $(IMAGE) .
	@docker image inspect -f '$(IMAGE): {{.Size}} bytes' $(IMAGE)

deps:
	scripts/install-deps.sh

# FLUX_TEST_RELIABILITY=0 skips the reliability run, so it needs no build.
test: deps all dev unit $(if $(filter 0,$(FLUX_TEST_RELIABILITY)),,reliability-build)
	scripts/run-tests.sh

demo: deps all
	scripts/demo.sh

clean:
	rm -rf build/musl build/dev build/flux

distclean:
	rm -rf build

.PHONY: all dev unit deps test demo clean distclean image
