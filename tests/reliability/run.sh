#!/usr/bin/env bash
# The reliability tests of flux (SPEC section 6): one entry point.
#
#   tests/reliability/run.sh [quick|soak] [SECTION...]
#   tests/reliability/run.sh --count [quick|soak] [SECTION...]
#
# Sections, in order: concurrency, crash, faults, corpus, fuzz, leaks
# (default: all). quick (the default, ~4 minutes) is what `make test` runs
# (through scripts/run-tests.sh); soak runs more trials, more processes and
# longer fuzzing. --count prints how many tests such a run reports and
# runs nothing (scripts/run-tests.sh counts them as skipped with
# FLUX_TEST_RELIABILITY=0).
#
# Prints bats-style TAP (`ok N ...` / `not ok N ...`, comments after a
# failure, the plan `1..N` last) and exits non-zero when anything failed.
# Expects build/flux, build/dev/flux, build/rel/flux-nosan and the fuzz
# targets built (`make reliability-build`). Uses the cluster of the
# caller when FLUX_TEST_PGPORT/FLUX_TEST_PGDIR are exported (as by
# scripts/run-tests.sh), else starts its own; the server-fault tests
# always start a second cluster of their own, since they stop it.
#
# Knobs: REL_SEED (the crash test's seed, printed), REL_BINS (binaries,
# default "build/flux build/dev/flux"), FUZZ_SECONDS (per target; quick 15,
# soak 300), REL_CORPUS_FILTER (run only corpus cases whose name contains
# it), REL_VERBOSE=1 (print every test's log).
set -u

cd "$(dirname "$0")/../.." || exit 2

usage() {
	echo "usage: tests/reliability/run.sh [--count] [quick|soak] [concurrency|crash|faults|corpus|fuzz|leaks...]" >&2
	exit 2
}

REL_COUNT=
REL_MODE=quick
case ${1:-} in
-h | --help)
	sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
--count)
	REL_COUNT=1
	shift
	;;
esac
case ${1:-} in
quick | soak)
	REL_MODE=$1
	shift
	;;
esac
for s in "$@"; do
	[[ $s =~ ^(concurrency|crash|faults|corpus|fuzz|leaks)$ ]] || usage
done
sections=("$@")
[ ${#sections[@]} -eq 0 ] && sections=(concurrency crash faults corpus fuzz leaks)

REL_BINS=${REL_BINS:-build/flux build/dev/flux}
export REL_MODE

# shellcheck source=tests/reliability/lib.sh
. tests/reliability/lib.sh
for f in concurrency crash faults corpus leaks; do
	# shellcheck disable=SC1090
	. "tests/reliability/$f.sh"
done

# The fuzz section: every target of tests/fuzz/run.sh, 15 s each in the
# quick run (60 s in all), 300 s in the soak.
fuzz_seconds() {
	if [ "$REL_MODE" = soak ]; then echo "${FUZZ_SECONDS:-300}"; else echo "${FUZZ_SECONDS:-15}"; fi
}
count_fuzz() {
	tests/fuzz/run.sh --count
}

if [ -n "$REL_COUNT" ]; then
	n=0
	for s in "${sections[@]}"; do
		n=$((n + $(count_"$s")))
	done
	echo "$n"
	exit 0
fi

REL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/flux-rel.XXXXXX")
chmod 755 "$REL_TMP"
trap rel_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

REL_SEED=${REL_SEED:-$(($(date +%s) % 100000))}
export REL_SEED

# Scrub the caller's flux and libpq settings: each test sets its own.
# (PGC_* are pgcluster.sh's own settings, e.g. PGC_BIN.)
while IFS= read -r v; do
	case $v in
	FLUX_TEST_* | PGC_*) ;;
	FLUX_* | PG* | DATABASE_URL) unset "$v" ;;
	esac
done < <(compgen -e)

start=$(date +%s)
echo "# reliability ($REL_MODE): ${sections[*]}; binaries: $REL_BINS"
for b in $REL_BINS; do
	[ -x "$b" ] || {
		rel_test "binary $b is built" false
	}
done

need_db=0
for s in "${sections[@]}"; do
	case $s in concurrency | crash | corpus | leaks) need_db=1 ;; esac
done
if [ "$need_db" = 1 ] && ! rel_main_cluster; then
	rel_test "start the PostgreSQL test cluster" false
	echo "1..$REL_N"
	exit 1
fi

for s in "${sections[@]}"; do
	t0=$(date +%s)
	case $s in
	concurrency) section_concurrency ;;
	crash) section_crash ;;
	faults) section_faults ;;
	corpus) section_corpus ;;
	fuzz)
		while IFS= read -r line; do
			rel_tap_line "$line"
		done < <(tests/fuzz/run.sh "$(fuzz_seconds)" 2>&1)
		;;
	leaks) section_leaks ;;
	esac
	echo "# $s: $(($(date +%s) - t0)) s"
done

echo "# reliability ($REL_MODE): $((REL_N - REL_FAILED)) passed, $REL_FAILED failed in $(($(date +%s) - start)) s"
echo "1..$REL_N"
[ "$REL_FAILED" -eq 0 ]
