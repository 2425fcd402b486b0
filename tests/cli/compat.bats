#!/usr/bin/env bats
# flux-migrations' PostgreSQL integration scenarios (test_postgres_migrations.py
# and test_postgres_cli.py in k2bd/flux-migrations), run through the flux CLI
# on the same migration directory (tests/cli/fixtures/migrations-1, its .py
# migrations rewritten as the SQL they return, so the hashes are theirs).

load helper

H_DESC=1ddd0147bd77f7dd8d9c064584a2559d
H_TS=a78bba561022b845e60ac752288fdee4
H_NEW=ee1ceca0e0080b8e32c131bb88bc573a
H_INFO=2494e84a32039ba7fff00496da758df4
M1=20200101_001_add_description_to_simple_table
M2=20200102_001_add_timestamp_to_another_table
M3=20200102_002_create_new_table
M4=20200103_001_add_info_to_new_table

setup() {
	flux_setup
	use_fixture migrations-1
}

# The upstream helper _write_new_migration (no trailing newlines).
write_new_migration() {
	printf '%s' 'alter table new_table add column new_col text;' >"migrations/$M4.sql"
	printf '%s' 'alter table new_table drop column new_col;' >"migrations/$M4.undo.sql"
}

# The upstream helper _write_new_bad_migration: the column already exists.
write_new_bad_migration() {
	printf '%s' 'alter table simple_table add column data text;' >"migrations/$M4.sql"
	printf '%s' 'alter table simple_table drop column data;' >"migrations/$M4.undo.sql"
}

assert_views() {
	assert_eq "$(table_columns view1)" "id:integer,data:text" "view1 columns"
	assert_eq "$(table_columns view2)" "id:integer,value:integer" "view2 columns"
}

@test "fixture files hash as flux-migrations recorded them" {
	assert_eq "$(md5_file migrations/$M1.sql)" "$H_DESC"
	assert_eq "$(md5_file migrations/$M2.sql)" "$H_TS"
	assert_eq "$(md5_file migrations/$M3.sql)" "$H_NEW"
}

@test "apply: all migrations, exact hashes, tables and views" {
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS
$M3|$H_NEW" "history"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text"
	assert_eq "$(table_columns new_table)" "id:integer,info:text"
	assert_views
	run --separate-stderr flux validate
	assert_status 0
}

@test "apply, add a migration, apply again" {
	run --separate-stderr flux validate
	assert_status 0
	run --separate-stderr flux apply
	assert_status 0
	write_new_migration
	run --separate-stderr flux validate
	assert_status 0
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS
$M3|$H_NEW
$M4|$H_INFO" "history"
	assert_eq "$(table_columns new_table)" "id:integer,info:text,new_col:text"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text"
	assert_views
}

@test "apply 1" {
	run --separate-stderr flux apply 1
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC" "history"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer"
	assert_views
	run --separate-stderr flux validate
	assert_status 0
}

@test "apply sequence: 1 then 2" {
	run --separate-stderr flux apply 1
	assert_status 0
	assert_eq "$(history_count)" 1
	run --separate-stderr flux apply 2
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS
$M3|$H_NEW" "history"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text"
	assert_eq "$(table_columns new_table)" "id:integer,info:text"
	assert_views
}

@test "corruption: applied migration removed (each of the three)" {
	local f
	for f in $M1 $M2 $M3; do
		reset_db
		use_fixture migrations-1
		run --separate-stderr flux apply
		assert_status 0
		rm "migrations/$f.sql"
		run --separate-stderr flux validate
		assert_status 5
		assert_contains "$stderr" "$f" "stderr"
		assert_icontains "$stderr" "missing" "stderr"
		# apply refuses too, and runs nothing
		run --separate-stderr flux apply
		assert_status 5
	done
}

@test "corruption: migration inserted between applied ones" {
	run --separate-stderr flux apply 2
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS" "history"
	printf '%s' 'create table some_new_table ( id serial primary key, name text );' \
		>migrations/20200101_002_intermediate.sql
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" "20200101_002_intermediate" "stderr"
	assert_icontains "$stderr" "inserted" "stderr"
	run --separate-stderr flux apply
	assert_status 5
	run relation_exists some_new_table
	[ "$status" -ne 0 ]
	assert_eq "$(history_count)" 2
}

@test "corruption: applied migration modified (sql, and the converted py ones)" {
	local f
	for f in $M1 $M2 $M3; do
		reset_db
		use_fixture migrations-1
		run --separate-stderr flux apply
		assert_status 0
		local old
		old=$(md5_file "migrations/$f.sql")
		printf '%s' 'create table some_new_table ( id serial primary key, name text );' \
			>>"migrations/$f.sql"
		local new
		new=$(md5_file "migrations/$f.sql")
		run --separate-stderr flux validate
		assert_status 5
		assert_contains "$stderr" "$f" "stderr"
		assert_icontains "$stderr" "modified" "stderr"
		assert_contains "$stderr" "$old" "stderr (stored hash)"
		assert_contains "$stderr" "$new" "stderr (file hash)"
	done
}

@test "a bad migration: exit 1, earlier ones in the batch stay applied" {
	run --separate-stderr flux apply 2
	assert_status 0
	write_new_bad_migration
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "$M4" "stderr"
	assert_contains "$stderr" 'column "data" of relation "simple_table" already exists' "stderr"
	# per-migration transactions: M3 committed before M4 failed
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS
$M3|$H_NEW" "history"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text"
	assert_eq "$(table_columns new_table)" "id:integer,info:text"
	assert_views
}

@test "pre-apply and post-apply run even when nothing is pending" {
	run --separate-stderr flux apply
	assert_status 0
	psql_q "drop view view1; drop view view2"
	run --separate-stderr flux apply
	assert_status 0
	assert_views
	assert_eq "$(history_count)" 3
}

@test "cli: init postgres, then apply --auto-approve with the URL as argument" {
	unset DATABASE_URL
	run --separate-stderr flux init postgres
	assert_status 0
	[ -f flux.toml ]
	run --separate-stderr flux apply --auto-approve "$(db_url)"
	assert_status 0
	assert_eq "$(history_ids)" "$M1
$M2
$M3" "history"
}

@test "cli: apply --auto-approve URL N for N = 0..5" {
	unset DATABASE_URL
	local n all=("$M1" "$M2" "$M3") expected
	for n in 0 1 2 3 4 5; do
		reset_db
		run --separate-stderr flux apply --auto-approve "$(db_url)" "$n"
		assert_status 0
		expected=$(printf '%s\n' "${all[@]:0:n}")
		assert_eq "$(history_ids 2>/dev/null)" "$expected" "history after apply $n"
	done
}

@test "cli: rollback --auto-approve URL N for N = 0..5" {
	unset DATABASE_URL
	local n all=("$M1" "$M2" "$M3") expected keep
	for n in 0 1 2 3 4 5; do
		reset_db
		run --separate-stderr flux apply --auto-approve "$(db_url)"
		assert_status 0
		run --separate-stderr flux rollback --auto-approve "$(db_url)" "$n"
		assert_status 0
		keep=$((3 - n))
		[ "$keep" -lt 0 ] && keep=0
		expected=$(printf '%s\n' "${all[@]:0:keep}")
		assert_eq "$(history_ids)" "$expected" "history after rollback $n"
	done
}

@test "rollback --all after apply restores the original tables" {
	# M3 has no undo upstream; give it one so everything can be undone
	printf 'drop table new_table;\n' >"migrations/$M3.undo.sql"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback --all -y
	assert_status 0
	assert_eq "$(history_count)" 0
	assert_eq "$(table_columns simple_table)" "id:integer,data:text"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer"
	assert_views
	# and redo
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC
$M2|$H_TS
$M3|$H_NEW" "history"
}

@test "rollback 2 leaves the first migration" {
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback 2 -y
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H_DESC" "history"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer"
}

@test "a migration applied by flux-migrations as .py is accepted by id" {
	# flux-migrations applied M3 from a .py file: flux cannot hash it
	run --separate-stderr flux apply
	assert_status 0
	rm "migrations/$M3.sql"
	printf 'def apply():\n    return "select 1"\n' >"migrations/$M3.py"
	run --separate-stderr flux validate
	assert_status 0
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux status
	assert_status 0
	assert_match "$output" "${M3}[[:space:]]+unverifiable" "status"
}
