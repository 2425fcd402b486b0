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
#   scripts/run-tests.sh versions [FILES]
#                                     the core of the bats suite (CORE below, or
#                                     FILES) with build/flux against PostgreSQL
#                                     13 and 17 in containers
#   scripts/run-tests.sh arm64 [FILES]
#                                     the core with build/aarch64/flux under
#                                     qemu-aarch64-static, against the local
#                                     cluster
#
# The other PostgreSQL versions: after the reliability run, the core of the
# end-to-end suite (apply, rollback, status, validate, lock, notx,
# durability, compat, batch) runs with build/flux against each of
# FLUX_TEST_PGVERSIONS (default "13 17"; empty skips them), each a part of
# its own: flux-test/postgres:N from scripts/images.sh (cached), one
# container per run published on a loopback port (tests/cli/pgcluster.sh,
# FLUX_TEST_PGIMAGE). They need a Docker engine as the container tests do
# (FLUX_TEST_DOCKER=0 skips them too, counted). In the full run the images
# are built in the background while the unit tests and the bats runs go on.
#
# arm64: the same core with build/aarch64/flux (`make ARCH=aarch64`) run
# through Debian's qemu-aarch64-static, against the local PostgreSQL 15;
# FLUX_TEST_ARM64=0 skips it (counted).
#
# The reliability run (tests/reliability/run.sh quick, about 4 minutes) needs
# build/rel/flux-nosan and the fuzz targets (`make reliability-build`) and
# uses the shared cluster; FLUX_TEST_RELIABILITY=0 skips it (counted as
# skipped, a line says why).
#
# The container tests run last, when a Docker engine answers: the base images
# (scripts/images.sh, cached), the flux image (make image) and the arm64 one
# (make image PLATFORM=linux/arm64, unless FLUX_TEST_ARM64=0), then
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
unit | cli | reliability | docker | versions | arm64 | all)
	mode=$1
	shift
	;;
"") ;;
*)
	echo "usage: scripts/run-tests.sh [all|unit|cli|reliability|docker|versions|arm64 [FILES or SECTIONS...]]" >&2
	exit 2
	;;
esac
bats_targets=(tests/cli)
docker_targets=(tests/docker)
rel_sections=()
# The core of the end-to-end suite, run again against the other PostgreSQL
# versions and with the arm64 binary.
core_targets=()
for f in apply rollback status validate lock notx durability compat batch; do
	core_targets+=("tests/cli/$f.bats")
done
if [ $# -gt 0 ]; then
	case $mode in
	all | cli) bats_targets=("$@") ;;
	versions | arm64) core_targets=("$@") ;;
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

# On exit: the shared cluster and a background image build (versions_prebuild).
on_exit() {
	if [ -n "$cluster_started" ]; then
		pgc_stop
	fi
	if [ -n "${prebuild_pid:-}" ]; then
		kill "$prebuild_pid" 2>/dev/null
		wait "$prebuild_pid" 2>/dev/null
	fi
}

cluster_started=
start_cluster() {
	[ -n "$cluster_started" ] && return 0
	# shellcheck source=tests/cli/pgcluster.sh
	. "$ROOT/tests/cli/pgcluster.sh"
	if ! pgc_start; then
		return 1
	fi
	cluster_started=1
	trap 'on_exit' EXIT
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

# --- d2) the core against other PostgreSQL versions, and on arm64 -------------

core_count() {
	cat "${core_targets[@]}" 2>/dev/null | grep -c '^@test '
}

# The core in a bats run of its own, with its own server (FLUX_TEST_PGIMAGE)
# or the shared cluster: FLUX_BIN and the sanitizer settings as bats_cli.
bats_core() {
	export FLUX_BIN=$1
	export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
	bats --tap "${core_targets[@]}"
}

# bats_core_pg MAJOR: a container of flux-test/postgres:MAJOR for this run
# (pgcluster.sh starts it, tests/cli/durability.bats starts a durable one
# of its own), removed at the end.
bats_core_pg() {
	export FLUX_TEST_PGIMAGE=flux-test/postgres:$1
	unset FLUX_TEST_PGPORT FLUX_TEST_PGDIR
	# shellcheck source=tests/cli/pgcluster.sh
	. "$ROOT/tests/cli/pgcluster.sh"
	pgc_start || {
		echo "could not start $FLUX_TEST_PGIMAGE"
		return 1
	}
	trap 'pgc_stop' EXIT
	echo "PostgreSQL $(psql_version) in container $FLUX_TEST_PGCONTAINER on 127.0.0.1:$FLUX_TEST_PGPORT"
	bats_core "$ROOT/build/flux"
}

psql_version() {
	PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -A -t -q -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" \
		-U "$FLUX_TEST_PGUSER" -d postgres -c 'show server_version'
}

docker_unavailable() { # prints why the Docker engine cannot be used, if so
	local err
	if [ "${FLUX_TEST_DOCKER:-1}" = 0 ]; then
		echo "FLUX_TEST_DOCKER=0"
	elif ! command -v docker >/dev/null; then
		echo "docker is not installed"
	elif ! err=$(docker info 2>&1 >/dev/null); then
		err=$(printf '%s\n' "$err" | grep -v '^[[:space:]]*$' | tail -n1)
		echo "no Docker engine answers (docker info: $err)"
	else
		return 1
	fi
}

# versions_prebuild: in `all` mode, build the PostgreSQL images of
# FLUX_TEST_PGVERSIONS in the background while the unit and bats runs go on
# (debootstrap and apt-get mostly wait for the mirror and the disk; about 5
# minutes on a fresh machine); run_versions waits for it.
prebuild_pid=
prebuild_log=
versions_prebuild() {
	local versions=${FLUX_TEST_PGVERSIONS-13 17}
	[ -n "$versions" ] || return 0
	docker_unavailable >/dev/null && return 0
	prebuild_log=$(mktemp "${TMPDIR:-/tmp}/flux-images-versions.XXXXXX")
	echo "=== building the PostgreSQL images for $versions in the background (log: $prebuild_log)"
	# shellcheck disable=SC2086
	scripts/images.sh $versions >"$prebuild_log" 2>&1 &
	prebuild_pid=$!
	trap 'on_exit' EXIT
}

run_versions() {
	local versions=${FLUX_TEST_PGVERSIONS-13 17} v why t0 n ok=1
	[ -n "$versions" ] || return 0
	n=$(core_count)
	if why=$(docker_unavailable); then
		for v in $versions; do part_skip "cli postgres $v (static)" "$n" "$why"; done
		return
	fi
	if [ ! -x build/flux ]; then
		for v in $versions; do part_fail "cli postgres $v (static)" "binary build/flux not found"; done
		return
	fi
	echo "=== PostgreSQL images: $versions"
	t0=$SECONDS
	if [ -n "$prebuild_pid" ]; then
		wait "$prebuild_pid" || ok=0
		prebuild_pid=
		cat "$prebuild_log"
		rm -f "$prebuild_log"
	fi
	# Built above, or now (found at once when the background build made them).
	# shellcheck disable=SC2086
	if [ "$ok" = 0 ] || ! scripts/images.sh $versions; then
		for v in $versions; do
			part_fail "cli postgres $v (static)" "scripts/images.sh $v failed"
		done
		return
	fi
	echo "versions: images ready in $((SECONDS - t0)) s"
	for v in $versions; do
		echo "=== bats (core) against flux-test/postgres:$v with build/flux"
		t0=$SECONDS
		run_tap "cli postgres $v (static)" bats_core_pg "$v"
		echo "versions: postgres $v ran in $((SECONDS - t0)) s"
	done
}

# build/aarch64/flux through qemu-aarch64-static, as FLUX_BIN.
ARM64_BIN=build/aarch64/flux
ARM64_WRAPPER=build/aarch64/flux-qemu

run_arm64() {
	local part="cli arm64 (qemu, static)" t0 qemu
	if [ "${FLUX_TEST_ARM64:-1}" = 0 ]; then
		part_skip "$part" "$(core_count)" "FLUX_TEST_ARM64=0"
		return
	fi
	if ! qemu=$(command -v qemu-aarch64-static); then
		part_fail "$part" "qemu-aarch64-static not installed (run make deps)"
		return
	fi
	if [ ! -x "$ARM64_BIN" ]; then
		part_fail "$part" "binary $ARM64_BIN not found (make ARCH=aarch64)"
		return
	fi
	if ! start_cluster; then
		part_fail "$part" "could not start PostgreSQL"
		return
	fi
	printf '#!/bin/sh\n# %s under qemu-user (scripts/run-tests.sh)\nexec %s %s "$@"\n' \
		"$ARM64_BIN" "$qemu" "$ROOT/$ARM64_BIN" >"$ARM64_WRAPPER"
	chmod 755 "$ARM64_WRAPPER"
	echo "=== bats (core) against $ARM64_BIN under $qemu"
	t0=$SECONDS
	run_tap "$part" bats_core "$ROOT/$ARM64_WRAPPER"
	echo "arm64: ran in $((SECONDS - t0)) s"
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
	if [ "${FLUX_TEST_ARM64:-1}" != 0 ]; then
		t0=$SECONDS
		if ! "${MAKE:-make}" --no-print-directory image PLATFORM=linux/arm64; then
			part_fail docker "make image PLATFORM=linux/arm64 failed"
			return
		fi
		echo "docker: arm64 flux image ready in $((SECONDS - t0)) s"
	fi
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
versions) run_versions ;;
arm64) run_arm64 ;;
all)
	versions_prebuild
	run_unit
	run_cli
	run_arm64
	run_reliability
	run_versions
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
