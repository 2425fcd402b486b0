#!/usr/bin/env bats
# PgBouncer in front of the tests' cluster (tests/cli/pgbouncer.sh). Transaction pooling makes the session advisory
# lock meaningless: apply and rollback refuse it with exit 7 before they take
# the lock or run anything, leave no lock behind, and status and validate
# still work through it. Session pooling works like a direct connection,
# also with six appliers at once.

load helper

setup_file() {
	flux_setup_file || return 1
}

teardown() {
	teardown_bg TERM
	. "$BATS_TEST_DIRNAME/pgbouncer.sh"
	pgb_stop
	if [ -n "${REP_DIR:-}" ]; then
		. "$BATS_TEST_DIRNAME/replica.sh"
		rep_destroy
	fi
}

# start_pgbouncer MODE [SERVER_PORT]: PgBouncer in MODE; POOLER_URL leads
# to the test database through it.
start_pgbouncer() {
	. "$BATS_TEST_DIRNAME/pgbouncer.sh"
	pgb_start "$@" || return 1
	POOLER_URL=$(pgb_url)
}

# Advisory locks held anywhere in the test database (none may be left).
advisory_locks() {
	psql_q "select count(*) from pg_locks where locktype = 'advisory'
		and database = (select oid from pg_database where datname = current_database())"
}

# 20 migrations that show a second run: a counter table without a key gets
# one row per migration run, types fail on a second create, and one
# no-transaction migration inserts outside any transaction.
write_counted_batch() {
	local i id
	write_migration 20200101_000_runs "create table runs (id text);"
	for i in $(seq 1 19); do
		id=$(printf '20200101_%03d' "$i")
		if [ "$i" = 10 ]; then
			write_migration "${id}_notx" "-- flux:no-transaction
insert into runs values ('$id');
insert into runs values ('$id-2');"
		else
			write_migration "${id}_t" "create type t_$i as enum ('a');
insert into runs values ('$id');"
		fi
	done
}

# run_six URL [ARGS...]: six `flux apply` at once through URL; waits for all
# and leaves their exit codes in SIX_CODES (sorted, one line each).
run_six() {
	local url=$1 i p codes=()
	shift
	local pids=()
	for i in 1 2 3 4 5 6; do
		bg_flux -t 60 "six$i" --database-url "$url" apply "$@"
		pids+=("$BG_PID")
	done
	for p in "${pids[@]}"; do
		wait "$p" && codes+=(0) || codes+=($?)
	done
	BG_PIDS=
	SIX_CODES=$(printf '%s\n' "${codes[@]}" | sort)
}

show_six() {
	local f
	for f in "$BATS_TEST_TMPDIR"/six*.err; do
		echo "--- $(basename "$f"):" >&2
		cat "$f" >&2
	done
}

@test "transaction pooling: apply is exit 7 before anything runs, naming the pooler; no lock left" {
	start_pgbouncer transaction
	write_counted_batch
	run --separate-stderr flux --database-url "$POOLER_URL" apply
	assert_status 7
	assert_contains "$stderr" "transaction-pooling pooler at 127.0.0.1:$PGB_PORT is in the way"
	assert_contains "$stderr" "connect to the database directly or through session pooling"
	assert_not_contains "$stderr" "$FLUX_TEST_PASSWORD"
	assert_no_history_table
	assert_no_relation runs
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
	# the lock is free: a direct apply does not wait for it
	run --separate-stderr flux apply --lock-timeout 2s
	assert_status 0
	assert_eq "$(psql_q 'select count(*) from runs')" 20
}

@test "transaction pooling: six applies at once all refuse, none runs anything, no lock left" {
	start_pgbouncer transaction
	write_counted_batch
	local round
	for round in 1 2 3; do
		run_six "$POOLER_URL"
		if [ "$SIX_CODES" != "$(printf '7\n%.0s' 1 2 3 4 5 6 | head -c -1)" ]; then
			echo "round $round: exit codes: $SIX_CODES" >&2
			show_six
			false
		fi
		grep -q "transaction-pooling pooler" "$BATS_TEST_TMPDIR/six1.err"
		assert_no_history_table
		assert_no_relation runs
		assert_eq "$(advisory_locks)" 0 "advisory locks left after round $round"
	done
}

@test "transaction pooling handing out server connections round robin: exit 7 too" {
	PGB_EXTRA="server_round_robin = 1" start_pgbouncer transaction
	# six server connections in the pool, so that the oldest idle one is
	# never the one flux just released
	local i
	for i in 1 2 3 4 5 6; do
		bg_cmd "warm$i" env PGPASSWORD="$FLUX_TEST_PGPASSWORD" psql -X -w -q -h 127.0.0.1 -p "$PGB_PORT" \
			-U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" -c "select pg_sleep(0.5)"
	done
	for i in $BG_PIDS; do
		wait "$i"
	done
	BG_PIDS=
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux --database-url "$POOLER_URL" apply
	assert_status 7
	assert_contains "$stderr" "transaction-pooling pooler"
	assert_no_relation a
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
}

@test "transaction pooling: rollback is exit 7 and undoes nothing; status, validate and --dry-run work" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	write_migration 20200101_002_b "create table b (id int);"
	run --separate-stderr flux apply 1
	assert_status 0
	start_pgbouncer transaction
	run --separate-stderr flux --database-url "$POOLER_URL" rollback --all -y
	assert_status 7
	assert_contains "$stderr" "transaction-pooling pooler"
	relation_exists a
	assert_eq "$(history_ids)" "20200101_001_a"
	run --separate-stderr flux --database-url "$POOLER_URL" status --exit-code
	assert_status 9
	assert_contains "$output" "20200101_001_a"
	assert_contains "$output" "applied"
	run --separate-stderr flux --database-url "$POOLER_URL" validate
	assert_status 0
	run --separate-stderr flux --database-url "$POOLER_URL" apply --dry-run
	assert_status 0
	assert_contains "$output" "apply 20200101_002_b"
	assert_no_relation b
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
}

@test "session pooling: six applies at once all exit 0, each migration runs once, no lock left" {
	start_pgbouncer session
	write_counted_batch
	run_six "$POOLER_URL"
	if [ "$SIX_CODES" != "$(printf '0\n%.0s' 1 2 3 4 5 6 | head -c -1)" ]; then
		echo "exit codes: $SIX_CODES" >&2
		show_six
		false
	fi
	assert_eq "$(history_count)" 20
	# 18 type migrations, the no-transaction one's two rows, each once
	assert_eq "$(psql_q 'select count(*), count(distinct id) from runs')" "20|20" "runs"
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
	# and rollback works through it too
	write_undo 20200101_019_t "drop type t_19; delete from runs where id = '20200101_019';"
	run --separate-stderr flux --database-url "$POOLER_URL" rollback 1 -y
	assert_status 0
	assert_eq "$(history_count)" 19
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
}

@test "session pooling without a session reset: a lock left on the server connection is exit 7, not inherited" {
	PGB_EXTRA="server_reset_query =
default_pool_size = 2" start_pgbouncer session
	write_migration 20200101_001_a "create table a (id int);"
	# a client of the pooler takes the lock and leaves without releasing it:
	# without server_reset_query the server connection keeps it
	PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -q -h 127.0.0.1 -p "$PGB_PORT" \
		-U "$FLUX_TEST_PGUSER" -d "$FLUX_TEST_DB" -c "select pg_advisory_lock(3589)" >/dev/null
	assert_eq "$(advisory_locks)" 1 "the leftover lock"
	run --separate-stderr flux --database-url "$POOLER_URL" apply --lock-timeout 2s
	assert_status 7
	assert_contains "$stderr" "advisory lock 3589 is already held by the pooler's server connection"
	assert_no_relation a
	assert_no_history_table
}

@test "session pooling with no spare server connection for the check: exit 6 after 10 s, not a hang" {
	PGB_EXTRA="default_pool_size = 1" start_pgbouncer session
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr timeout 60 "$FLUX_BIN" --database-url "$POOLER_URL" apply
	assert_status 6
	assert_contains "$stderr" "the pooler at 127.0.0.1:$PGB_PORT"
	assert_contains "$stderr" "no free server connection"
	assert_no_relation a
	assert_no_history_table
	assert_eq "$(advisory_locks)" 0 "advisory locks left"
}

# Behind a pooler whose server is down, PQping says
# the pooler is up; the failed logins are retried until the wait timeout
# (exit 6), not taken as a refusal. The server is an independent copy of the
# tests' cluster (pg_basebackup, tests/cli/replica.sh), so the shared one
# keeps running. server_login_retry 1: PgBouncer tries a server it could not
# reach again after 1 s instead of 15.
start_pooler_with_server_down() {
	. "$BATS_TEST_DIRNAME/replica.sh"
	rep_clone copy || return 1
	PGB_EXTRA="server_login_retry = 1" start_pgbouncer session "$REP_PORT"
}

@test "pooler up, its server down: --wait-timeout 3s is exit 6 within the timeout + 2 s" {
	start_pooler_with_server_down
	write_migration 20200101_001_a "create table a (id int);"
	local t0 dt
	t0=$(now_ms)
	run --separate-stderr timeout 60 "$FLUX_BIN" --database-url "$POOLER_URL" --wait-timeout 3s apply
	dt=$(($(now_ms) - t0))
	assert_status 6
	assert_contains "$stderr" "127.0.0.1:$PGB_PORT"
	assert_not_contains "$stderr" "$FLUX_TEST_PASSWORD"
	[ "$dt" -lt 5500 ] || { echo "took $dt ms" >&2; false; }
}

@test "pooler up, its server down: the server starting during the wait is found, and flux applies" {
	start_pooler_with_server_down
	write_migration 20200101_001_a "create table a (id int);"
	bg_flux -t 90 waiting --database-url "$POOLER_URL" --wait-timeout 60s apply
	local pid=$BG_PID rc=0
	sleep 2
	kill -0 "$pid" || { cat "$BATS_TEST_TMPDIR/waiting.err" >&2; false; }
	rep_start
	wait "$pid" || rc=$?
	BG_PIDS=
	[ "$rc" = 0 ] || { echo "exit $rc" >&2; cat "$BATS_TEST_TMPDIR/waiting.err" >&2; false; }
	assert_eq "$(rep_q 'select id from _flux_migrations')" 20200101_001_a
}
