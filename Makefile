# flux build. `make` builds the shipped binary build/flux: static, stripped,
# linked with musl against OpenSSL, libpq and inih built for musl into the
# cached sysroot build/sysroot. `make dev` builds build/dev/flux with glibc,
# AddressSanitizer and UBSan. `make test` runs every test.

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARNINGS = -std=c11 -Wall -Wextra -Werror -pedantic -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings -Wformat=2 -Wshadow -fno-common
DEFS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DFLUX_VERSION='"$(VERSION)"'
INCS = -Isrc -Ientrypoint

# --- database backends ---------------------------------------------------------
# One line per backend built in (docs/NEW-BACKEND.md): its name, then the
# libraries the static musl build links (from the sysroot), the libraries
# and the compiler flags the glibc builds (dev, unit tests, fuzz targets)
# use. The name selects src/db_NAME.c and src/db_NAME_*.c; src/db_backends.h
# lists the same names for the registry. Libraries shared by flux itself
# (OpenSSL's libcrypto, inih) are added after every backend's.
define backend
BACKENDS += $(1)
BACKEND_MUSL_LIBS += $(2)
BACKEND_DEV_LIBS += $(3)
BACKEND_DEV_CFLAGS += $(4)
endef
$(eval $(call backend,postgres,-lpq -lpgcommon -lpgport -lssl,-lpq,-I$$(shell pg_config --includedir)))

BACKEND_SRC := $(foreach b,$(BACKENDS),$(sort $(wildcard src/db_$(b).c src/db_$(b)_*.c)))
# The engine: every src/*.c but the backends (src/db_*.c), then the backends
# chosen above.
SRC_ENGINE := $(sort $(filter-out src/db_%.c,$(wildcard src/*.c))) $(BACKEND_SRC)
SRC_FRONT := $(sort $(filter-out entrypoint/main.c,$(wildcard entrypoint/*.c)))
SRC_LIB := $(SRC_ENGINE) $(SRC_FRONT)
HDRS := $(wildcard src/*.h entrypoint/*.h)

# --- shipped static musl binary -------------------------------------------
# ARCH (uname -m spelling) other than this machine's cross-builds
# build/ARCH/flux: `make ARCH=aarch64` uses Debian's aarch64-linux-gnu-gcc
# with musl for arm64 through the wrapper scripts/build-sysroot.sh writes
# into its own sysroot, build/aarch64/sysroot (same recipe, same sources).
# Only from the command line: an ARCH in the environment (some CI systems
# export one, in their own spelling) does not cross-compile.
HOST_ARCH := $(shell uname -m)
ifneq ($(origin ARCH),command line)
ARCH := $(HOST_ARCH)
endif
ifeq ($(ARCH),$(HOST_ARCH))
SYSROOT = build/sysroot
MUSL_CC = musl-gcc
MUSL_DIR = build/musl
MUSL_BIN = build/flux
else
SYSROOT = build/$(ARCH)/sysroot
MUSL_CC = $(SYSROOT)/bin/musl-gcc
MUSL_DIR = build/$(ARCH)/musl
MUSL_BIN = build/$(ARCH)/flux
endif
# Size (SPEC 6: at most 4 MB stripped): a section per function and object,
# so --gc-sections drops what is never called, here and in the sysroot's
# libraries (built the same way by scripts/build-sysroot.sh), and no unwind
# tables, which nothing in a C program on musl reads.
MUSL_SIZE = -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables
MUSL_CFLAGS = -O2 $(MUSL_SIZE) $(WARNINGS) $(DEFS) $(INCS) -I$(SYSROOT)/include
MUSL_LDFLAGS = -static -s -Wl,--gc-sections
MUSL_LIBS = -L$(SYSROOT)/lib $(BACKEND_MUSL_LIBS) -lcrypto -linih
MUSL_OBJ := $(patsubst %.c,$(MUSL_DIR)/%.o,$(SRC_LIB) entrypoint/main.c)

all: $(MUSL_BIN)

build/sysroot/.stamp: scripts/build-sysroot.sh
	scripts/build-sysroot.sh build/sysroot

# A cross sysroot: build/ARCH/sysroot, sharing the source packages. Precious:
# make must not delete the stamp as an intermediate file.
.PRECIOUS: build/%/sysroot/.stamp
build/%/sysroot/.stamp: scripts/build-sysroot.sh
	FLUX_DEPS_SRC=build/deps/src scripts/build-sysroot.sh build/$*/sysroot $*

$(MUSL_DIR)/%.o: %.c $(HDRS) $(SYSROOT)/.stamp
	@mkdir -p $(dir $@)
	@echo '  CC (musl $(ARCH)) $<'
	@$(MUSL_CC) $(MUSL_CFLAGS) -c $< -o $@

$(MUSL_BIN): $(MUSL_OBJ)
	$(MUSL_CC) $(MUSL_LDFLAGS) -o $@ $(MUSL_OBJ) $(MUSL_LIBS)

# --- sanitized glibc development binary -------------------------------------
DEV_CC = gcc
SANITIZE ?= address,undefined
DEV_CFLAGS = -O1 -g $(WARNINGS) $(DEFS) $(INCS) $(BACKEND_DEV_CFLAGS) \
	$(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
DEV_LDFLAGS = $(if $(SANITIZE),-fsanitize=$(SANITIZE))
DEV_LIBS = $(BACKEND_DEV_LIBS) -linih -lcrypto
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
#
# PLATFORM=linux/arm64 builds k2bd/flux:dev-arm64 (Architecture arm64) on
# this machine, still without a registry or emulation. The classic builder
# cannot COPY --from a stage of another platform, so: the Dockerfile's build
# stage, built with TARGETARCH=arm64, cross-compiles (tagged IMAGE-build, the
# cache of the next run); its /out is copied to build/image-arm64/root; the
# Dockerfile's own final stage (from `FROM scratch` on, COPY from that
# directory) is built from there with --platform and --no-cache (its cache
# lookup ignores the platform and would reuse amd64 layers; it takes seconds).
HOST_PLATFORM := linux/$(shell dpkg --print-architecture 2>/dev/null || echo amd64)
PLATFORM ?= $(HOST_PLATFORM)
PLATFORM_ARCH = $(lastword $(subst /, ,$(PLATFORM)))
CROSS_IMAGE = $(filter-out $(HOST_PLATFORM),$(PLATFORM))
IMAGE ?= k2bd/flux:dev$(if $(CROSS_IMAGE),-$(PLATFORM_ARCH))
IMAGE_DIR = build/image-$(PLATFORM_ARCH)
DOCKER_BUILD ?= DOCKER_BUILDKIT=0 docker build

image:
	scripts/images.sh base
ifeq ($(CROSS_IMAGE),)
	$(DOCKER_BUILD) --build-arg HOST_PLATFORM=$(HOST_PLATFORM) --build-arg VERSION=$(VERSION) -t $(IMAGE) .
else
	$(DOCKER_BUILD) --build-arg HOST_PLATFORM=$(HOST_PLATFORM) \
		--build-arg TARGETARCH=$(PLATFORM_ARCH) --target build -t $(IMAGE)-build .
	rm -rf $(IMAGE_DIR) && mkdir -p $(IMAGE_DIR)/root
	id=$$(docker create $(IMAGE)-build) && \
		{ docker cp "$$id:/out/." $(IMAGE_DIR)/root; rc=$$?; docker rm "$$id" >/dev/null; exit $$rc; }
	sed -n '/^FROM scratch/,$$p' Dockerfile | \
		sed 's|^COPY --from=build /out/ /$$|COPY . /|' >$(IMAGE_DIR)/Dockerfile
	grep -qx 'COPY \. /' $(IMAGE_DIR)/Dockerfile
	$(DOCKER_BUILD) --no-cache --platform $(PLATFORM) --build-arg VERSION=$(VERSION) \
		-f $(IMAGE_DIR)/Dockerfile -t $(IMAGE) $(IMAGE_DIR)/root
endif
	@docker image inspect -f '$(IMAGE): {{.Os}}/{{.Architecture}}, {{.Size}} bytes' $(IMAGE)

deps:
	scripts/install-deps.sh

# The arm64 binary the tests run under qemu-user-static (scripts/run-tests.sh).
cross-aarch64:
	@$(MAKE) --no-print-directory ARCH=aarch64 all

# FLUX_TEST_RELIABILITY=0 skips the reliability run, FLUX_TEST_ARM64=0 the
# arm64 one, so they need no build. shellcheck always runs first;
# format-check only with FORMAT_CHECK=1 (FORMAT_CHECK below).
test: deps shellcheck $(if $(filter 1,$(FORMAT_CHECK)),format-check) all dev unit \
	$(if $(filter 0,$(FLUX_TEST_RELIABILITY)),,reliability-build) \
	$(if $(filter 0,$(FLUX_TEST_ARM64)),,cross-aarch64)
	scripts/run-tests.sh

# --- the fast loop: build, unit tests, the CLI suite on build/flux ------------
# No dev binary, reliability run, other PostgreSQL versions, arm64 or
# containers (make test runs those). Prints how long it took.
check: deps
	@t0=$$(date +%s); \
	$(MAKE) --no-print-directory all unit && \
	scripts/run-tests.sh unit && \
	FLUX_TEST_BINARIES=build/flux scripts/run-tests.sh cli; \
	rc=$$?; echo "make check: $$(($$(date +%s) - t0)) s"; exit $$rc

# --- house tooling: clang-format and shellcheck (Debian's, make deps) -------
# .clang-format is the style. `make format` rewrites the C sources in place,
# `make format-check` fails on any line it would change; `make test` (CI)
# runs it (FORMAT_CHECK=0 skips it). Tables in tests/unit keep their
# hand-made columns between clang-format off/on comments.
FORMAT_CHECK ?= 1
CLANG_FORMAT ?= clang-format
FORMAT_SRC = $(sort $(wildcard src/*.[ch] entrypoint/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]))

format: deps
	$(CLANG_FORMAT) -i $(FORMAT_SRC)

format-check: deps
	$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_SRC)

# shellcheck at warning level on every shell file of scripts/, bench/ and
# tests/ (by name, and the corpus setup scripts by shebang), the container
# entrypoint and .ci/run; the .bats files as bats. bats' `run
# --separate-stderr` sets stderr, which shellcheck 0.9 does not know: that
# one finding is dropped, every other fails.
SHELL_SRC = $(sort $(wildcard scripts/*.sh bench/*.sh docker/*/*.sh .ci/run \
	tests/reliability/corpus/*/setup) \
	$(shell find tests \( -name '*.sh' -o -name '*.bash' \) -type f))
BATS_SRC = $(sort $(shell find tests -name '*.bats' -type f))
SHELLCHECK ?= shellcheck -S warning -f gcc

shellcheck: deps
	@echo "  SHELLCHECK $(words $(SHELL_SRC)) shell files, $(words $(BATS_SRC)) bats files"
	@rc=0; $(SHELLCHECK) $(SHELL_SRC) || rc=1; \
	out=$$($(SHELLCHECK) -s bats $(BATS_SRC) | \
		grep -v -E ': warning: stderr(_lines)? is referenced but not assigned\. \[SC2154\]$$'); \
	[ -z "$$out" ] || { printf '%s\n' "$$out"; rc=1; }; \
	exit $$rc

demo: deps all
	scripts/demo.sh

clean:
	rm -rf build/musl build/dev build/flux build/aarch64/musl build/aarch64/flux

distclean:
	rm -rf build

.PHONY: all dev unit deps test check format format-check shellcheck demo clean distclean \
	image cross-aarch64
