#!/usr/bin/env bats
# Durability of an apply batch. Migrations commit with synchronous_commit
# off and the batch ends with one synchronous commit (src/db_postgres.c,
# flush_commits): once flux exits 0, a server crash loses nothing. This
# file runs its own cluster with PostgreSQL's durable defaults (fsync and
# synchronous_commit on), since the shared one runs without them and the
# test crashes the server.

load helper
. "$BATS_TEST_DIRNAME/pgcluster.sh"

setup_file() {
	unset FLUX_TEST_PGPORT FLUX_TEST_PGDIR
	export FLUX_TEST_PGDURABLE=1
	flux_setup_file
}

# Stop the server as a crash would (no shutdown checkpoint, WAL buffers
# lost), then start it again with the same options (pgcluster.sh).
crash_restart() {
	pgc_crash_restart
}

# emit_message_execute grant|revoke to|from: EXECUTE on every
# pg_logical_emit_message for PUBLIC.
emit_message_execute() {
	psql_q "do \$\$ declare f regprocedure; begin
		for f in select oid::regprocedure from pg_proc where proname = 'pg_logical_emit_message' loop
			execute format('$1 execute on function %s $2 public', f);
		end loop; end \$\$" >/dev/null
}

write_batch() {
	local i
	for i in $(seq -w 1 "$1"); do
		write_migration "${i}_t" "create table t_$i (n int); insert into t_$i values ($i);"
		write_undo "${i}_t" "drop table t_$i;"
	done
}

@test "durability: a batch survives an immediate server stop right after flux exits 0" {
	[ "$(psql_q "show synchronous_commit")" = on ]
	write_batch 400
	run flux apply
	[ "$status" -eq 0 ]
	crash_restart
	run psql_q 'select count(*) from _flux_migrations'; echo "count=$output"; [ "$output" -eq 400 ]
	[ "$(psql_q "select count(*) from pg_tables where schemaname = 'public' and tablename like 't\_%'")" -eq 400 ]
	[ "$(psql_q 'select n from t_400')" -eq 400 ]
	run flux apply
	[ "$status" -eq 0 ]
	[[ $output == *"no pending migrations (400 applied)"* ]]
}

@test "durability: a rollback batch survives an immediate server stop too" {
	# Undos that drop no relation: dropping one makes PostgreSQL flush the
	# commit at once whatever synchronous_commit says.
	write_migration 000_log "create table undone (n int);"
	write_batch 50
	for f in migrations/*_t.undo.sql; do
		printf 'insert into undone values (%d);\n' "$((10#$(basename "$f" _t.undo.sql)))" >"$f"
	done
	run flux apply
	[ "$status" -eq 0 ]
	run flux rollback 30 --auto-approve
	[ "$status" -eq 0 ]
	crash_restart
	run psql_q 'select count(*) from _flux_migrations'
	echo "history rows: $output"
	[ "$output" -eq 21 ]
	[ "$(psql_q 'select count(*) from undone')" -eq 30 ]
	[ "$(psql_q 'select min(n) from undone')" -eq 21 ]
}

@test "durability: migrations run with synchronous_commit off; the session keeps its own level" {
	write_migration 001_seen "create table seen as select current_setting('synchronous_commit') as v;"
	run flux apply
	[ "$status" -eq 0 ]
	[ "$(psql_q 'select v from seen')" = off ]
	[ "$(psql_q "show synchronous_commit")" = on ]
}

@test "durability: a server that refuses the flush function gets a warning, exit 0, nothing lost" {
	# Every signature: PostgreSQL 17 added a flush argument.
	emit_message_execute revoke from
	psql_q "do \$\$ begin create role flux_noflush login password 'noflush_pw_1';
		exception when duplicate_object then null; end \$\$;
		grant create on database $FLUX_TEST_DB to flux_noflush;
		grant all on schema public to flux_noflush" >/dev/null
	write_batch 20
	run --separate-stderr flux apply \
		--database-url "postgresql://flux_noflush:noflush_pw_1@127.0.0.1:$FLUX_TEST_PGPORT/$FLUX_TEST_DB"
	emit_message_execute grant to
	assert_status 0
	assert_contains "$stderr" "cannot make the applied migrations durable at once" "stderr"
	assert_contains "$stderr" "permission denied" "stderr"
	assert_eq "$(psql_q 'select count(*) from _flux_migrations')" 20
}
