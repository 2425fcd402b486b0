#!/usr/bin/env bash
# Run every test of flux; `make test` calls it after building build/flux,
# build/dev/flux and the unit tests.
#
#   scripts/run-tests.sh              unit tests, then the bats suite twice
#                                     (build/flux, then the sanitized build/dev/flux)
#   scripts/run-tests.sh unit         unit tests only
#   scripts/run-tests.sh cli [FILES]  bats suite only (optionally some files)
#   scripts/run-tests.sh docker [FILES]
#                                     container tests only (tests/docker)
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
unit | cli | docker | all)
	mode=$1
	shift
	;;
"") ;;
*)
	echo "usage: scripts/run-tests.sh [all|unit|cli|docker [BATS FILES...]]" >&2
	exit 2
	;;
esac
bats_targets=("$@")
docker_targets=(tests/docker)
if [ "$mode" = docker ] && [ ${#bats_targets[@]} -gt 0 ]; then
	docker_targets=("${bats_targets[@]}")
fi
[ ${#bats_targets[@]} -eq 0 ] && bats_targets=(tests/cli)

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

# --- b) the shared PostgreSQL cluster ------------------------------------------

cluster_started=
start_cluster() {
	# shellcheck source=tests/cli/pgcluster.sh
	. "$ROOT/tests/cli/pgcluster.sh"
	if ! pgc_start; then
		return 1
	fi
	cluster_started=1
	trap 'pgc_stop' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	echo "cli: PostgreSQL cluster on 127.0.0.1:$FLUX_TEST_PGPORT ($FLUX_TEST_PGDIR)"
}

# --- c) the bats suite, once per binary ----------------------------------------

run_bats() {
	local bin=$1 label=$2 log rc pass fail skip
	if [ ! -x "$bin" ]; then
		echo "cli ($label): binary $bin not found"
		summary+=("cli $label: missing binary $bin (1 failed)")
		total_fail=$((total_fail + 1))
		return
	fi
	echo "=== bats against $bin"
	log=$(mktemp "${TMPDIR:-/tmp}/flux-bats.XXXXXX")
	(
		export FLUX_BIN="$ROOT/$bin"
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=66}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=66}
		if [ -f "$ROOT/tests/cli/lsan.supp" ]; then
			export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/cli/lsan.supp}
		fi
		export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
		bats --tap "${bats_targets[@]}"
	) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	pass=$(grep -E '^ok ' "$log" | grep -v -c -E '# skip')
	skip=$(grep -c -E '^ok .*# skip' "$log")
	fail=$(grep -c -E '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "cli ($label): bats exited with status $rc"
		fail=1
	fi
	rm -f "$log"
	summary+=("cli $label: $pass passed, $fail failed, $skip skipped")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

run_cli() {
	if ! command -v bats >/dev/null; then
		echo "cli: bats not installed (run make deps)"
		summary+=("cli: bats missing (1 failed)")
		total_fail=$((total_fail + 1))
		return
	fi
	if ! start_cluster; then
		summary+=("cli: could not start PostgreSQL (1 failed)")
		total_fail=$((total_fail + 1))
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

# --- d) the container tests ------------------------------------------------------

# Count the tests of the container suite without running them.
docker_test_count() {
	local t files=()
	for t in "${docker_targets[@]}"; do
		if [ -d "$t" ]; then files+=("$t"/*.bats); else files+=("$t"); fi
	done
	cat "${files[@]}" 2>/dev/null | grep -c '^@test '
}

docker_skip() {
	local n
	n=$(docker_test_count)
	echo "docker: container tests skipped: $1"
	summary+=("docker: $n skipped ($1)")
	total_skip=$((total_skip + n))
}

docker_fail() {
	echo "docker: $1"
	summary+=("docker: $1 (1 failed)")
	total_fail=$((total_fail + 1))
}

run_docker() {
	local err t0 log rc pass fail skip
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
		docker_fail "bats not installed (run make deps)"
		return
	fi
	echo "=== container images"
	t0=$SECONDS
	if ! scripts/images.sh; then
		docker_fail "scripts/images.sh could not build the base images"
		return
	fi
	echo "docker: base images ready in $((SECONDS - t0)) s"
	t0=$SECONDS
	if ! "${MAKE:-make}" --no-print-directory image; then
		docker_fail "make image failed"
		return
	fi
	echo "docker: flux image ready in $((SECONDS - t0)) s"
	echo "=== bats ${docker_targets[*]}"
	t0=$SECONDS
	log=$(mktemp "${TMPDIR:-/tmp}/flux-bats-docker.XXXXXX")
	(
		export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-300}
		bats --tap "${docker_targets[@]}"
	) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	pass=$(grep -E '^ok ' "$log" | grep -v -c -E '# skip')
	skip=$(grep -c -E '^ok .*# skip' "$log")
	fail=$(grep -c -E '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "docker: bats exited with status $rc"
		fail=1
	fi
	rm -f "$log"
	echo "docker: container tests ran in $((SECONDS - t0)) s"
	summary+=("docker: $pass passed, $fail failed, $skip skipped")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
}

# --- e) summary --------------------------------------------------------------

case $mode in
unit) run_unit ;;
cli) run_cli ;;
docker) run_docker ;;
all)
	run_unit
	run_cli
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
