#!/usr/bin/env bats
# Dead connections (docs/OPERATIONS.md "Dead connections"): a
# partition mid-migration is noticed by flux within its documented bound
# (keepalives and tcp_user_timeout, at most 30 s) and is exit 6 naming the
# lost connection; the server ends the orphaned backend and frees the
# advisory lock within about a minute, by the settings flux's session
# makes; the user's own connection parameters and settings win over
# flux's defaults. Packets are really dropped (netfault_helper.bash).

load helper
load netfault_helper

teardown() {
	nf_undrop_all
	teardown_bg KILL
}

two_migrations_slow_second() {
	write_migration 20200101_001_first "create table first_t (id int);"
	write_migration 20200101_002_slow "create table slow_t (id int); select pg_sleep(15);"
}

# partition_slow_migration: once the background flux runs the slow
# migration, drop its packets both ways and wait for it to exit. Sets
# bpid (its server backend), t0 (when the drop began), dt (how long flux
# took to notice), status and stderr.
partition_slow_migration() {
	local cport rc=0
	wait_for_flux_query '%pg_sleep(15)%'
	read -r bpid cport <<<"$(nf_flux_session '%pg_sleep(15)%')"
	[ -n "$cport" ]
	nf_drop_port "$cport"
	t0=$(now_ms)
	wait "$BG_PID" || rc=$?
	dt=$(($(now_ms) - t0))
	status=$rc
	stderr=$(cat "$BATS_TEST_TMPDIR/flux.err")
}

@test "partition mid-migration: exit 6 within the dead-connection bound, the server frees the lock within about a minute" {
	nf_require
	two_migrations_slow_second
	bg_flux -t 150 flux apply
	local bpid t0 dt
	partition_slow_migration
	assert_status 6
	assert_contains "$stderr" "lost the connection" "stderr"
	# documented: at most 30 s; asserted generously
	[ "$dt" -lt 60000 ] || { echo "flux noticed the partition after $dt ms" >&2; false; }
	# the server side, with packets still dropped: its own timeouts end
	# the backend, and the lock goes with it
	nf_wait_backend_gone "$bpid" 90
	nf_lock_free
	[ $(($(now_ms) - t0)) -lt 90000 ]
	# The two went in one round trip: the server ran what it had been sent,
	# so the slow one may have committed too, but never without its row.
	case $(history_ids | tr '\n' ' ') in
	"20200101_001_first ") assert_no_relation slow_t ;;
	"20200101_001_first 20200101_002_slow ") relation_exists slow_t ;;
	*) echo "history: $(history_ids)" >&2; false ;;
	esac
	# once the network is back, a rerun completes
	nf_undrop_all
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 2
	relation_exists slow_t
}

@test "partition: the URL's own keepalive and tcp_user_timeout parameters win over flux's defaults" {
	nf_require
	two_migrations_slow_second
	bg_flux -t 60 flux apply --database-url \
		"$(db_url)?keepalives_idle=1&keepalives_interval=1&keepalives_count=2&tcp_user_timeout=2000"
	local bpid t0 dt
	partition_slow_migration
	assert_status 6
	assert_contains "$stderr" "lost the connection" "stderr"
	# about 2 s with these; flux's defaults would take about 25 s
	[ "$dt" -lt 15000 ] || { echo "flux noticed the partition after $dt ms" >&2; false; }
}

# What the session that runs migrations has set, as "name=value" lines.
PROBE_SQL="create table probe as select name, setting from pg_settings
where name in ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count',
'tcp_user_timeout', 'idle_in_transaction_session_timeout');"
FLUX_SETTINGS="idle_in_transaction_session_timeout=60000 tcp_keepalives_count=3 tcp_keepalives_idle=10 tcp_keepalives_interval=5 tcp_user_timeout=25000"
probe_migration() {
	write_migration 20200101_001_probe "$PROBE_SQL"
}
# apply_probe: apply (exit 0); the probe holds flux's settings.
apply_probe() {
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(probe_settings)" "$FLUX_SETTINGS"
}
# history_table_first: an apply of nothing, which creates the history table.
history_table_first() {
	mkdir -p migrations
	run --separate-stderr flux apply
	assert_status 0
}
probe_settings() {
	psql_q "select string_agg(name || '=' || setting, ' ' order by name) from probe"
}

@test "the session sets what ends an orphaned backend: keepalives, tcp_user_timeout, idle-in-transaction timeout" {
	probe_migration
	apply_probe
}

# The settings go with the history table's creation on a first run (the
# test above), else in a round trip of their own before the first thing
# the session runs: here the history table exists already (an apply of
# nothing made it).
@test "the settings come before the first migration of a later run: in a chunk, and alone without a transaction" {
	history_table_first
	probe_migration
	apply_probe
	psql_q "drop table probe"
	printf -- '-- flux:no-transaction\n%s\n' "$PROBE_SQL" >migrations/20200101_002_probe.sql
	apply_probe
}

# They commit on their own, so a first migration that fails (rolled back)
# does not take them with it: the post-apply that runs after the failure
# still has them.
@test "the settings outlive a first migration that fails" {
	history_table_first
	write_migration 20200101_001_bad "select 1/0;"
	write_post probe "$PROBE_SQL"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(probe_settings)" "$FLUX_SETTINGS"
}

# While flux asks on a terminal whether to undo, it holds the lock: the
# server must already know to end the session should flux vanish. Its
# socket's keepalive timer (ss) runs in seconds (tcp_keepalives_idle=10),
# not in the kernel's two hours.
@test "asking on a terminal with the lock held: the server's keepalive is already flux's" {
	command -v script >/dev/null || skip "script(1) not installed"
	local cport timer
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	run --separate-stderr flux apply
	assert_status 0
	bg_cmd ask bash -c "(sleep 4; echo n) | script -qec \"\$1 rollback 1\" /dev/null" _ \
		"$(printf '%q' "$FLUX_BIN")"
	for _ in $(seq 1 40); do
		cport=$(psql_q "select a.client_port from pg_stat_activity a join pg_locks l on l.pid = a.pid
			where a.application_name = 'flux' and l.locktype = 'advisory' and l.granted limit 1")
		[ -n "$cport" ] && break
		sleep 0.1
	done
	[ -n "$cport" ] || { echo "flux never held the lock" >&2; false; }
	sleep 0.5
	timer=$(ss -tnoH state established "( sport = :$FLUX_TEST_PGPORT and dport = :$cport )")
	echo "server socket: $timer" >&2
	assert_match "$timer" "timer:\(keepalive,[0-9.]+(ms|sec)," "server socket"
	wait "$BG_PID" || true
	# shellcheck disable=SC2034 # read by teardown_bg in helper.bash
	BG_PIDS=
	assert_eq "$(history_count)" 1
}

@test "the session keeps what the user set: PGOPTIONS, the URL's options, the database's settings" {
	probe_migration
	psql_q "alter database $FLUX_TEST_DB set tcp_keepalives_count = 7" postgres
	run --separate-stderr env PGOPTIONS="-c idle_in_transaction_session_timeout=300000" \
		"$FLUX_BIN" apply --database-url "$(db_url)?options=-c%20tcp_keepalives_idle%3D77" </dev/null
	local rc=$status
	psql_q "alter database $FLUX_TEST_DB reset tcp_keepalives_count" postgres
	status=$rc
	assert_status 0
	# PGOPTIONS is libpq's fallback for options: the URL's wins over it
	assert_eq "$(probe_settings)" \
		"idle_in_transaction_session_timeout=60000 tcp_keepalives_count=7 tcp_keepalives_idle=77 tcp_keepalives_interval=5 tcp_user_timeout=25000"
	psql_q "drop table probe; truncate _flux_migrations"
	run --separate-stderr env PGOPTIONS="-c idle_in_transaction_session_timeout=300000" \
		"$FLUX_BIN" apply </dev/null
	assert_status 0
	assert_eq "$(probe_settings)" \
		"idle_in_transaction_session_timeout=300000 tcp_keepalives_count=3 tcp_keepalives_idle=10 tcp_keepalives_interval=5 tcp_user_timeout=25000"
}
