#!/usr/bin/env bats
# ddl_lock_timeout: each transactional migration runs with SET LOCAL
# lock_timeout; on 55P03 it is rolled back, the holder is logged, and it is
# retried with a jittered backoff up to ddl_lock_retries times. The point:
# a migration queued behind a long transaction does not make every query
# behind it wait too.

load helper

teardown() {
	teardown_bg TERM
}

# hold_table SECS: a session that holds table t (ACCESS SHARE, as any
# reader) in an open transaction for SECS seconds; waits until it does.
hold_table() {
	bg_cmd holder env PGPASSWORD="$FLUX_TEST_PGPASSWORD" psql -X -q -h 127.0.0.1 \
		-p "$FLUX_TEST_PGPORT" -U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" \
		-c "begin; select count(*) from t; select pg_sleep($1); commit;"
	for _ in $(seq 1 100); do
		[ "$(psql_q "select count(*) from pg_locks l join pg_class c on c.oid = l.relation
			where c.relname = 't' and l.granted and l.pid <> pg_backend_pid()")" -ge 1 ] && return 0
		sleep 0.05
	done
	echo "the holder never locked t" >&2
	return 1
}

# reader_waits SECS: for SECS seconds, a reader selects from t every 100 ms
# and the longest single select is printed, in whole ms, as the server
# round trip psql's \timing measures (its start and login are left out,
# so a loaded machine does not stretch the figure).
reader_waits() {
	local end=$(($(now_ms) + $1 * 1000)) max=0 d
	while [ "$(now_ms)" -lt "$end" ]; do
		d=$(PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -q -A -t -h 127.0.0.1 \
			-p "$FLUX_TEST_PGPORT" -U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" \
			-c '\timing on' -c 'select count(*) from t' | sed -n 's/^Time: \([0-9]*\).*/\1/p')
		[ -n "$d" ] && [ "$d" -gt "$max" ] && max=$d
		sleep 0.1
	done
	echo "$max"
}

setup_t() {
	psql_q "create table t (id int)"
	write_migration m1 "alter table t add column c int;"
}

@test "ddl lock timeout: readers never wait behind the queued migration, which applies after the holder ends" {
	setup_t
	hold_table 3
	bg_flux flux --ddl-lock-timeout 200ms apply
	local max
	max=$(reader_waits 2)
	wait "$BG_PID" || true
	echo "longest read: $max ms" >&3
	# Each time the migration waits it blocks readers for at most 200 ms.
	[ "$max" -lt 800 ] || { echo "a reader waited $max ms" >&2; false; }
	# It applied once the holder ended, after logging who held the lock.
	assert_eq "$(history_ids)" m1
	assert_eq "$(psql_q "select count(*) from information_schema.columns where table_name = 't' and column_name = 'c'")" 1
	run cat "$BATS_TEST_TMPDIR/flux.err"
	assert_contains "$output" "migration 'm1' waited 200 ms for a lock (ddl_lock_timeout) and was rolled back; held by pid"
	assert_contains "$output" "select count(*) from t; select pg_sleep(3)"
	assert_contains "$output" "retry 1 of 10"
}

@test "ddl lock timeout: without it, readers wait behind the migration for the holder's whole transaction" {
	setup_t
	hold_table 3
	bg_flux flux apply
	local max
	max=$(reader_waits 2)
	wait "$BG_PID" || true
	echo "longest read: $max ms" >&3
	[ "$max" -ge 1000 ] || { echo "the longest read took only $max ms: the test shows nothing" >&2; false; }
	assert_eq "$(history_ids)" m1
}

@test "ddl lock timeout: after the last retry, exit 1 naming the holder; earlier migrations stay applied" {
	psql_q "create table t (id int)"
	write_migration m0 "create table before_t (id int);"
	write_migration m1 "alter table t add column c int;"
	hold_table 20
	FLUX_DDL_LOCK_RETRIES=2 run --separate-stderr flux --ddl-lock-timeout 100ms apply
	assert_status 1
	assert_eq "$(history_ids)" m0
	assert_contains "$stderr" "retry 2 of 2" "stderr"
	assert_contains "$stderr" "canceling statement due to lock timeout (SQLSTATE 55P03)" "stderr"
	assert_contains "$stderr" "after 2 retries (ddl_lock_timeout 100 ms) the lock was still held by pid" "stderr"
}

@test "ddl lock timeout: a migration's own SET LOCAL lock_timeout wins" {
	psql_q "create table t (id int)"
	printf "set local lock_timeout = '3s';\nalter table t add column c int;\n" >migrations/m1.sql
	hold_table 1
	FLUX_DDL_LOCK_RETRIES=0 run --separate-stderr flux --ddl-lock-timeout 100ms apply
	# 100 ms would fail at once with no retries; its own 3 s outlasts the holder.
	assert_status 0
	assert_eq "$(history_ids)" m1
	assert_not_contains "$stderr" "ddl_lock_timeout" "stderr"
}

@test "ddl lock timeout: shown by flux config, a bad value is exit 3 (2 as a flag)" {
	FLUX_DDL_LOCK_TIMEOUT=2s run --separate-stderr flux config
	assert_status 0
	assert_match "$output" "ddl_lock_timeout += 2s +# FLUX_DDL_LOCK_TIMEOUT" "stdout"
	FLUX_DDL_LOCK_RETRIES=many run --separate-stderr flux status
	assert_status 3
	assert_contains "$stderr" "invalid ddl_lock_retries 'many' in FLUX_DDL_LOCK_RETRIES" "stderr"
	run --separate-stderr flux --ddl-lock-timeout soon status
	assert_status 2
}
