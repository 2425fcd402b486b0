# Benchmarks (SPEC section 6): included by the top-level Makefile.
#
#   make bench                          the default run: 1000 migrations, 5 runs a case
#   make bench BENCH_N=100 BENCH_RUNS=3 a smaller one
#   make bench BENCH_PEERS=0            flux and the floor only; no go install
#
# bench/peers.sh first installs the peer tools into build/bench/bin when it
# can (and says so when it cannot); bench/run.sh then prints the table.
# bench/README.md explains what each row measures.

BENCH_PEERS ?= 1

bench: deps all
	@if [ "$(BENCH_PEERS)" != 0 ]; then bench/peers.sh; fi
	BENCH_PEERS=$(BENCH_PEERS) bench/run.sh

.PHONY: bench
