#!/usr/bin/env bats
# Signals (SPEC §5 "PID 1"): SIGTERM/SIGINT cancel the
# running statement, roll back, release the lock, exit 143/130 within 2 s;
# a second signal exits at once.

load helper
load netfault_helper

# SIGKILL: a flux that a test left running may ignore its first SIGTERM
# (it cancels and waits) or swallow the cancel; teardown must not wait.
# Dropped packets flow again first (teardown_bg continues a stopped backend).
teardown() {
	nf_undrop_all
	teardown_bg KILL
}

# Every test runs one background flux: bg_flux flux ..., so its output is
# in $BATS_TEST_TMPDIR/flux.out and flux.err.

# signal_and_wait SIG PID: send SIG, wait; sets status, stderr, ELAPSED_MS.
signal_and_wait() {
	local t0 rc=0
	t0=$(now_ms)
	kill -"$1" "$2"
	wait "$2" || rc=$?
	ELAPSED_MS=$(($(now_ms) - t0))
	status=$rc
	stderr=$(cat "$BATS_TEST_TMPDIR/flux.err")
	output=$(cat "$BATS_TEST_TMPDIR/flux.out")
}

# The lock is free and no flux session is left (polls up to 2 s).
assert_lock_free_and_no_flux_session() {
	local n
	for _ in $(seq 1 40); do
		n=$(psql_q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'flux'")
		[ "$n" = 0 ] && break
		sleep 0.05
	done
	assert_eq "$n" 0 "flux sessions left"
	assert_eq "$(psql_q "select pg_try_advisory_lock(3589)")" t "pg_try_advisory_lock(3589)"
}

three_migrations_slow_middle() {
	write_migration 20200101_001_first "create table first_t (id int);"
	write_migration 20200101_002_victim "create table victim (id int); insert into victim values (1); select pg_sleep(30);"
	write_migration 20200101_003_third "create table third_t (id int);"
}

@test "SIGTERM during a migration: exit 143 within 2 s, rolled back, nothing recorded, lock free" {
	three_migrations_slow_middle
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(30)%'
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 2500 ] || { echo "exited $ELAPSED_MS ms after SIGTERM" >&2; false; }
	# the earlier migration of the batch stays; the cancelled one left nothing
	assert_eq "$(history_ids)" "20200101_001_first"
	relation_exists first_t
	assert_no_relation victim
	assert_no_relation third_t
	assert_lock_free_and_no_flux_session
	# a rerun continues where it stopped
	write_migration 20200101_002_victim "create table victim (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 3
}

@test "SIGINT during a migration: exit 130, rolled back, lock free" {
	three_migrations_slow_middle
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(30)%'
	signal_and_wait INT "$BG_PID"
	assert_status 130
	[ "$ELAPSED_MS" -lt 2500 ] || { echo "exited $ELAPSED_MS ms after SIGINT" >&2; false; }
	assert_eq "$(history_ids)" "20200101_001_first"
	assert_no_relation victim
	assert_lock_free_and_no_flux_session
}

@test "SIGTERM during a rollback: exit 143, the undo is rolled back, migration stays applied" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a; select pg_sleep(30);"
	run --separate-stderr flux apply
	assert_status 0
	bg_flux flux rollback --all -y
	wait_for_flux_query '%pg_sleep(30)%'
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 2500 ]
	assert_eq "$(history_ids)" "20200101_001_a"
	relation_exists a
	assert_lock_free_and_no_flux_session
}

@test "SIGTERM while waiting for the lock: exit 143 at once, nothing created" {
	write_migration 20200101_001_a "create table a (id int);"
	hold_lock 3589 30
	bg_flux flux apply
	wait_for_text "$BATS_TEST_TMPDIR/flux.err" "waiting for advisory lock"
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 2000 ] || { echo "exited $ELAPSED_MS ms after SIGTERM" >&2; false; }
	assert_no_relation a
	assert_no_history_table
}

@test "SIGTERM while waiting for the database: exit 143 at once" {
	local port
	port=$(free_port)
	bg_flux flux wait --wait-timeout 30s --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	sleep 0.5
	kill -0 "$BG_PID"
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 2000 ] || { echo "exited $ELAPSED_MS ms after SIGTERM" >&2; false; }
}

@test "a second signal exits at once when the cancel is not taking effect" {
	# The migration swallows the first cancel (query_canceled is caught),
	# so only the second signal (or, 1.5 s after the first, the deadline)
	# can end flux.
	write_migration 20200101_001_stubborn "create table stubborn (id int);
do \$\$ begin
	for i in 1..30 loop
		begin perform pg_sleep(1); exception when query_canceled then null; end;
	end loop;
end \$\$;"
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(1)%'
	kill -TERM "$BG_PID"
	sleep 0.3
	kill -0 "$BG_PID" || { echo "flux exited on the first signal although the cancel was swallowed: test setup broken" >&2; false; }
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 1000 ] || { echo "exited $ELAPSED_MS ms after the second SIGTERM" >&2; false; }
	# the server side is still running the migration: end it, then check
	psql_q "select pg_terminate_backend(pid) from pg_stat_activity
		where datname = current_database() and application_name = 'flux'" >/dev/null
	sleep 0.3
	assert_eq "$(history_count)" 0
	assert_no_relation stubborn
}

@test "as PID 1 of a PID namespace, SIGTERM still cancels and exits 143" {
	unshare --pid --fork --kill-child true 2>/dev/null || skip "cannot create a PID namespace here"
	three_migrations_slow_middle
	bg_cmd flux unshare --pid --fork --kill-child "$FLUX_BIN" apply
	local upid=$BG_PID fpid
	wait_for_flux_query '%pg_sleep(30)%'
	for _ in $(seq 1 40); do
		fpid=$(pgrep -P "$upid" | head -1) && [ -n "$fpid" ] && break
		sleep 0.05
	done
	[ -n "$fpid" ]
	# the kernel drops signals to a namespace's init that has no handler
	local t0 rc=0
	t0=$(now_ms)
	kill -TERM "$fpid"
	wait "$upid" || rc=$?
	status=$rc
	# shellcheck disable=SC2034 # read by assert_* in helper.bash
	stderr=$(cat "$BATS_TEST_TMPDIR/flux.err")
	assert_status 143
	[ $(($(now_ms) - t0)) -lt 2500 ]
	assert_eq "$(history_ids)" "20200101_001_first"
	assert_no_relation victim
	assert_lock_free_and_no_flux_session
}

# The flux session's "pid port", once it runs the slow middle migration.
slow_flux_session() {
	wait_for_flux_query '%pg_sleep(30)%'
	nf_flux_session '%pg_sleep(30)%'
}

# After the run: the batch's first migration only, the lock free and no
# flux session left once the server has caught up (polls up to SECS).
assert_nothing_recorded_beyond_first() {
	local _
	for _ in $(seq 1 $(($1 * 4))); do
		[ "$(psql_q "select count(*) from pg_stat_activity where datname = current_database() and application_name = 'flux'")" = 0 ] && break
		sleep 0.25
	done
	assert_eq "$(history_ids)" "20200101_001_first"
	relation_exists first_t
	assert_no_relation victim
	assert_no_relation third_t
	assert_lock_free_and_no_flux_session
}

@test "SIGTERM while flux's backend is stopped (SIGSTOP): exit 143 within 2 s; after SIGCONT nothing is recorded" {
	three_migrations_slow_middle
	bg_flux flux apply
	local bpid cport
	read -r bpid cport <<<"$(slow_flux_session)"
	[ -n "$bpid" ]
	# The backend serving flux is frozen; the postmaster still takes the
	# cancel request, which the frozen backend cannot act on.
	kill -STOP "$bpid"
	STOPPED_PID=$bpid
	signal_and_wait TERM "$BG_PID"
	assert_status 143
	[ "$ELAPSED_MS" -lt 2500 ] || { echo "exited $ELAPSED_MS ms after SIGTERM" >&2; false; }
	kill -CONT "$bpid"
	STOPPED_PID=
	assert_nothing_recorded_beyond_first 20
}

@test "SIGINT while packets to and from flux are dropped: exit 130 within 2 s; nothing recorded once the network is back" {
	nf_require
	three_migrations_slow_middle
	bg_flux flux apply
	local bpid cport
	read -r bpid cport <<<"$(slow_flux_session)"
	[ -n "$cport" ]
	nf_drop_port "$cport"
	signal_and_wait INT "$BG_PID"
	assert_status 130
	[ "$ELAPSED_MS" -lt 2500 ] || { echo "exited $ELAPSED_MS ms after SIGINT" >&2; false; }
	nf_undrop_all
	assert_nothing_recorded_beyond_first 30
}

@test "SIGTERM while packets are dropped and the backend is stopped: exit 143 within 2 s, a second signal at once" {
	nf_require
	three_migrations_slow_middle
	bg_flux flux apply
	local bpid cport t0 rc=0
	read -r bpid cport <<<"$(slow_flux_session)"
	nf_drop_port "$cport"
	kill -STOP "$bpid"
	STOPPED_PID=$bpid
	t0=$(now_ms)
	kill -TERM "$BG_PID"
	sleep 0.2
	kill -TERM "$BG_PID"
	wait "$BG_PID" || rc=$?
	status=$rc
	# shellcheck disable=SC2034 # assert_status shows it on a failure
	stderr=$(cat "$BATS_TEST_TMPDIR/flux.err")
	assert_status 143
	[ $(($(now_ms) - t0)) -lt 1000 ] || { echo "exited $(($(now_ms) - t0)) ms after the first SIGTERM" >&2; false; }
	kill -CONT "$bpid"
	# shellcheck disable=SC2034 # read by teardown_bg in helper.bash
	STOPPED_PID=
	nf_undrop_all
	assert_nothing_recorded_beyond_first 30
}
