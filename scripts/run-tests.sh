#!/usr/bin/env bash
# Run every test of flux; `make test` calls it after building build/flux,
# build/dev/flux and the unit tests.
#
#   scripts/run-tests.sh              unit tests, the bats suite twice
#                                     (build/flux, then the sanitized build/dev/flux),
#                                     the reliability quick run, the container tests
#   scripts/run-tests.sh unit         unit tests only
#   scripts/run-tests.sh cli [FILES]  bats suite only (optionally some files)
#   scripts/run-tests.sh reliability [SECTIONS]
#                                     reliability quick run only (optionally some
#                                     sections: tests/reliability/run.sh --help)
#   scripts/run-tests.sh docker [FILES]
#                                     container tests only (tests/docker)
#
# The reliability run (tests/reliability/run.sh quick, about 4 minutes) needs
# build/rel/flux-nosan and the fuzz targets (`make reliability-build`) and
# uses the shared cluster; FLUX_TEST_RELIABILITY=0 skips it (counted as
# skipped, a line says why).
#
# The container tests run last, when a Docker engine answers: the base images
# (scripts/images.sh, cached), the flux image (make image), then
# `bats tests/docker`. Without an engine, or with FLUX_TEST_DOCKER=0, they
# are counted as skipped and a line says why.
#
# FLUX_TEST_BINARIES overrides the binaries the bats suite runs against
# (space-separated). One private PostgreSQL cluster (tests/cli/pgcluster.sh)
# serves the whole run and is deleted on exit. The last line of output is
# always `N passed, N failed` (`, N skipped` when some were); the exit status
# is non-zero when anything failed.
set -u

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

mode=all
case ${1:-} in
unit | cli | reliability | docker | all)
	mode=$1
	shift
	;;
"") ;;
*)
	echo "usage: scripts/run-tests.sh [all|unit|cli|reliability|docker [FILES or SECTIONS...]]" >&2
	exit 2
	;;
esac
bats_targets=(tests/cli)
docker_targets=(tests/docker)
rel_sections=()
if [ $# -gt 0 ]; then
	case $mode in
	all | cli) bats_targets=("$@") ;;
	docker) docker_targets=("$@") ;;
	reliability) rel_sections=("$@") ;;
	*)
		echo "scripts/run-tests.sh: mode $mode takes no arguments" >&2
		exit 2
		;;
	esac
fi

total_pass=0
total_fail=0
total_skip=0
summary=()

# --- a) unit tests ------------------------------------------------------------

run_unit() {
	local pass=0 fail=0 bin out rc p f
	shopt -s nullglob
	local bins=(build/dev/tests/test_*)
	shopt -u nullglob
	if [ ${#bins[@]} -eq 0 ]; then
		echo "unit: no unit test binaries in build/dev/tests (run make unit)"
	fi
	for bin in "${bins[@]}"; do
		[ -x "$bin" ] && [ -f "$bin" ] || continue
		echo "=== $bin"
		out=$(ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
			UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
			"$bin" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' | tail -1)
		p=${p:-0}
		f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# crashed (signal, sanitizer) or failed without cmocka's summary
			echo "unit: $bin exited with status $rc"
			f=1
		fi
		pass=$((pass + p))
		fail=$((fail + f))
	done
	summary+=("unit tests: $pass passed, $fail failed")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
}

# --- b) counting TAP ------------------------------------------------------------

# run_tap PART CMD...: run CMD in a subshell (its exports stay there), show
# its output as it comes, and count the TAP lines it prints (`ok N`,
# `ok N ... # skip`, `not ok N`) into the totals and a summary line
# "PART: N passed, N failed, N skipped". A non-zero exit without a `not ok`
# line, and fewer or more results than its plan `1..N` announced (a runner
# that died half-way), each count as one failure.
run_tap() {
	local part=$1 log rc pass fail skip plan
	shift
	log=$(mktemp "${TMPDIR:-/tmp}/flux-tap.XXXXXX")
	("$@") 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	pass=$(grep -E '^ok ' "$log" | grep -v -c -E '# skip')
	skip=$(grep -c -E '^ok .*# skip' "$log")
	fail=$(grep -c -E '^not ok ' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | tail -n 1)
	rm -f "$log"
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "$part: exited with status $rc without a failed test"
		fail=1
	elif [ "$fail" -eq 0 ] && [ "${plan:-missing}" != $((pass + skip)) ]; then
		echo "$part: the plan announced ${plan:-no} tests, $((pass + skip)) reported"
		fail=1
	fi
	summary+=("$part: $pass passed, $fail failed, $skip skipped")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

# part_skip PART N REASON / part_fail PART REASON: a part that did not run.
part_skip() {
	echo "$1: skipped: $3"
	summary+=("$1: $2 skipped ($3)")
	total_skip=$((total_skip + $2))
}
part_fail() {
	echo "$1: $2"
	summary+=("$1: $2 (1 failed)")
	total_fail=$((total_fail + 1))
}

# --- c) the shared PostgreSQL cluster ------------------------------------------

cluster_started=
start_cluster() {
	[ -n "$cluster_started" ] && return 0
	# shellcheck source=tests/cli/pgcluster.sh
	. "$ROOT/tests/cli/pgcluster.sh"
	if ! pgc_start; then
		return 1
	fi
	cluster_started=1
	trap 'pgc_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	echo "PostgreSQL test cluster on 127.0.0.1:$FLUX_TEST_PGPORT ($FLUX_TEST_PGDIR)"
}

# --- d) the bats suite, once per binary ----------------------------------------

bats_cli() {
	export FLUX_BIN="$ROOT/$1"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=66}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=66}
	if [ -f "$ROOT/tests/cli/lsan.supp" ]; then
		export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/cli/lsan.supp}
	fi
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
	bats --tap "${bats_targets[@]}"
}

run_bats() {
	local bin=$1 label=$2
	if [ ! -x "$bin" ]; then
		part_fail "cli $label" "binary $bin not found"
		return
	fi
	echo "=== bats against $bin"
	run_tap "cli $label" bats_cli "$bin"
}

run_cli() {
	if ! command -v bats >/dev/null; then
		part_fail cli "bats not installed (run make deps)"
		return
	fi
	if ! start_cluster; then
		part_fail cli "could not start PostgreSQL"
		return
	fi
	local b
	for b in ${FLUX_TEST_BINARIES:-build/flux build/dev/flux}; do
		case $b in
		build/dev/*) run_bats "$b" "dev (glibc, sanitizers)" ;;
		build/flux) run_bats "$b" "static (musl)" ;;
		*) run_bats "$b" "$b" ;;
		esac
	done
}

# --- e) the reliability quick run ------------------------------------------------

run_reliability() {
	local t0 n
	if [ "${FLUX_TEST_RELIABILITY:-1}" = 0 ]; then
		n=$(tests/reliability/run.sh --count quick "${rel_sections[@]}") || n=1
		part_skip reliability "$n" "FLUX_TEST_RELIABILITY=0"
		return
	fi
	if ! start_cluster; then
		part_fail reliability "could not start PostgreSQL"
		return
	fi
	echo "=== tests/reliability/run.sh quick ${rel_sections[*]}"
	t0=$SECONDS
	run_tap reliability tests/reliability/run.sh quick "${rel_sections[@]}"
	echo "reliability: ran in $((SECONDS - t0)) s"
}

# --- f) the container tests ------------------------------------------------------

# Count the tests of the container suite without running them.
docker_test_count() {
	local t files=()
	for t in "${docker_targets[@]}"; do
		if [ -d "$t" ]; then files+=("$t"/*.bats); else files+=("$t"); fi
	done
	cat "${files[@]}" 2>/dev/null | grep -c '^@test '
}

docker_skip() {
	part_skip docker "$(docker_test_count)" "$1"
}

bats_docker() {
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
	bats --tap "${docker_targets[@]}"
}

run_docker() {
	local err t0
	if [ "${FLUX_TEST_DOCKER:-1}" = 0 ]; then
		docker_skip "FLUX_TEST_DOCKER=0"
		return
	fi
	if ! command -v docker >/dev/null; then
		docker_skip "docker is not installed"
		return
	fi
	if ! err=$(docker info 2>&1 >/dev/null); then
		err=$(printf '%s\n' "$err" | grep -v '^[[:space:]]*$' | tail -n1)
		docker_skip "no Docker engine answers (docker info: $err)"
		return
	fi
	if ! command -v bats >/dev/null; then
		part_fail docker "bats not installed (run make deps)"
		return
	fi
	echo "=== container images"
	t0=$SECONDS
	if ! scripts/images.sh; then
		part_fail docker "scripts/images.sh could not build the base images"
		return
	fi
	echo "docker: base images ready in $((SECONDS - t0)) s"
	t0=$SECONDS
	if ! "${MAKE:-make}" --no-print-directory image; then
		part_fail docker "make image failed"
		return
	fi
	echo "docker: flux image ready in $((SECONDS - t0)) s"
	echo "=== bats ${docker_targets[*]}"
	t0=$SECONDS
	run_tap docker bats_docker
	echo "docker: container tests ran in $((SECONDS - t0)) s"
}

# --- g) summary --------------------------------------------------------------

case $mode in
unit) run_unit ;;
cli) run_cli ;;
reliability) run_reliability ;;
docker) run_docker ;;
all)
	run_unit
	run_cli
	run_reliability
	run_docker
	;;
esac

echo
echo "=== summary"
for s in "${summary[@]}"; do
	echo "$s"
done
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
