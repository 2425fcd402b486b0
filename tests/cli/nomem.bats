#!/usr/bin/env bats
# Out of memory: exit 12 and one line naming the size that could not be
# allocated, as text or as a JSON event, and nothing half-applied: what was
# committed before stays, nothing else is recorded, the lock is free, and a
# rerun with memory enough completes.
#
# The static binary runs under `ulimit -v` (32 MB of address space); the
# sanitized one cannot (AddressSanitizer reserves terabytes of shadow), so
# there its allocator refuses any single allocation above 32 MB and returns
# NULL, which is what malloc does when memory runs out. Either way a 40 MB
# migration cannot be read.

load helper

NOMEM_LIMIT_MB=32

# nomem_flux ARGS...: run flux with too little memory for a 40 MB file.
nomem_flux() {
	case $FLUX_BIN in
	*/dev/*)
		run --separate-stderr env \
			ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1:max_allocation_size_mb=$NOMEM_LIMIT_MB" \
			"$FLUX_BIN" "$@" </dev/null
		;;
	*)
		run --separate-stderr bash -c 'ulimit -v "$1" && shift && exec "$@"' _ \
			$((NOMEM_LIMIT_MB * 1024)) "$FLUX_BIN" "$@" </dev/null
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
	nomem_flux apply
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
	nomem_flux apply
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

@test "nomem: with JSON logs the out-of-memory line is one JSON event" {
	big_migration migrations/20260101_01_big.sql
	FLUX_LOG_FORMAT=json nomem_flux status
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
