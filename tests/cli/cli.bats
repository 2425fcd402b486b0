#!/usr/bin/env bats
# The flux front: help, version, usage errors, global flags, positional URL,
# exit codes decided before the database is touched.

load helper

@test "--help: exit 0 on stdout, lists the commands and the exit codes" {
	run --separate-stderr flux --help
	assert_status 0
	local c
	for c in apply rollback status validate wait new init config; do
		assert_contains "$output" "$c" "stdout"
	done
	assert_icontains "$output" "exit codes" "stdout"
	for c in 0 1 2 3 4 5 6 7 8 9 11 130 143; do
		assert_match "$output" "(^|[^0-9])$c([^0-9]|$)" "stdout (code $c)"
	done
	assert_contains "$output" "cannot write output" "stdout"
}

@test "--version prints flux VERSION" {
	run --separate-stderr flux --version
	assert_status 0
	assert_eq "$output" "flux $(cat "$FLUX_REPO_ROOT/VERSION")"
}

@test "COMMAND --help for every command" {
	local c
	for c in apply rollback status validate wait new init config; do
		run --separate-stderr flux "$c" --help
		assert_status 0
		assert_contains "$output" "$c" "stdout of $c --help"
	done
	run --separate-stderr flux apply --help
	assert_contains "$output" "--dry-run" "stdout"
}

@test "no command is a usage error" {
	run --separate-stderr flux
	assert_status 2
}

@test "unknown command: exit 2 naming it" {
	run --separate-stderr flux frobnicate
	assert_status 2
	assert_contains "$stderr" "frobnicate" "stderr"
}

@test "unknown flag: exit 2 naming it" {
	run --separate-stderr flux apply --frobnicate
	assert_status 2
	assert_contains "$stderr" "--frobnicate" "stderr"
	run --separate-stderr flux --frobnicate apply
	assert_status 2
}

@test "bad N: exit 2, nothing touched" {
	write_migration 20200101_001_a "create table a (id int);"
	local n
	for n in abc -1 1x 1.5; do
		run --separate-stderr flux apply -- "$n"
		[ "$status" -eq 2 ] || { echo "N=$n"; show_run; false; }
		run --separate-stderr flux apply "$n"
		[ "$status" -eq 2 ] || { echo "N=$n"; show_run; false; }
	done
	run --separate-stderr flux apply 1 2
	assert_status 2
	assert_no_history_table
}

@test "a flag missing its value is a usage error" {
	run --separate-stderr flux apply --migration-directory
	assert_status 2
}

@test "bare rollback is exit 2 naming N, --to ID and --all" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback -y
	assert_status 2
	assert_contains "$stderr" "--to" "stderr"
	assert_contains "$stderr" "--all" "stderr"
	assert_eq "$(history_count)" 1
}

@test "rollback without a terminal and without --auto-approve refuses (exit 2)" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback 1
	assert_status 2
	assert_eq "$(history_count)" 1
	run --separate-stderr env FLUX_AUTO_APPROVE=true "$FLUX_BIN" rollback 1
	assert_status 0
	assert_eq "$(history_count)" 0
}

@test "global flags before or after the command, with = or a space" {
	mkdir -p db/m
	write_migration 20200101_001_a "create table a (id int);" db/m
	run --separate-stderr flux --migration-directory db/m apply
	assert_status 0
	assert_eq "$(history_count)" 1
	reset_db
	run --separate-stderr flux apply --migration-directory db/m
	assert_status 0
	assert_eq "$(history_count)" 1
	reset_db
	run --separate-stderr flux apply --migration-directory=db/m
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "--database-url flag overrides DATABASE_URL" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env DATABASE_URL="$(db_url nosuchdb)" "$FLUX_BIN" \
		--database-url "$(db_url)" apply
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "positional URL: flux apply URL 1 (as flux-migrations is called)" {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
	unset DATABASE_URL
	run --separate-stderr flux apply "$(db_url)" 1
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	run --separate-stderr flux status "$(db_url)"
	assert_status 0
	assert_match "$output" "20200101_002_b[[:space:]]+pending" "stdout"
}

@test "SQLAlchemy-style schemes: postgresql+asyncpg:// and postgres+aiopg://" {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
	unset DATABASE_URL
	local u
	u=$(db_url)
	run --separate-stderr flux apply "postgresql+asyncpg://${u#postgresql://}" 1
	assert_status 0
	assert_eq "$(history_count)" 1
	run --separate-stderr env DATABASE_URL="postgres+aiopg://${u#postgresql://}" "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_count)" 2
}

@test "a key=value conninfo string works" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env DATABASE_URL="host=127.0.0.1 port=$FLUX_TEST_PGPORT user=$FLUX_TEST_PGUSER password=$FLUX_TEST_PASSWORD dbname=$FLUX_TEST_DB" \
		"$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "libpq PG* variables apply when no URL is given" {
	write_migration 20200101_001_a "create table a (id int);"
	unset DATABASE_URL
	run --separate-stderr env PGHOST=127.0.0.1 PGPORT="$FLUX_TEST_PGPORT" PGUSER="$FLUX_TEST_PGUSER" \
		PGPASSWORD="$FLUX_TEST_PASSWORD" PGDATABASE="$FLUX_TEST_DB" "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_count)" 1
}

# --- exit codes 3 and 4 come before the database is touched ---------------

@test "exit 3: bad value in flux.ini names file:line" {
	write_migration 20200101_001_a "create table a (id int);"
	printf '[flux]\nmigration_directory = "migrations"\nlog_level = "loud"\n' >flux.ini
	run --separate-stderr flux apply
	assert_status 3
	assert_contains "$stderr" "flux.ini:3" "stderr"
	assert_contains "$stderr" "log_level" "stderr"
	assert_no_history_table
}

@test "exit 3: FLUX_LOG_LEVEL=loud names the variable" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env FLUX_LOG_LEVEL=loud "$FLUX_BIN" apply
	assert_status 3
	assert_contains "$stderr" "FLUX_LOG_LEVEL" "stderr"
	assert_no_history_table
}

@test "exit 2: --log-level loud (a bad flag value is a usage error)" {
	run --separate-stderr flux apply --log-level loud
	assert_status 2
	assert_contains "$stderr" "loud" "stderr"
	assert_no_history_table
}

@test "exit 3: --config names a missing file" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux --config missing.ini apply
	assert_status 3
	assert_contains "$stderr" "missing.ini" "stderr"
	assert_no_history_table
}

@test "exit 3: a URL libpq cannot parse" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env DATABASE_URL="$(db_url)?no_such_option=1" "$FLUX_BIN" apply
	assert_status 3
	assert_no_history_table
}

@test "exit 3: both FLUX_DATABASE_URL and FLUX_DATABASE_URL_FILE" {
	write_migration 20200101_001_a "create table a (id int);"
	db_url >"$BATS_TEST_TMPDIR/url"
	run --separate-stderr env FLUX_DATABASE_URL="$(db_url)" \
		FLUX_DATABASE_URL_FILE="$BATS_TEST_TMPDIR/url" "$FLUX_BIN" apply
	assert_status 3
	assert_contains "$stderr" "FLUX_DATABASE_URL" "stderr"
	assert_no_history_table
}

@test "exit 3: FLUX_MIGRATIONS_TABLE='bad;name'" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env FLUX_MIGRATIONS_TABLE='bad;name' "$FLUX_BIN" apply
	assert_status 3
	assert_contains "$stderr" "FLUX_MIGRATIONS_TABLE" "stderr"
	assert_eq "$(psql_q "select count(*) from pg_tables where schemaname = 'public'")" 0
}

@test "exit 4: missing migration directory" {
	rmdir migrations
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "migrations" "stderr"
	assert_no_history_table
}

@test "exit 4: invalid UTF-8 names the file and nothing runs" {
	write_migration 20200101_001_a "create table a (id int);"
	printf 'select 1; -- \xff\xfe\n' >migrations/20200101_002_bad.sql
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "20200101_002_bad.sql" "stderr"
	assert_no_history_table
	run relation_exists a
	[ "$status" -ne 0 ]
}

@test "exit 4: a NUL byte in a migration" {
	write_migration 20200101_001_a "create table a (id int);"
	printf 'select 1;\0drop table x;\n' >migrations/20200101_002_nul.sql
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "20200101_002_nul.sql" "stderr"
	assert_no_history_table
}

@test "exit 4: a pending .py migration, naming flux-migrations" {
	write_migration 20200101_001_a "create table a (id int);"
	printf 'def apply():\n    return "select 1"\n' >migrations/20200101_002_py.py
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "20200101_002_py.py" "stderr"
	assert_contains "$stderr" "flux-migrations" "stderr"
	assert_no_history_table
	run relation_exists a
	[ "$status" -ne 0 ]
}

@test "exit 4: a repeatable migration with an undo file" {
	write_pre 20200101_001_pre "select 1;"
	write_undo 20200101_001_pre "select 2;" migrations/pre-apply
	run --separate-stderr flux apply
	assert_status 4
	assert_contains "$stderr" "20200101_001_pre" "stderr"
	assert_no_history_table
}

@test "exit 4: a .py repeatable migration" {
	mkdir -p migrations/post-apply
	printf 'def apply():\n    return "select 1"\n' >migrations/post-apply/20200101_001_p.py
	run --separate-stderr flux apply
	assert_status 4
	assert_no_history_table
}

@test "exit 4: duplicate id (x.sql and x.py)" {
	write_migration 20200101_001_a "create table a (id int);"
	printf 'def apply():\n    return "select 1"\n' >migrations/20200101_001_a.py
	run --separate-stderr flux apply
	assert_status 4
	assert_no_history_table
}

@test "a pending .py beyond the next N does not block apply N" {
	write_migration 20200101_001_a "create table a (id int);"
	printf 'def apply():\n    return "select 1"\n' >migrations/20200101_002_py.py
	run --separate-stderr flux apply 1
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
}

@test "exit 11: stdout cannot be written (/dev/full), with the system's reason" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr bash -c '"$FLUX_BIN" status </dev/null >/dev/full'
	assert_status 11
	assert_contains "$stderr" "cannot write output: No space left on device" "stderr"
	run --separate-stderr bash -c '"$FLUX_BIN" config </dev/null >/dev/full'
	assert_status 11
	assert_contains "$stderr" "No space left on device" "stderr"
	run --separate-stderr bash -c '"$FLUX_BIN" --help </dev/null >/dev/full'
	assert_status 11
	# output larger than the stdio buffer fails in mid-run, not at exit
	local i
	for i in $(seq -w 1 300); do : >"migrations/20200101_${i}_a_rather_long_name_for_a_wide_status_table.sql"; done
	run --separate-stderr bash -c '"$FLUX_BIN" status --format json </dev/null >/dev/full'
	assert_status 11
	assert_contains "$stderr" "No space left on device" "stderr"
	assert_not_contains "$stderr" "usage" "stderr"
}

@test "a closed pipe (flux status | head -1) is no error: exit 0, no message" {
	local i
	# far more than a pipe holds (64 KiB), so flux writes after head has gone
	for i in $(seq -w 1 3000); do : >"migrations/20200101_${i}_a_rather_long_name_for_a_wide_status_table.sql"; done
	run --separate-stderr bash -c 'set -o pipefail; "$FLUX_BIN" status </dev/null 2>"$0" | head -1' "$BATS_TEST_TMPDIR/err"
	assert_status 0
	assert_contains "$output" "ID" "stdout"
	assert_eq "$(cat "$BATS_TEST_TMPDIR/err")" "" "stderr"
	run --separate-stderr bash -c 'set -o pipefail; "$FLUX_BIN" status --format json </dev/null 2>"$0" | head -c 10' "$BATS_TEST_TMPDIR/err"
	assert_status 0
	assert_eq "$(cat "$BATS_TEST_TMPDIR/err")" "" "stderr"
}
