#!/usr/bin/env bats
# Out of memory: exit 12 and one line naming the size that could not be
# allocated, as text or as a JSON event, and nothing half-applied: what was
# committed before stays, each migration is recorded exactly when its
# changes are there, the lock is free, and a rerun with memory enough
# completes.
#
# The static binary runs under `ulimit -v`; the sanitized one cannot
# (AddressSanitizer reserves terabytes of shadow), so there its allocator
# refuses any single allocation above a size and returns NULL, which is what
# malloc does when memory runs out. Two ways to run out: reading a 40 MB
# migration (before anything is applied), and logging a 10 MB server NOTICE
# of control bytes (escaped to 40 MB) in the middle of a batch, with the
# migration's transaction open on the server.

load helper

# nomem_flux STATIC_MB DEV_MB ARGS...: run flux with STATIC_MB of address
# space (static binary) or no single allocation above DEV_MB (sanitized).
nomem_flux() {
	local static_mb=$1 dev_mb=$2
	shift 2
	case $FLUX_BIN in
	*/dev/*)
		run --separate-stderr env \
			ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1:max_allocation_size_mb=$dev_mb" \
			"$FLUX_BIN" "$@" </dev/null
		;;
	*)
		run --separate-stderr bash -c 'ulimit -v "$1" && shift && exec "$@"' _ \
			$((static_mb * 1024)) "$FLUX_BIN" "$@" </dev/null
		;;
	esac
}

# big_migration PATH: about 40 MB: a statement and 40 MB of comment lines.
big_migration() {
	{
		echo "create table big (n int);"
		head -c $((40 * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 200 | sed 's/^/-- /'
	} >"$1"
}

# The last line of stderr (ASan may warn on a line of its own before it).
last_stderr_line() {
	printf '%s\n' "$stderr" | sed -n '$p'
}

assert_lock_free() {
	assert_eq "$(psql_q "select count(*) from pg_locks where locktype = 'advisory'")" 0
}

# The server may still be running the rest of a batch sent before flux
# died: wait (up to 30 s) until no other session is left on the database.
wait_sessions_gone() {
	for _ in $(seq 1 300); do
		[ "$(psql_q "select count(*) from pg_stat_activity
			where datname = current_database() and pid <> pg_backend_pid()")" = 0 ] && return 0
		sleep 0.1
	done
	echo "sessions still open on $FLUX_TEST_DB after 30 s" >&2
	return 1
}

# Each of the migrations IDS... is recorded exactly when its table (the
# last part of its id) exists: nothing half-applied.
assert_recorded_iff_applied() {
	local id recorded
	for id in "$@"; do
		recorded=$(psql_q "select count(*) from _flux_migrations where id = '$id'")
		if relation_exists "${id##*_}"; then
			assert_eq "$recorded" 1 "history rows of $id (its table exists)"
		else
			assert_eq "$recorded" 0 "history rows of $id (its table does not exist)"
		fi
	done
}

@test "nomem: --help lists exit code 12" {
	run --separate-stderr flux --help
	assert_status 0
	if ! printf '%s\n' "$output" | grep -q '^  12 out of memory'; then
		echo "no line '  12 out of memory' in: $output" >&2
		false
	fi
}

@test "nomem: apply with too little memory for a migration exits 12 and creates nothing" {
	write_migration 20260101_01_a "create table a (n int);"
	big_migration migrations/20260101_02_big.sql
	write_migration 20260101_03_c "create table c (n int);"
	nomem_flux 32 32 apply
	assert_status 12
	assert_match "$(last_stderr_line)" '^flux: error: out of memory allocating [0-9]+( x [0-9]+)? bytes$' "stderr"
	assert_eq "$(printf '%s\n' "$stderr" | grep -c '^flux: ')" 1
	assert_no_history_table
	assert_no_relation a
	assert_no_relation big
	assert_no_relation c
	assert_lock_free
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids | tr '\n' ' ')" "20260101_01_a 20260101_02_big 20260101_03_c "
}

@test "nomem: out of memory after earlier applies keeps what was committed, records nothing else" {
	write_migration 20260101_01_a "create table a (n int);"
	write_migration 20260101_02_b "create table b (n int);"
	run --separate-stderr flux apply
	assert_status 0
	big_migration migrations/20260101_03_big.sql
	write_migration 20260101_04_d "create table d (n int);"
	nomem_flux 32 32 apply
	assert_status 12
	assert_match "$(last_stderr_line)" '^flux: error: out of memory allocating [0-9]+( x [0-9]+)? bytes$' "stderr"
	assert_eq "$(history_ids | tr '\n' ' ')" "20260101_01_a 20260101_02_b "
	relation_exists a
	relation_exists b
	assert_no_relation big
	assert_no_relation d
	assert_lock_free
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids | tr '\n' ' ')" "20260101_01_a 20260101_02_b 20260101_03_big 20260101_04_d "
	relation_exists big
	relation_exists d
}

@test "nomem: out of memory mid-batch, a transaction open: exit 12, nothing half-applied" {
	write_migration 20260101_01_a "create table a (n int);"
	write_migration 20260101_02_b "create table b (n int);
do \$\$ begin raise notice '%', repeat(chr(1), 10000000); end \$\$;"
	write_migration 20260101_03_c "create table c (n int);"
	nomem_flux 80 32 apply
	assert_status 12
	assert_match "$(last_stderr_line)" '^flux: error: out of memory allocating [0-9]+( x [0-9]+)? bytes$' "stderr"
	# It ran out after the first migration was committed.
	assert_contains "$stderr" "applied 20260101_01_a" "stderr"
	wait_sessions_gone
	assert_lock_free
	relation_exists a
	assert_recorded_iff_applied 20260101_01_a 20260101_02_b 20260101_03_c
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids | tr '\n' ' ')" "20260101_01_a 20260101_02_b 20260101_03_c "
	relation_exists b
	relation_exists c
}

@test "nomem: with JSON logs the out-of-memory line is one JSON event" {
	big_migration migrations/20260101_01_big.sql
	FLUX_LOG_FORMAT=json nomem_flux 32 32 status
	assert_status 12
	last_stderr_line | python3 -c '
import json, re, sys
e = json.loads(sys.stdin.read())
assert e["level"] == "error", e
assert e["event"] == "out_of_memory", e
assert re.fullmatch(r"out of memory allocating [0-9]+( x [0-9]+)? bytes", e["msg"]), e
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]), e
'
}
