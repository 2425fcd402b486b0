# shellcheck shell=bash
# Shared helpers of the reliability tests (sourced by run.sh and the
# section files): TAP output, the PostgreSQL clusters, databases, queries.
#
# TAP: rel_test DESC FUNC ARGS... runs FUNC in a subshell with its output
# captured; it prints `ok N DESC` or `not ok N DESC` followed by the
# captured output as `# ` comments (only on failure, or with REL_VERBOSE=1).
# A FUNC fails by returning non-zero; `fail MSG` prints MSG and exits the
# test's subshell (or the command substitution it is called in) with 1.

REL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REL_ROOT=$(cd "$REL_DIR/../.." && pwd)
# shellcheck source=tests/cli/pgcluster.sh
. "$REL_ROOT/tests/cli/pgcluster.sh"

REL_N=0
REL_FAILED=0
REL_TMP=${REL_TMP:-}

rel_test() {
	local desc=$1 log rc
	shift
	log=$(mktemp "$REL_TMP/log.XXXXXX")
	("$@") >"$log" 2>&1 </dev/null
	rc=$?
	REL_N=$((REL_N + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $REL_N $desc"
		[ -n "${REL_VERBOSE:-}" ] && sed 's/^/# /' "$log"
	else
		echo "not ok $REL_N $desc"
		tail -n 80 "$log" | sed 's/^/# /'
		REL_FAILED=$((REL_FAILED + 1))
	fi
	rm -f "$log"
	return 0
}

# A TAP line produced elsewhere (the fuzz runner), renumbered.
rel_tap_line() {
	case $1 in
	"ok "*)
		REL_N=$((REL_N + 1))
		echo "ok $REL_N ${1#ok [0-9]* }"
		;;
	"not ok "*)
		REL_N=$((REL_N + 1))
		REL_FAILED=$((REL_FAILED + 1))
		echo "not ok $REL_N ${1#not ok [0-9]* }"
		;;
	"#"*) echo "$1" ;;
	esac
}

fail() {
	printf '%s\n' "$*"
	exit 1
}

# The binaries under test (relative to the repository).
rel_bin_label() {
	case $1 in
	*/dev/*) echo dev ;;
	*) echo static ;;
	esac
}

rel_bin_count() {
	# shellcheck disable=SC2086 # the words of REL_BINS
	set -- $REL_BINS
	echo $#
}

# Sanitizer findings exit 66 (no test expects 66) for the dev binary.
export ASAN_OPTIONS=${REL_ASAN_OPTIONS:-detect_leaks=1:exitcode=66}
export UBSAN_OPTIONS=${REL_UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=66}

# --- clusters -------------------------------------------------------------

# The main cluster: the caller's (FLUX_TEST_PGPORT exported, e.g. by
# scripts/run-tests.sh) or our own, stopped by rel_cleanup.
REL_OWN_MAIN=
rel_main_cluster() {
	if [ -n "${FLUX_TEST_PGPORT:-}" ] && [ -n "${FLUX_TEST_PGDIR:-}" ]; then
		return 0
	fi
	pgc_start || return 1
	REL_OWN_MAIN=$FLUX_TEST_PGDIR
}

# A second cluster that the server-fault tests stop and start.
FAULT_PGDIR=
FAULT_PGPORT=
rel_fault_cluster() {
	local dir=${FLUX_TEST_PGDIR:-} port=${FLUX_TEST_PGPORT:-}
	pgc_start || return 1
	FAULT_PGDIR=$FLUX_TEST_PGDIR
	FAULT_PGPORT=$FLUX_TEST_PGPORT
	export FLUX_TEST_PGDIR=$dir FLUX_TEST_PGPORT=$port
}

fault_pg_ctl_stop() {
	FLUX_TEST_PGDIR=$FAULT_PGDIR pgc_run "$PGC_BIN/pg_ctl" -D "$FAULT_PGDIR/data" \
		-m "$1" -w -t 60 stop
}
fault_pg_ctl_start() {
	FLUX_TEST_PGDIR=$FAULT_PGDIR pgc_server_start "$FAULT_PGPORT"
}

rel_cleanup() {
	if [ -n "$FAULT_PGDIR" ]; then
		FLUX_TEST_PGDIR=$FAULT_PGDIR pgc_stop
		FAULT_PGDIR=
	fi
	if [ -n "$REL_OWN_MAIN" ]; then
		FLUX_TEST_PGDIR=$REL_OWN_MAIN pgc_stop
		REL_OWN_MAIN=
	fi
	[ -n "$REL_TMP" ] && rm -rf "$REL_TMP"
}

# --- databases and queries --------------------------------------------------

# q SQL [DB] [PORT]: one query, unaligned tuples only, errors fail.
q() {
	PGPASSWORD=$FLUX_TEST_PGPASSWORD PGCONNECT_TIMEOUT=10 \
		PGOPTIONS="-c client_min_messages=warning" psql -X -w -A -t -q \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${3:-$FLUX_TEST_PGPORT}" \
		-U "$FLUX_TEST_PGUSER" -d "${2:-postgres}" -c "$1"
}

# new_db PREFIX [PORT]: create a fresh database, print its name.
new_db() {
	local name="rel_${1}_${RANDOM}${RANDOM}"
	q "create database $name" postgres "${2:-$FLUX_TEST_PGPORT}" >/dev/null || return 1
	echo "$name"
}

# db_url DB [PORT] [PASSWORD]
db_url() {
	printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$FLUX_TEST_PGUSER" \
		"${3:-$FLUX_TEST_PGPASSWORD}" "${2:-$FLUX_TEST_PGPORT}" "$1"
}

# Wait (up to SECS, default 10) until DB has no session but ours.
wait_no_sessions() {
	local db=$1 port=${2:-$FLUX_TEST_PGPORT} secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		[ "$(q "select count(*) from pg_stat_activity where datname = '$db'
			and pid <> pg_backend_pid()" postgres "$port")" = 0 ] && return 0
		sleep 0.05
	done
	fail "sessions still open on $db after ${secs}s: $(q "select string_agg(pid || ' ' || coalesce(application_name, '') || ' ' || state, '; ') from pg_stat_activity where datname = '$db' and pid <> pg_backend_pid()" postgres "$port")"
}

# Advisory locks of LOCKID held or awaited in the cluster.
lock_count() {
	q "select count(*) from pg_locks where locktype = 'advisory'
		and ((classid::bigint << 32) | objid::bigint) = ${1:-3589}" postgres "${2:-$FLUX_TEST_PGPORT}"
}

# No advisory lock LOCKID left (waits up to 5 s for exiting backends).
assert_no_lock() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(lock_count "${1:-3589}" "${2:-$FLUX_TEST_PGPORT}")" = 0 ] && return 0
		sleep 0.05
	done
	fail "advisory lock ${1:-3589} still held: $(q "select string_agg(pid::text || ' granted=' || granted, ', ') from pg_locks where locktype = 'advisory'" postgres "${2:-$FLUX_TEST_PGPORT}")"
}

# rerun_completes BIN N CONSISTENT DB [PORT]: after a fault, a rerun of
# `BIN apply` (in the current project directory) exits 0, the function
# CONSISTENT then finds DB consistent with N migrations applied, and the
# advisory lock is free.
rerun_completes() {
	local bin=$1 want=$2 check=$3 db=$4 port=${5:-$FLUX_TEST_PGPORT} rc n
	"$REL_ROOT/$bin" apply >out2 2>err2
	rc=$?
	[ "$rc" -eq 0 ] || fail "rerun exited $rc: $(cat err2)"
	n=$("$check" "$db") || { echo "$n"; return 1; }
	[ "$n" = "$want" ] || fail "rerun left $n of $want applied"
	assert_no_lock 3589 "$port" || return 1
	echo "rerun: exit 0, $want applied, lock free"
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }
