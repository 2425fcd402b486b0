#!/usr/bin/env bats
# `-- flux:no-transaction` migrations (SPEC §1): run
# statement by statement outside a transaction, split by a PostgreSQL-aware
# splitter; history row only after the last statement; a partial failure
# says which statements already ran.

load helper

# write_raw ID TEXT: migrations/ID.sql holding TEXT exactly (printf %b).
write_raw() {
	printf '%b' "$2" >"migrations/$1.sql"
}

@test "CREATE INDEX CONCURRENTLY and VACUUM run in a no-transaction migration" {
	write_migration 20200101_001_t "create table big (id int); insert into big select generate_series(1, 100);"
	write_raw 20200101_002_cic '-- flux:no-transaction\ncreate index concurrently big_id on big (id);\nvacuum big;\n'
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q "select indisvalid from pg_index where indexrelid = 'big_id'::regclass")" t
	assert_eq "$(history_ids)" "20200101_001_t
20200101_002_cic"
}

@test "control: the same CREATE INDEX CONCURRENTLY without the marker (or with it not on line 1) fails in a transaction" {
	write_migration 20200101_001_t "create table big (id int);"
	write_raw 20200101_002_cic 'create index concurrently big_id on big (id);\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "25001" "stderr"
	write_raw 20200101_002_cic 'select 1;\n-- flux:no-transaction\ncreate index concurrently big_id on big (id);\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "25001" "stderr"
	assert_eq "$(history_ids)" "20200101_001_t"
}

@test "ALTER TYPE ... ADD VALUE, used in the same no-transaction file and in a later migration" {
	write_migration 20200101_001_type "create type mood as enum ('sad', 'ok');"
	# in a transaction, using the new value in the same transaction is 55P04
	write_raw 20200101_002_add '-- flux:no-transaction\nalter type mood add value '\''happy'\'';\ncreate table person (m mood default '\''happy'\'');\ninsert into person default values;\n'
	write_migration 20200101_003_use "insert into person values ('happy');"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q "select string_agg(m::text, ',') from person")" "happy,happy"
	assert_eq "$(history_count)" 3
}

@test "a failing 3rd statement: exit 1, says statements 1-2 ran, no history row, their effects stay" {
	write_raw 20200101_001_nt '-- flux:no-transaction\ncreate table s1 (id int);\ninsert into s1 values (1);\ninsert into nosuch values (1);\ncreate table s4 (id int);\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "statement 3 of 4" "stderr"
	assert_contains "$stderr" "statements 1-2 already ran" "stderr"
	assert_contains "$stderr" "migrations/20200101_001_nt.sql:4:13" "stderr"
	assert_contains "$stderr" "42P01" "stderr"
	assert_eq "$(history_count)" 0
	assert_eq "$(psql_q "select count(*) from s1")" 1
	assert_no_relation s4
}

@test "a failing first statement says no statement had run" {
	write_raw 20200101_001_nt '-- flux:no-transaction\nselect * from nosuch;\ncreate table s2 (id int);\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "statement 1 of 2" "stderr"
	assert_not_contains "$stderr" "already ran" "stderr"
	assert_no_relation s2
	assert_eq "$(history_count)" 0
}

@test "an unterminated quote in a no-transaction file: exit 4 before touching the database" {
	write_migration 20200101_001_ok "create table ok_t (id int);"
	write_raw 20200101_002_bad "-- flux:no-transaction\ncreate table bad_t (id int);\nselect 'never closed;\n"
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "20200101_002_bad" "stderr"
	assert_no_history_table
	assert_no_relation ok_t
	assert_no_relation bad_t
}

@test "an unterminated dollar quote and block comment are exit 4 too" {
	write_raw 20200101_001_bad '-- flux:no-transaction\ndo $x$ begin null; end $y$;\n'
	run --separate-stderr flux apply
	assert_status 4
	assert_no_history_table
	write_raw 20200101_001_bad '-- flux:no-transaction\nselect 1; /* outer /* inner */ still open;\n'
	run --separate-stderr flux apply
	assert_status 4
	assert_no_history_table
}

@test "the splitter keeps semicolons inside quotes, E'' strings, dollar quotes, comments and BEGIN ATOMIC" {
	if [ "$(server_version_num)" -lt 140000 ]; then
		skip "BEGIN ATOMIC function bodies need PostgreSQL 14 or later"
	fi
	cat >migrations/20200101_001_split.sql <<'EOF'
-- flux:no-transaction
create table st (n int, s text); -- a comment; with a semicolon
insert into st values (1, 'semi;colon ''quoted;''');
insert into st values (2, E'back\\slash\'; still');
insert into "st" values (3, $$dollar; $quoted$$);
insert into st values (4, $tag$ a $$ ; b $tag$);
/* block ; /* nested ; */ still comment ; */ insert into st values (5, 'after comment');
create function st_f() returns int language plpgsql as $fn$
begin
	perform 1; return 6;
end;
$fn$;
create function st_atomic() returns int language sql
begin atomic
	select 7;
	select 7;
end;
insert into st values (st_f(), 'fn'), (st_atomic(), 'atomic');
create index concurrently st_n on st (n);
EOF
	run --separate-stderr flux apply --log-level debug
	assert_status 0
	assert_eq "$(psql_q "select string_agg(n || '=' || s, '|' order by n) from st")" \
		"1=semi;colon 'quoted;'|2=back\\slash'; still|3=dollar; \$quoted|4= a \$\$ ; b |5=after comment|6=fn|7=atomic"
	# 10 statements, each sent on its own
	assert_contains "$stderr" "statement 10 of 10" "stderr"
	assert_not_contains "$stderr" "of 11" "stderr"
}

@test "a no-transaction .undo.sql: DROP INDEX CONCURRENTLY on rollback" {
	write_migration 20200101_001_t "create table big (id int);"
	write_raw 20200101_002_idx '-- flux:no-transaction\ncreate index concurrently big_id on big (id);\n'
	write_raw 20200101_002_idx.undo '-- flux:no-transaction\ndrop index concurrently big_id;\n'
	run --separate-stderr flux apply
	assert_status 0
	relation_exists big_id
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_no_relation big_id
	assert_eq "$(history_ids)" "20200101_001_t"
}

@test "the marker after a BOM and with CRLF line endings still counts" {
	write_migration 20200101_001_t "create table big (id int);"
	write_raw 20200101_002_cic '\xef\xbb\xbf-- flux:no-transaction\r\ncreate index concurrently big_id on big (id);\r\n'
	run --separate-stderr flux apply
	assert_status 0
	relation_exists big_id
}
