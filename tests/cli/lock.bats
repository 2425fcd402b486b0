#!/usr/bin/env bats
# The advisory lock (SPEC §1 "Locking", §5 "Lock wait"):
# polled pg_try_advisory_lock, the holder logged, exit 8 on FLUX_LOCK_TIMEOUT,
# a second flux waits then finds nothing to do, and no deadlock with
# CREATE INDEX CONCURRENTLY.

load helper

# SIGTERM: the background flux runs under timeout(1), which passes it on.
teardown() { teardown_bg TERM; }

# hold_big_lock ID SECS: like hold_lock, for any int64 id (pg_locks splits
# it into classid/objid), with application_name lock_holder_app.
hold_big_lock() {
	local lockid=$1 secs=$2
	PGAPPNAME=lock_holder_app PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -q -h 127.0.0.1 \
		-p "$FLUX_TEST_PGPORT" -U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" \
		-c "select pg_advisory_lock($lockid)" -c "select pg_sleep($secs)" \
		>/dev/null 2>&1 3>&- &
	# shellcheck disable=SC2034 # helper.bash's release_lock reads it
	LOCK_HOLDER_PID=$!
	for _ in $(seq 1 100); do
		if [ "$(psql_q "select count(*) from pg_locks where locktype = 'advisory' and granted
			and database = (select oid from pg_database where datname = current_database())
			and ((classid::bigint << 32) | objid::bigint) = $lockid")" -ge 1 ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "could not take advisory lock $lockid" >&2
	return 1
}

# lock_holder_pid ID: backend pid holding advisory lock ID.
lock_holder_pid() {
	psql_q "select pid from pg_locks where locktype = 'advisory' and granted
		and database = (select oid from pg_database where datname = current_database())
		and ((classid::bigint << 32) | objid::bigint) = $1"
}

@test "lock held by another session: --lock-timeout 1s is exit 8, nothing applied or created" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_lock 3589 30
	local t0 dt
	t0=$(now_ms)
	run --separate-stderr flux apply --lock-timeout 1s
	dt=$(($(now_ms) - t0))
	assert_status 8
	assert_icontains "$stderr" "lock" "stderr"
	assert_contains "$stderr" "3589" "stderr"
	[ "$dt" -ge 900 ] || { echo "gave up after $dt ms" >&2; false; }
	[ "$dt" -lt 5000 ] || { echo "took $dt ms" >&2; false; }
	assert_no_history_table
	assert_no_relation a
}

@test "FLUX_LOCK_TIMEOUT=500ms in the environment: exit 8" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_lock 3589 30
	run --separate-stderr env FLUX_LOCK_TIMEOUT=500ms "$FLUX_BIN" apply
	assert_status 8
	assert_no_relation a
}

@test "rollback waits for the lock too: exit 8, nothing undone" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	run --separate-stderr flux apply
	assert_status 0
	hold_lock 3589 30
	run --separate-stderr flux rollback --all -y --lock-timeout 1s
	assert_status 8
	assert_eq "$(history_ids)" "20200101_001_a"
	relation_exists a
}

@test "without a lock timeout: waits, logs who holds the lock, applies after the holder exits" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_big_lock 3589 3
	local hpid rc=0
	hpid=$(lock_holder_pid 3589)
	bg_flux -t 30 a apply
	local pid=$BG_PID
	wait_for_text "$BATS_TEST_TMPDIR/a.err" "waiting for advisory lock"
	# still waiting while the holder sleeps
	sleep 0.5
	kill -0 "$pid"
	assert_no_relation a
	wait "$pid" || rc=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/a.err")
	status=$rc
	assert_status 0
	assert_contains "$stderr" "pid $hpid" "stderr"
	assert_contains "$stderr" "lock_holder_app" "stderr"
	assert_contains "$stderr" "took advisory lock" "stderr"
	assert_eq "$(history_ids)" "20200101_001_a"
}

@test "a second flux started during a slow migration waits, then finds nothing to do" {
	write_migration 20200101_001_slow "create table slow (id int); insert into slow values (1); select pg_sleep(2);"
	write_migration 20200101_002_b "create table b (id int); insert into b values (1);"
	local pa pb ra=0 rb=0
	bg_flux -t 30 a apply
	pa=$BG_PID
	wait_for_flux_query '%pg_sleep(2)%'
	bg_flux -t 30 b apply
	pb=$BG_PID
	wait_for_text "$BATS_TEST_TMPDIR/b.err" "waiting for advisory lock"
	wait "$pa" || ra=$?
	wait "$pb" || rb=$?
	stderr="A: $(cat "$BATS_TEST_TMPDIR/a.err")
B: $(cat "$BATS_TEST_TMPDIR/b.err")"
	status=$ra
	assert_status 0
	status=$rb
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_slow
20200101_002_b"
	# each migration ran exactly once
	assert_eq "$(psql_q "select count(*) from slow")" 1
	assert_eq "$(psql_q "select count(*) from b")" 1
	assert_contains "$(cat "$BATS_TEST_TMPDIR/b.err")" "no pending migrations" "B's stderr"
	assert_not_contains "$(cat "$BATS_TEST_TMPDIR/b.err")" "applied 20200101_" "B's stderr"
}

@test "a custom FLUX_MIGRATIONS_LOCK_ID is respected" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_lock 3589 30
	# 3589 held: lock id 42 is not blocked by it
	run --separate-stderr env FLUX_MIGRATIONS_LOCK_ID=42 "$FLUX_BIN" apply --lock-timeout 1s
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	release_lock
	# and 42 held blocks lock id 42
	write_migration 20200101_002_b "create table b (id int);"
	hold_lock 42 30
	run --separate-stderr env FLUX_MIGRATIONS_LOCK_ID=42 "$FLUX_BIN" apply --lock-timeout 1s
	assert_status 8
	assert_contains "$stderr" "42" "stderr"
	assert_no_relation b
}

@test "a lock id above 2^32 blocks, and its holder is named" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_big_lock 9000000001 30
	local hpid
	hpid=$(lock_holder_pid 9000000001)
	run --separate-stderr env FLUX_MIGRATIONS_LOCK_ID=9000000001 "$FLUX_BIN" apply --lock-timeout 1s
	assert_status 8
	assert_contains "$stderr" "pid $hpid" "stderr"
	assert_contains "$stderr" "lock_holder_app" "stderr"
	assert_no_relation a
}

@test "status, validate and apply --dry-run take no lock" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_lock 3589 30
	run --separate-stderr flux status --lock-timeout 500ms
	assert_status 0
	run --separate-stderr flux validate --lock-timeout 500ms
	assert_status 0
	run --separate-stderr flux apply --dry-run --lock-timeout 500ms
	assert_status 0
	assert_eq "$output" "apply 20200101_001_a" "stdout"
}

@test "a no-transaction CREATE INDEX CONCURRENTLY completes while another flux waits for the lock" {
	write_migration 20200101_001_slow "create table big (id int); insert into big select generate_series(1, 1000); select pg_sleep(2);"
	printf -- '-- flux:no-transaction\ncreate index concurrently big_id on big (id);\n' \
		>migrations/20200101_002_cic.sql
	local pa pb ra=0 rb=0
	bg_flux -t 30 a apply
	pa=$BG_PID
	wait_for_flux_query '%pg_sleep(2)%'
	bg_flux -t 30 b apply
	pb=$BG_PID
	wait_for_text "$BATS_TEST_TMPDIR/b.err" "waiting for advisory lock"
	wait "$pa" || ra=$?
	wait "$pb" || rb=$?
	stderr="A: $(cat "$BATS_TEST_TMPDIR/a.err")
B: $(cat "$BATS_TEST_TMPDIR/b.err")"
	status=$ra
	assert_status 0 # 124 would be the 30 s timeout: a deadlock
	status=$rb
	assert_status 0
	assert_eq "$(psql_q "select i.indisvalid from pg_index i where i.indexrelid = 'big_id'::regclass")" t
	assert_eq "$(history_ids)" "20200101_001_slow
20200101_002_cic"
	assert_contains "$(cat "$BATS_TEST_TMPDIR/b.err")" "no pending migrations" "B's stderr"
}
