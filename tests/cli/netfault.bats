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
probe_migration() {
	write_migration 20200101_001_probe "create table probe as select name, setting from pg_settings
where name in ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count',
'tcp_user_timeout', 'idle_in_transaction_session_timeout');"
}
probe_settings() {
	psql_q "select string_agg(name || '=' || setting, ' ' order by name) from probe"
}

@test "the session sets what ends an orphaned backend: keepalives, tcp_user_timeout, idle-in-transaction timeout" {
	probe_migration
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(probe_settings)" \
		"idle_in_transaction_session_timeout=60000 tcp_keepalives_count=3 tcp_keepalives_idle=10 tcp_keepalives_interval=5 tcp_user_timeout=25000"
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
