# Benchmarks (SPEC section 6): included by the top-level Makefile.
#
#   make bench                          the default run: 1000 migrations, 5 runs a case
#   make bench BENCH_QUICK=1            one run a case, no peers: a quick look
#   make bench BENCH_N=100 BENCH_RUNS=3 a smaller one
#   make bench BENCH_PEERS=0            flux and the floor only; no go install
#   make bench BENCH_BASE_REV=v0.1.0    also time that revision's flux, as the baseline
#   make bench BENCH_BASE=path/to/flux  also time that binary, as the baseline
#
# bench/peers.sh first installs the peer tools into build/bench/bin when it
# can (and says so when it cannot); bench/run.sh then prints the table.
# build/bench/latency-proxy (bench/latency-proxy.c) is the delaying proxy
# run.sh starts for its rows "through the proxy". bench/README.md explains
# what each row measures.

BENCH_QUICK ?= 0
BENCH_PEERS ?= $(if $(filter 1,$(BENCH_QUICK)),0,1)
BENCH_BASE ?=

build/bench/latency-proxy: bench/latency-proxy.c
	@mkdir -p $(dir $@)
	$(DEV_CC) -O2 $(WARNINGS) -D_GNU_SOURCE -o $@ $<

# BENCH_BASE_REV: build that commit's build/flux from `git archive` in
# build/bench/base-COMMIT, against this tree's sysroot (never rebuilt from
# there: -o), once per commit.
ifneq ($(BENCH_BASE_REV),)
BENCH_BASE_COMMIT := $(shell git rev-parse --verify -q '$(BENCH_BASE_REV)^{commit}')
ifeq ($(BENCH_BASE_COMMIT),)
$(error BENCH_BASE_REV: '$(BENCH_BASE_REV)' is not a commit of this repository)
endif
BENCH_BASE_DIR := build/bench/base-$(BENCH_BASE_COMMIT)
BENCH_BASE := $(BENCH_BASE_DIR)/build/flux

$(BENCH_BASE): $(SYSROOT)/.stamp
	rm -rf $(BENCH_BASE_DIR)
	mkdir -p $(BENCH_BASE_DIR)
	git archive $(BENCH_BASE_COMMIT) | tar -x -C $(BENCH_BASE_DIR)
	$(MAKE) -C $(BENCH_BASE_DIR) -o '$(CURDIR)/$(SYSROOT)/.stamp' \
		SYSROOT='$(CURDIR)/$(SYSROOT)' MUSL_CC='$(MUSL_CC)' build/flux
endif

bench: deps all build/bench/latency-proxy $(BENCH_BASE)
	@if [ "$(BENCH_PEERS)" != 0 ]; then bench/peers.sh; fi
	BENCH_QUICK=$(BENCH_QUICK) BENCH_PEERS=$(BENCH_PEERS) BENCH_BASE=$(BENCH_BASE) bench/run.sh

.PHONY: bench
