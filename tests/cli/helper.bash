# shellcheck shell=bash
# Shared helper for the end-to-end tests: `load helper` in every .bats file.
#
# The binary under test is $FLUX_BIN (default build/flux; scripts/run-tests.sh
# runs the suite once with build/flux and once with build/dev/flux); tests
# call it as `flux` (stdin is /dev/null so it never prompts). One PostgreSQL
# cluster serves the whole run (started by scripts/run-tests.sh or by
# setup_suite.bash, or lazily here); each .bats file gets its own fresh
# database (setup_file), and each test starts from an empty database
# (reset_db) in its own project directory with an empty migrations/ (setup).
# A file that needs its own setup/setup_file defines it and calls
# flux_setup / flux_setup_file from it.

bats_require_minimum_version 1.5.0

FLUX_REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
FLUX_FIXTURES=$BATS_TEST_DIRNAME/fixtures
: "${FLUX_BIN:=$FLUX_REPO_ROOT/build/flux}"
case $FLUX_BIN in
/*) ;;
*) FLUX_BIN=$FLUX_REPO_ROOT/$FLUX_BIN ;;
esac
export FLUX_BIN

# Hermetic environment: no FLUX_*, DATABASE_URL or libpq PG* from the
# caller. Called from setup_file (the tests inherit its environment).
hermetic_env() {
	local v
	while IFS= read -r v; do
		case $v in
		FLUX_BIN | FLUX_TEST_*) ;;
		FLUX_* | PG* | DATABASE_URL) unset "$v" ;;
		esac
	done < <(compgen -e)
}

# Sanitizer findings exit 66, a code no test expects (run-tests.sh sets the
# same for the dev binary; harmless for the static one).
: "${ASAN_OPTIONS:=detect_leaks=1:exitcode=66}"
: "${UBSAN_OPTIONS:=halt_on_error=1:print_stacktrace=1:exitcode=66}"
export ASAN_OPTIONS UBSAN_OPTIONS

FLUX_TEST_PASSWORD=flux_pw_123

flux() {
	"$FLUX_BIN" "$@" </dev/null
}

# --- cluster and database --------------------------------------------------

ensure_cluster() {
	if [ -z "${FLUX_TEST_PGPORT:-}" ]; then
		# shellcheck source=tests/cli/pgcluster.sh
		. "$BATS_TEST_DIRNAME/pgcluster.sh"
		pgc_start || return 1
		export FLUX_TEST_FILE_OWNS_CLUSTER=1
	fi
}

# db_url [DB] [PASSWORD]
# shellcheck disable=SC2120 # the .bats files pass the arguments
db_url() {
	printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$FLUX_TEST_PGUSER" \
		"${2:-$FLUX_TEST_PASSWORD}" "$FLUX_TEST_PGPORT" "${1:-$FLUX_TEST_DB}"
}

# psql_q SQL [DB]: one query, unaligned tuples only, errors fail.
psql_q() {
	PGPASSWORD=$FLUX_TEST_PGPASSWORD PGCONNECT_TIMEOUT=10 PGOPTIONS="-c client_min_messages=warning" psql -X -w -A -t -q \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" \
		-U "$FLUX_TEST_PGUSER" -d "${2:-$FLUX_TEST_DB}" -c "$1"
}

flux_setup_file() {
	if [ ! -x "$FLUX_BIN" ]; then
		echo "flux binary not found: $FLUX_BIN (build it first)" >&2
		return 1
	fi
	hermetic_env
	ensure_cluster || return 1
	local base
	base=$(basename "$BATS_TEST_FILENAME" .bats)
	base=${base,,}
	base=${base//[^a-z0-9]/_}
	export FLUX_TEST_DB="flux_${base}_${RANDOM}${RANDOM}"
	psql_q "create database $FLUX_TEST_DB" postgres || return 1
	DATABASE_URL=$(db_url)
	export DATABASE_URL
}

flux_teardown_file() {
	if [ -n "${FLUX_TEST_DB:-}" ] && [ -n "${FLUX_TEST_PGPORT:-}" ]; then
		psql_q "drop database if exists $FLUX_TEST_DB with (force)" postgres || true
	fi
	if [ -n "${FLUX_TEST_FILE_OWNS_CLUSTER:-}" ]; then
		. "$BATS_TEST_DIRNAME/pgcluster.sh"
		pgc_stop
	fi
}

# Empty the test database: end other sessions (a lock holder left behind),
# drop every user schema, recreate public.
reset_db() {
	psql_q "select count(pg_terminate_backend(pid)) from pg_stat_activity
		where datname = current_database() and pid <> pg_backend_pid();
	do \$\$ declare s text; begin
		for s in select nspname from pg_namespace
			where nspname not in ('information_schema')
			and nspname not like 'pg\_%' loop
			execute format('drop schema %I cascade', s);
		end loop;
		create schema public;
	end \$\$" >/dev/null
}

# A fresh project directory with an empty migrations/, and cd into it.
new_project() {
	PROJECT=$BATS_TEST_TMPDIR/project
	rm -rf "$PROJECT"
	mkdir -p "$PROJECT/migrations"
	cd "$PROJECT" || return 1
}

flux_setup() {
	reset_db
	new_project
}

setup_file() { flux_setup_file; }
teardown_file() { flux_teardown_file; }
setup() { flux_setup; }

# --- migration files -------------------------------------------------------

# write_migration ID SQL [DIR]: DIR/ID.sql holding SQL and a newline.
write_migration() {
	local dir=${3:-migrations}
	mkdir -p "$dir"
	printf '%s\n' "$2" >"$dir/$1.sql"
}
write_undo() {
	local dir=${3:-migrations}
	mkdir -p "$dir"
	printf '%s\n' "$2" >"$dir/$1.undo.sql"
}
write_pre() { write_migration "$1" "$2" migrations/pre-apply; }
write_post() { write_migration "$1" "$2" migrations/post-apply; }

# Copy a fixture migration directory into ./migrations.
use_fixture() {
	rm -rf migrations
	cp -R "$FLUX_FIXTURES/$1" migrations
}

# --- queries ---------------------------------------------------------------

# server_version_num: the test server's major and minor as one number
# (130023, 170012): for features older servers lack (scripts/run-tests.sh
# also runs the core against PostgreSQL 13 and 17).
server_version_num() {
	psql_q "show server_version_num"
}

# history_ids [SCHEMA.TABLE]: applied ids, one per line, sorted.
history_ids() {
	psql_q "select id from ${1:-public._flux_migrations} order by id"
}
# history_rows [SCHEMA.TABLE]: "id|hash" lines.
history_rows() {
	psql_q "select id || '|' || hash from ${1:-public._flux_migrations} order by id"
}
history_count() {
	psql_q "select count(*) from ${1:-public._flux_migrations}"
}
# relation_exists NAME: 0 if the (optionally qualified) relation exists.
relation_exists() {
	[ "$(psql_q "select to_regclass('$1') is not null")" = t ]
}
# The history table must not exist (commands that create nothing).
assert_no_history_table() {
	if relation_exists "${1:-public._flux_migrations}"; then
		echo "history table ${1:-public._flux_migrations} exists but must not" >&2
		return 1
	fi
}
# assert_no_relation NAME: the relation must not exist (a bare
# `! relation_exists` would not fail a bats test unless it came last).
assert_no_relation() {
	if relation_exists "$1"; then
		echo "relation $1 exists but must not" >&2
		return 1
	fi
}
# table_columns TABLE [SCHEMA]: "col:type,col:type" in column order.
table_columns() {
	psql_q "select string_agg(column_name || ':' || data_type, ',' order by ordinal_position)
		from information_schema.columns
		where table_schema = '${2:-public}' and table_name = '$1'"
}
# md5 of a file's bytes.
md5_file() {
	md5sum "$1" | cut -d' ' -f1
}

# --- assertions (print what was seen on failure) ----------------------------

show_run() {
	{
		echo "--- status: ${status-}"
		echo "--- stdout:"
		printf '%s\n' "${output-}"
		echo "--- stderr:"
		printf '%s\n' "${stderr-}"
		echo "---"
		if [ "${status-}" = 66 ]; then echo "(66: sanitizer finding)"; fi
	} >&2
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status" >&2
		show_run
		return 1
	fi
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	if [[ $1 != *"$2"* ]]; then
		echo "expected ${3:-text} to contain: $2" >&2
		show_run
		return 1
	fi
}
assert_not_contains() {
	if [[ $1 == *"$2"* ]]; then
		echo "expected ${3:-text} NOT to contain: $2" >&2
		show_run
		return 1
	fi
}
# case-insensitive
assert_icontains() {
	if [[ ${1,,} != *"${2,,}"* ]]; then
		echo "expected ${3:-text} to contain (any case): $2" >&2
		show_run
		return 1
	fi
}
# assert_match TEXT ERE [WHAT]
assert_match() {
	if ! [[ $1 =~ $2 ]]; then
		echo "expected ${3:-text} to match: $2" >&2
		show_run
		return 1
	fi
}
# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	if [ "$1" != "$2" ]; then
		printf 'expected %s:\n%s\ngot:\n%s\n' "${3:-value}" "$2" "$1" >&2
		show_run
		return 1
	fi
}

# stdout and stderr together, for messages whose stream does not matter.
all_output() {
	printf '%s\n%s\n' "${output-}" "${stderr-}"
}

# The date flux uses for new migrations: UTC or local (both accepted).
today_utc() { date -u +%Y%m%d; }
today_local() { date +%Y%m%d; }

# A TCP port nothing listens on: pgcluster.sh's pgc_free_port (sourced
# here when the cluster was started by someone else).
free_port() {
	if ! declare -F pgc_free_port >/dev/null; then
		# shellcheck source=tests/cli/pgcluster.sh
		. "$BATS_TEST_DIRNAME/pgcluster.sh"
	fi
	pgc_free_port
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# Hold the advisory lock LOCKID in a background psql session for SECS
# seconds; sets LOCK_HOLDER_PID. wait until it is held.
hold_lock() {
	local lockid=${1:-3589} secs=${2:-30}
	PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -q -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" \
		-U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" \
		-c "select pg_advisory_lock($lockid)" -c "select pg_sleep($secs)" \
		>/dev/null 2>&1 3>&- &
	LOCK_HOLDER_PID=$!
	for _ in $(seq 1 100); do
		if [ "$(psql_q "select count(*) from pg_locks where locktype = 'advisory'
			and database = (select oid from pg_database where datname = current_database())
			and objid = $lockid and granted")" -ge 1 ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "could not take the advisory lock $lockid in the background" >&2
	return 1
}
release_lock() {
	if [ -n "${LOCK_HOLDER_PID:-}" ]; then
		kill "$LOCK_HOLDER_PID" 2>/dev/null || true
		wait "$LOCK_HOLDER_PID" 2>/dev/null || true
		LOCK_HOLDER_PID=
	fi
	psql_q "select pg_terminate_backend(pid) from pg_stat_activity
		where datname = current_database() and pid <> pg_backend_pid()" >/dev/null
}

# --- flux in the background --------------------------------------------------
#
# A test that runs flux in the background (to signal it, or to race it
# against another process) starts it with bg_flux and defines
#   teardown() { teardown_bg SIGNAL; }
# so that whatever is still running when the test ends, passed or failed,
# is ended and reaped, and the lock holder and leftover sessions are gone.

# bg_flux [-t SECS] NAME ARGS...: run flux ARGS in the background, stdin
# from /dev/null, stdout in $BATS_TEST_TMPDIR/NAME.out, stderr in NAME.err;
# sets BG_PID and adds it to BG_PIDS. With -t, under `timeout SECS` (exit
# 124 when it hangs, e.g. a deadlock; BG_PID is then timeout's, which passes
# signals on to flux). fd 3 is closed: bats waits for it.
bg_flux() {
	local limit=()
	if [ "$1" = -t ]; then
		limit=(timeout "$2")
		shift 2
	fi
	local name=$1
	shift
	bg_cmd "$name" "${limit[@]}" "$FLUX_BIN" "$@"
}

# bg_cmd NAME CMD...: any command in the background, as bg_flux.
bg_cmd() {
	local name=$1
	shift
	"$@" </dev/null >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
	BG_PID=$!
	BG_PIDS="${BG_PIDS:-} $BG_PID"
}

# teardown_bg SIGNAL: continue the server backend a test stopped
# (STOPPED_PID), send SIGNAL to every BG_PIDS process still running, reap
# them, then release_lock.
teardown_bg() {
	local p
	if [ -n "${STOPPED_PID:-}" ]; then
		kill -CONT "$STOPPED_PID" 2>/dev/null || true
		STOPPED_PID=
	fi
	for p in ${BG_PIDS:-}; do
		kill -"$1" "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=
	release_lock
}

# wait_for_text FILE TEXT [TRIES of 50 ms, default 200]
wait_for_text() {
	for _ in $(seq 1 "${3:-200}"); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$2' in $1:" >&2
	cat "$1" >&2
	return 1
}

# wait_for_flux_query LIKE-PATTERN: until a flux session of the test
# database runs a query like it (polls 10 s); on failure prints the stderr
# of the background processes.
wait_for_flux_query() {
	local f
	for _ in $(seq 1 200); do
		if [ "$(psql_q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'flux'
			and state = 'active' and query like '$1'")" -ge 1 ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "no flux session ran a query like $1" >&2
	for f in "$BATS_TEST_TMPDIR"/*.err; do
		[ -f "$f" ] || continue
		echo "--- $(basename "$f"):" >&2
		cat "$f" >&2
	done
	return 1
}
