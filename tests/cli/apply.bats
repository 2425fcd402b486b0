#!/usr/bin/env bats
# flux apply [N] [--dry-run]

load helper

teardown() {
	release_lock
}

two_migrations() {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
}

@test "apply: applies every pending migration and logs each one" {
	two_migrations
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a
20200101_002_b"
	relation_exists a
	relation_exists b
	assert_match "$stderr" "applied 20200101_001_a in [0-9]+ ms" "stderr"
	assert_match "$stderr" "applied 20200101_002_b in [0-9]+ ms" "stderr"
	assert_match "$stderr" "applied 2 migrations" "stderr"
}

@test "apply: second run has nothing to do" {
	two_migrations
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" "no pending migrations" "stderr"
	assert_eq "$(history_count)" 2
}

@test "apply: a no-op apply writes nothing (it passes in a read-only session)" {
	two_migrations
	run --separate-stderr flux apply
	assert_status 0
	# Every transaction of the session is read-only: any write, even a
	# CREATE ... IF NOT EXISTS that finds its object, fails with 25006.
	PGOPTIONS="-c default_transaction_read_only=on" run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" "no pending migrations (2 applied)" "stderr"
	# The same session with something to apply is refused: the check bites.
	write_migration 20200101_003_c "create table c (id int);"
	PGOPTIONS="-c default_transaction_read_only=on" run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "25006" "stderr"
	assert_eq "$(history_count)" 2
}

@test "apply N applies only the next N" {
	two_migrations
	write_migration 20200101_003_c "create table c (id int);"
	run --separate-stderr flux apply 1
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	run --separate-stderr flux apply 1
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a
20200101_002_b"
	run --separate-stderr flux apply 10
	assert_status 0
	assert_eq "$(history_count)" 3
}

@test "apply: history table has the flux-migrations format" {
	write_migration 20200101_001_desc "alter table simple_table add column description text;"
	write_pre 20200101_000_t "create table if not exists simple_table (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "20200101_001_desc|1ddd0147bd77f7dd8d9c064584a2559d"
	assert_eq "$(psql_q "select count(*) from _flux_migrations where applied_at is null")" 0
	assert_eq "$(table_columns _flux_migrations)" \
		"id:text,hash:text,applied_at:timestamp without time zone"
	assert_eq "$(psql_q "select a.attname from pg_index i join pg_attribute a
		on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
		where i.indrelid = '_flux_migrations'::regclass and i.indisprimary")" id
}

@test "apply --dry-run prints the plan and changes nothing" {
	two_migrations
	write_post 20200101_001_p "create table post_ran (id int);"
	run --separate-stderr flux apply --dry-run
	assert_status 0
	assert_contains "$output" "20200101_001_a" "stdout"
	assert_contains "$output" "20200101_002_b" "stdout"
	assert_no_history_table
	run relation_exists a
	[ "$status" -ne 0 ]
	run relation_exists post_ran
	[ "$status" -ne 0 ]
}

@test "apply 1 --dry-run lists only the next one" {
	two_migrations
	run --separate-stderr flux apply 1 --dry-run
	assert_status 0
	assert_contains "$output" "20200101_001_a" "stdout"
	assert_not_contains "$output" "20200101_002_b" "stdout"
	assert_no_history_table
}

@test "a failing migration: exit 1, earlier ones stay, it is rolled back, post-apply ran" {
	write_migration 20200101_001_ok "create table ok1 (id int);"
	printf 'create table half (id int);\n\nselect * from no_such_table;\n' \
		>migrations/20200101_002_bad.sql
	write_migration 20200101_003_later "create table later (id int);"
	write_post 20200101_001_post "create table if not exists post_ran (id int);"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids)" "20200101_001_ok"
	relation_exists ok1
	run relation_exists half
	[ "$status" -ne 0 ]
	run relation_exists later
	[ "$status" -ne 0 ]
	relation_exists post_ran
	assert_contains "$stderr" "migrations/20200101_002_bad.sql" "stderr"
	assert_contains "$stderr" 'relation "no_such_table" does not exist' "stderr"
	assert_contains "$stderr" "42P01" "stderr (SQLSTATE)"
}

@test "a failing migration names the line of the error in the file" {
	printf 'create table t1 (id int);\n\nselect * from no_such_table;\n' \
		>migrations/20200101_001_bad.sql
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "20200101_001_bad.sql:3" "stderr (file:line)"
}

@test "pre-apply and post-apply run in order around the batch, every time" {
	write_pre 20200101_001_pre "create table if not exists log (n serial, what text); insert into log (what) values ('pre');"
	write_migration 20200101_001_m "insert into log (what) values ('m');"
	write_post 20200101_001_post "insert into log (what) values ('post');"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q "select string_agg(what, ',' order by n) from log")" "pre,m,post"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q "select string_agg(what, ',' order by n) from log")" "pre,m,post,pre,post"
}

@test "an empty or comment-only migration is applied and recorded" {
	: >migrations/20200101_001_empty.sql
	printf -- '-- nothing here\n' >migrations/20200101_002_comment.sql
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "20200101_001_empty|d41d8cd98f00b204e9800998ecf8427e
20200101_002_comment|$(md5_file migrations/20200101_002_comment.sql)"
}

@test "hash: CRLF counts as LF, a BOM is kept in the hash and the file still runs" {
	printf 'alter table simple_table add column description text;\r\n' \
		>migrations/20200101_002_crlf.sql
	printf '\xef\xbb\xbfcreate table bom_t (id int);\n' >migrations/20200101_003_bom.sql
	write_pre 20200101_000_t "create table if not exists simple_table (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "20200101_002_crlf|1ddd0147bd77f7dd8d9c064584a2559d
20200101_003_bom|$(md5_file migrations/20200101_003_bom.sql)"
	relation_exists bom_t
}

@test "migrations run in byte order of their id" {
	write_migration "B_2" "create table if not exists ord (n serial, id text); insert into ord (id) values ('B_2');"
	write_migration "a_1" "insert into ord (id) values ('a_1');"
	write_migration "A_1" "create table ord (n serial, id text); insert into ord (id) values ('A_1');"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q "select string_agg(id, ',' order by n) from ord")" "A_1,B_2,a_1"
}

@test "an undo file without its up migration is ignored with a warning" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_002_orphan "drop table nothing;"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	assert_contains "$stderr" "20200101_002_orphan" "stderr"
}

@test "other files and sub-folders are ignored" {
	write_migration 20200101_001_a "create table a (id int);"
	echo "notes" >migrations/README.md
	mkdir -p migrations/archive
	write_migration 20190101_001_old "syntax error here" migrations/archive
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
}

@test "server NOTICEs raised by a migration are logged" {
	write_migration 20200101_001_n "do \$\$ begin raise notice 'hello from the migration'; end \$\$;"
	run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" "hello from the migration" "stderr"
}

@test "-- flux:no-transaction runs statements outside a transaction" {
	write_migration 20200101_001_t "create table big (id int);"
	printf -- '-- flux:no-transaction\ncreate index concurrently big_id on big (id);\nalter type mood add value if not exists %s;\n' \
		"'meh'" >migrations/20200101_003_idx.sql
	write_migration 20200101_002_type "create type mood as enum ('ok');"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 3
	relation_exists big_id
	assert_eq "$(psql_q "select string_agg(enumlabel, ',' order by enumsortorder) from pg_enum where enumtypid = 'mood'::regtype")" "ok,meh"
}

@test "-- flux:no-transaction failure: not recorded, message says what already ran" {
	printf -- '-- flux:no-transaction\ncreate table nt1 (id int);\nselect * from no_such_table;\n' \
		>migrations/20200101_001_nt.sql
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_count)" 0
	relation_exists nt1
	assert_contains "$stderr" "20200101_001_nt" "stderr"
}

@test "apply --log-format json: one JSON object per stderr line" {
	two_migrations
	run --separate-stderr flux apply --log-format json
	assert_status 0
	printf '%s\n' "$stderr" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    if not line.strip():
        continue
    o = json.loads(line)
    for k in ("ts", "level", "event", "msg"):
        assert k in o, (k, line)
    n += 1
assert n >= 1
'
	assert_contains "$stderr" '"20200101_001_a"' "stderr"
}

@test "a held advisory lock: --lock-timeout 1s gives exit 8, nothing applied" {
	two_migrations
	hold_lock 3589 30
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr flux apply --lock-timeout 1s
	t1=$(now_ms)
	assert_status 8
	assert_no_history_table || assert_eq "$(history_count)" 0
	[ $((t1 - t0)) -lt 10000 ]
}

@test "apply waits for the lock and proceeds once it is released" {
	two_migrations
	hold_lock 3589 1
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 2
}

@test "FLUX_MIGRATIONS_LOCK_ID selects another lock" {
	two_migrations
	hold_lock 3589 30
	run --separate-stderr env FLUX_MIGRATIONS_LOCK_ID=42 "$FLUX_BIN" apply --lock-timeout 2s
	assert_status 0
	assert_eq "$(history_count)" 2
}

@test "16 concurrent applies: all exit 0, each migration applied exactly once" {
	write_pre 20200101_000_pre "create table if not exists runs (id text);"
	local i
	for i in $(seq -w 1 20); do
		write_migration "20200101_0${i}_m" "insert into runs values ('m$i'); select pg_sleep(0.01);"
	done
	local pids=() rc fails=0
	for i in $(seq 1 16); do
		"$FLUX_BIN" apply </dev/null >"$BATS_TEST_TMPDIR/out.$i" 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "process $i exited $rc:" >&2
			cat "$BATS_TEST_TMPDIR/out.$((i + 1))" >&2
			fails=$((fails + 1))
		fi
	done
	[ "$fails" -eq 0 ]
	assert_eq "$(history_count)" 20
	assert_eq "$(psql_q "select count(*), count(distinct id) from runs")" "20|20"
}

@test "SIGTERM during a migration: exit 143, rolled back, lock released" {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_slow "create table slow (id int); select pg_sleep(30);"
	"$FLUX_BIN" apply </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
	local pid=$! i rc=0
	for i in $(seq 1 100); do
		[ "$(psql_q "select count(*) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")" -ge 1 ] && break
		sleep 0.05
	done
	local t0 t1
	t0=$(now_ms)
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	t1=$(now_ms)
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 143 ]
	[ $((t1 - t0)) -lt 3000 ]
	assert_eq "$(history_ids)" "20200101_001_a"
	run relation_exists slow
	[ "$status" -ne 0 ]
	assert_eq "$(psql_q "select count(*) from pg_locks where locktype = 'advisory' and objid = 3589")" 0
	# a rerun continues
	write_migration 20200101_002_slow "create table slow (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 2
}

@test "apply: a role that owns only its schema (no CREATE on the database) creates the history table there" {
	psql_q "do \$\$ begin create role flux_schema_owner login password 'owner_pw_1';
		exception when duplicate_object then null; end \$\$;
		create schema app authorization flux_schema_owner" >/dev/null
	write_migration 001_t "create table app.t (id int);"
	FLUX_MIGRATIONS_SCHEMA=app run --separate-stderr flux apply \
		--database-url "postgresql://flux_schema_owner:owner_pw_1@127.0.0.1:$FLUX_TEST_PGPORT/$FLUX_TEST_DB"
	assert_status 0
	assert_eq "$(psql_q 'select id from app._flux_migrations')" 001_t
	[ "$(psql_q "select has_database_privilege('flux_schema_owner', current_database(), 'CREATE')")" = f ]
}
