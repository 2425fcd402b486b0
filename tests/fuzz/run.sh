#!/usr/bin/env bash
# Run the libFuzzer targets built by `make fuzz-build` (tests/fuzz/fuzz.mk).
#
#   tests/fuzz/run.sh SECONDS [TARGET...]   each target for SECONDS
#   tests/fuzz/run.sh --count               the number of targets
#
# The targets are the files tests/fuzz/fuzz_TARGET.c (default: all).
# Prints one TAP line per target (`ok N fuzz split: ...`) and exits non-zero
# when any target found a crash, a sanitizer report or a broken invariant.
# Each run starts from the checked-in seeds (tests/fuzz/corpus/TARGET) plus
# the working corpus kept in build/fuzz/corpus/TARGET (grown by earlier
# runs, never checked in); the input that failed is saved under
# build/fuzz/artifacts/ and its last lines of log are printed as comments.
set -u
cd "$(dirname "$0")/../.." || exit 2

targets=()
for f in tests/fuzz/fuzz_*.c; do
	f=${f#tests/fuzz/fuzz_}
	targets+=("${f%.c}")
done
if [ "${1:-}" = --count ]; then
	echo "${#targets[@]}"
	exit 0
fi

secs=${1:-15}
shift || true
[ $# -gt 0 ] && targets=("$@")

n=0
failed=0
mkdir -p build/fuzz/artifacts build/fuzz/logs
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=build/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "not ok $n fuzz $t: $bin not built (make fuzz-build; needs clang and libclang-rt-14-dev)"
		failed=$((failed + 1))
		continue
	fi
	mkdir -p "build/fuzz/corpus/$t"
	log=build/fuzz/logs/$t.log
	start=$(date +%s)
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: runaway memory.
	ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		timeout -k 10 $((secs + 60)) "$bin" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/artifacts/$t-" \
		"build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "ok $n fuzz $t: ${runs:-?} inputs in ${took} s, no finding"
	else
		echo "not ok $n fuzz $t: exit $rc after ${took} s (log: $log)"
		grep -E 'invariant failed|leaked|ERROR: |SUMMARY|runtime error|Test unit written|^(input|password|output):' "$log" |
			head -20 | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
