#!/usr/bin/env bats
# flux rollback N / --to ID / --all, --dry-run, confirmation, and
# apply_repeatable_on_undo (SPEC §3). The first tests port
# the rollback scenarios of flux-migrations' PostgreSQL integration tests
# (k2bd/flux-migrations tests/integration/postgres/test_postgres_migrations.py:
# apply_undo_all, apply_undo_redo, apply_undo_2) on fixtures/migrations-1.

load helper

M1=20200101_001_add_description_to_simple_table
M2=20200102_001_add_timestamp_to_another_table
M3=20200102_002_create_new_table
H1=1ddd0147bd77f7dd8d9c064584a2559d
H2=a78bba561022b845e60ac752288fdee4
H3=ee1ceca0e0080b8e32c131bb88bc573a

apply_fixture() {
	use_fixture migrations-1
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H1
$M2|$H2
$M3|$H3" "history after apply"
}

# The views of the fixture's post-apply exist with their columns.
assert_views() {
	assert_eq "$(table_columns view1)" "id:integer,data:text" "view1"
	assert_eq "$(table_columns view2)" "id:integer,value:integer" "view2"
}

# Run flux with stdin on a terminal (script(1) gives it a pty), feeding ANSWER.
flux_on_tty() {
	local answer=$1 cmd
	shift
	cmd=$(printf '%q ' "$FLUX_BIN" "$@")
	run --separate-stderr bash -c "printf '%s\n' \"\$1\" | script -qec \"\$2\" /dev/null" _ "$answer" "$cmd"
}

@test "flux-migrations apply_undo_all: rollback --all undoes every migration" {
	apply_fixture
	run --separate-stderr flux rollback --all -y
	assert_status 0
	assert_eq "$(history_count)" 0
	assert_eq "$(table_columns simple_table)" "id:integer,data:text" "simple_table"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer" "another_table"
	# create_new_table has no undo: only its history row went
	assert_eq "$(table_columns new_table)" "id:integer,info:text" "new_table"
	assert_views
	# undone in reverse order
	assert_match "$stderr" "undid $M3 in [0-9]+ ms.*undid $M2 in [0-9]+ ms.*undid $M1 in [0-9]+ ms" "stderr"
	assert_match "$stderr" "undid 3 migrations in [0-9]+ ms" "stderr"
	run --separate-stderr flux validate
	assert_status 0
}

@test "flux-migrations apply_undo_redo: apply after rollback --all records the same hashes" {
	apply_fixture
	run --separate-stderr flux rollback --all -y
	assert_status 0
	assert_eq "$(history_count)" 0
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H1
$M2|$H2
$M3|$H3"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text" "simple_table"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text" "another_table"
	assert_views
}

@test "flux-migrations apply_undo_2: rollback 2 keeps the first migration" {
	apply_fixture
	run --separate-stderr flux rollback 2 -y
	assert_status 0
	assert_eq "$(history_rows)" "$M1|$H1"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text" "simple_table"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer" "another_table"
	assert_views
	run --separate-stderr flux validate
	assert_status 0
}

@test "rollback 1 twice, then rollback N larger than what is applied undoes the rest" {
	apply_fixture
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_eq "$(history_ids)" "$M1
$M2"
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_eq "$(history_ids)" "$M1"
	run --separate-stderr flux rollback 5 -y
	assert_status 0
	assert_eq "$(history_count)" 0
}

@test "rollback --to ID undoes down to and including ID" {
	apply_fixture
	run --separate-stderr flux rollback --to "$M2" -y
	assert_status 0
	assert_eq "$(history_ids)" "$M1"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer" "another_table"
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text" "simple_table"
}

@test "rollback --to=ID (one argument) works too" {
	apply_fixture
	run --separate-stderr flux rollback --to="$M1" -y
	assert_status 0
	assert_eq "$(history_count)" 0
}

@test "rollback --to an unknown or unapplied id: exit 2, nothing undone" {
	apply_fixture
	run --separate-stderr flux rollback --to 20990101_001_nope -y
	assert_status 2
	assert_contains "$stderr" "20990101_001_nope" "stderr"
	assert_eq "$(history_count)" 3
	# a file that exists but is not applied
	write_migration 20200201_001_pending "create table pending_t (id int);"
	run --separate-stderr flux rollback --to 20200201_001_pending -y
	assert_status 2
	assert_eq "$(history_count)" 3
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text" "another_table"
}

@test "rollback --dry-run prints pre-apply, undo (newest first) and post-apply lines, changes nothing" {
	apply_fixture
	local before
	before=$(history_rows)
	run --separate-stderr flux rollback 2 --dry-run
	assert_status 0
	assert_eq "$output" "pre-apply 20200101_002_ensure_simple_table_exists
pre-apply 20200102_001_ensure_another_table_exists
undo $M3
undo $M2
post-apply 20200101_001_recreate_view1
post-apply 20200101_002_recreate_view2" "stdout"
	assert_eq "$(history_rows)" "$before"
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text" "another_table"
}

@test "rollback --all --dry-run with FLUX_APPLY_REPEATABLE_ON_UNDO=false lists only undo lines" {
	apply_fixture
	run --separate-stderr env FLUX_APPLY_REPEATABLE_ON_UNDO=false "$FLUX_BIN" rollback --all --dry-run
	assert_status 0
	assert_eq "$output" "undo $M3
undo $M2
undo $M1" "stdout"
	assert_eq "$(history_count)" 3
}

@test "rollback --dry-run on a fresh database creates nothing" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux rollback --all --dry-run
	assert_status 0
	assert_no_history_table
}

@test "bare rollback: exit 2 naming N, --to and --all; nothing undone" {
	apply_fixture
	run --separate-stderr flux rollback -y
	assert_status 2
	assert_contains "$stderr" "N" "stderr"
	assert_contains "$stderr" "--to" "stderr"
	assert_contains "$stderr" "--all" "stderr"
	assert_eq "$(history_count)" 3
}

@test "two rollback forms at once is exit 2" {
	apply_fixture
	run --separate-stderr flux rollback 1 --all -y
	assert_status 2
	assert_eq "$(history_count)" 3
}

@test "rollback without -y and without a terminal: exit 2, nothing undone" {
	apply_fixture
	run --separate-stderr flux rollback --all
	assert_status 2
	assert_contains "$stderr" "--auto-approve" "stderr"
	assert_eq "$(history_count)" 3
	assert_eq "$(table_columns simple_table)" "id:integer,data:text,description:text" "simple_table"
}

@test "FLUX_AUTO_APPROVE=true and --auto-approve approve a rollback" {
	apply_fixture
	run --separate-stderr env FLUX_AUTO_APPROVE=true "$FLUX_BIN" rollback 1
	assert_status 0
	assert_eq "$(history_count)" 2
	run --separate-stderr flux rollback 1 --auto-approve
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "on a terminal: rollback asks, 'n' undoes nothing (exit 2), 'y' undoes" {
	command -v script >/dev/null || skip "script(1) not installed"
	apply_fixture
	flux_on_tty n rollback 1
	assert_status 2
	assert_contains "$output" "undo $M3" "terminal output"
	assert_contains "$output" "[y/N]" "terminal output"
	assert_eq "$(history_count)" 3
	flux_on_tty y rollback 1
	assert_status 0
	assert_eq "$(history_ids)" "$M1
$M2"
}

@test "a migration without .undo.sql just loses its history row" {
	write_migration 20200101_001_keep "create table keep_me (id int);"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_eq "$(history_count)" 0
	relation_exists keep_me
}

# pre/post-apply append to a log table; the undo appends too.
runlog_project() {
	write_pre 20200101_000_pre "create table if not exists runlog (n serial, what text); insert into runlog (what) values ('pre');"
	write_post 20200101_000_post "insert into runlog (what) values ('post');"
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a; insert into runlog (what) values ('undo');"
}
runlog() {
	psql_q "select string_agg(what, ',' order by n) from runlog"
}

@test "pre-apply and post-apply run around a rollback" {
	runlog_project
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(runlog)" "pre,post"
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_eq "$(runlog)" "pre,post,pre,undo,post"
	assert_no_relation a
}

@test "FLUX_APPLY_REPEATABLE_ON_UNDO=false: no pre/post-apply on rollback" {
	runlog_project
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr env FLUX_APPLY_REPEATABLE_ON_UNDO=false "$FLUX_BIN" rollback 1 -y
	assert_status 0
	assert_eq "$(runlog)" "pre,post,undo"
	assert_eq "$(history_count)" 0
}

@test "apply_repeatable_on_undo = false in flux.toml is honoured" {
	runlog_project
	printf '[flux]\napply_repeatable_on_undo = false\n' >flux.toml
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback 1 -y
	assert_status 0
	assert_eq "$(runlog)" "pre,post,undo"
}

@test "a failing undo: exit 1, that migration stays applied, later undos stay done" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	write_migration 20200101_002_b "create table b (id int);"
	write_undo 20200101_002_b "drop table b; drop table no_such_table;"
	write_migration 20200101_003_c "create table c (id int);"
	write_undo 20200101_003_c "drop table c;"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback --all -y
	assert_status 1
	assert_contains "$stderr" "20200101_002_b" "stderr"
	assert_contains "$stderr" "migrations/20200101_002_b.undo.sql" "stderr"
	assert_contains "$stderr" "SQLSTATE 42P01" "stderr"
	assert_eq "$(history_ids)" "20200101_001_a
20200101_002_b"
	# the failed undo was rolled back as a whole: b is still there
	relation_exists b
	relation_exists a
	assert_no_relation c
}

@test "rollback of corrupt history: exit 5, nothing undone" {
	apply_fixture
	printf 'alter table simple_table add column description text; -- changed\n' \
		>"migrations/$M1.sql"
	run --separate-stderr flux rollback 1 -y
	assert_status 5
	assert_contains "$stderr" "$M1" "stderr"
	assert_eq "$(history_count)" 3
	assert_eq "$(table_columns another_table)" "id:integer,value:integer,timestamp:text" "another_table"
	# a deleted applied migration too
	cp "$FLUX_FIXTURES/migrations-1/$M1.sql" migrations/
	rm "migrations/$M2.sql" "migrations/$M2.undo.sql"
	run --separate-stderr flux rollback --all -y
	assert_status 5
	assert_contains "$stderr" "$M2" "stderr"
	assert_eq "$(history_count)" 3
}

@test "rollback with nothing applied: exit 0, says so" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux rollback --all -y
	assert_status 0
	assert_contains "$stderr" "no applied migrations" "stderr"
}
