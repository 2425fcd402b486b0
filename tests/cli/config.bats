#!/usr/bin/env bats
# flux config, the config file (flux.ini / flux.toml), environment, flags,
# FLUX_*_FILE secrets, and never showing a password.

load helper

# config_line NAME: the line of the last `run flux config` stdout for NAME.
config_line() {
	printf '%s\n' "$output" | grep -E "^[[:space:]]*$1([^a-z_]|$)" | head -1
}

@test "config: defaults, each with its source" {
	unset DATABASE_URL
	run --separate-stderr flux config
	assert_status 0
	local k
	for k in backend migration_directory log_level apply_repeatable_on_undo \
		migrations_schema migrations_table migrations_lock_id database_url \
		wait_timeout lock_timeout log_format; do
		[ -n "$(config_line "$k")" ] || { echo "no line for $k" >&2; show_run; false; }
	done
	assert_contains "$(config_line backend)" "postgres"
	assert_contains "$(config_line backend)" "default"
	assert_contains "$(config_line migration_directory)" "migrations"
	assert_contains "$(config_line migrations_schema)" "public"
	assert_contains "$(config_line migrations_table)" "_flux_migrations"
	assert_contains "$(config_line migrations_lock_id)" "3589"
	assert_contains "$(config_line log_level)" "info"
	assert_contains "$(config_line log_format)" "text"
}

@test "config: file, environment and flag sources; precedence file < env < flag" {
	printf '[flux]\nbackend = "postgres"\nmigration_directory = "from_file"\nlog_level = "warning"\n\n[backend]\nmigrations_table = "t_file"\n' >flux.ini
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "from_file"
	assert_contains "$(config_line migration_directory)" "flux.ini:3"
	assert_contains "$(config_line migrations_table)" "flux.ini:7"
	assert_contains "$(config_line database_url)" "DATABASE_URL"

	run --separate-stderr env FLUX_MIGRATION_DIRECTORY=from_env "$FLUX_BIN" config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "from_env"
	assert_contains "$(config_line migration_directory)" "FLUX_MIGRATION_DIRECTORY"
	assert_contains "$(config_line log_level)" "flux.ini:4"

	run --separate-stderr env FLUX_MIGRATION_DIRECTORY=from_env "$FLUX_BIN" config \
		--migration-directory from_flag
	assert_status 0
	assert_contains "$(config_line migration_directory)" "from_flag"
	assert_contains "$(config_line migration_directory)" "--migration-directory"
}

@test "flux.ini: [flux] migration_directory and [backend] table/schema are used by apply" {
	mkdir -p db/migrations
	write_migration 20200101_001_a "create table a (id int);" db/migrations
	printf '[flux]\nmigration_directory = "db/migrations"\n\n[backend]\nmigrations_table = "custom_history"\nmigrations_schema = "myschema"\n' >flux.ini
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "db/migrations"
	assert_contains "$(config_line migrations_table)" "custom_history"
	assert_contains "$(config_line migrations_schema)" "myschema"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_rows myschema.custom_history)" "20200101_001_a|$(md5_file db/migrations/20200101_001_a.sql)"
	assert_no_history_table
	run --separate-stderr flux status
	assert_status 0
	assert_match "$output" "20200101_001_a[[:space:]]+applied" "stdout"
}

@test "flux.ini: bare values, single quotes, comments, integers and booleans" {
	printf '; a comment\n# another\n[flux]\nmigration_directory = migs\nlog_level = '"'"'error'"'"'\napply_repeatable_on_undo = false\n[backend]\nmigrations_lock_id = 77\n' >flux.ini
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "migs"
	assert_not_contains "$(config_line migration_directory)" '"' "migration_directory line"
	assert_contains "$(config_line log_level)" "error"
	assert_contains "$(config_line apply_repeatable_on_undo)" "false"
	assert_contains "$(config_line migrations_lock_id)" "77"
}

@test "identifiers are folded to lower case like flux-migrations (unquoted)" {
	write_migration 20200101_001_a "create table a (id int);"
	printf '[backend]\nmigrations_table = "Custom_History"\n' >flux.ini
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids public.custom_history)" "20200101_001_a"
}

@test "flux.toml is read when there is no flux.ini" {
	printf '[flux]\nbackend = "postgres"\nmigration_directory = "toml_dir"\n\n[backend]\n# nothing\n' >flux.toml
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "toml_dir"
	assert_contains "$(config_line migration_directory)" "flux.toml:3"
}

@test "flux.ini wins over flux.toml, with a warning" {
	printf '[flux]\nmigration_directory = "toml_dir"\n' >flux.toml
	printf '[flux]\nmigration_directory = "ini_dir"\n' >flux.ini
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "ini_dir"
	assert_contains "$stderr" "flux.toml" "stderr (warning)"
}

@test "--config and FLUX_CONFIG choose the file" {
	mkdir -p conf
	printf '[flux]\nmigration_directory = "via_flag"\n' >conf/a.ini
	printf '[flux]\nmigration_directory = "via_env"\n' >conf/b.ini
	run --separate-stderr flux --config conf/a.ini config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "via_flag"
	run --separate-stderr env FLUX_CONFIG=conf/b.ini "$FLUX_BIN" config
	assert_status 0
	assert_contains "$(config_line migration_directory)" "via_env"
	run --separate-stderr env FLUX_CONFIG=conf/missing.ini "$FLUX_BIN" config
	assert_status 3
}

@test "unknown keys in the file are warnings, not errors" {
	printf '[flux]\nmigration_directory = "migrations"\nsurprise = 1\n' >flux.ini
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$stderr" "surprise" "stderr"
}

@test "bad values: durations, booleans, lock id, log format" {
	local kv
	for kv in FLUX_WAIT_TIMEOUT=soon FLUX_LOCK_TIMEOUT=-5s FLUX_APPLY_REPEATABLE_ON_UNDO=maybe \
		FLUX_MIGRATIONS_LOCK_ID=abc FLUX_LOG_FORMAT=xml FLUX_MIGRATIONS_SCHEMA=1abc FLUX_BACKEND=mysql; do
		run --separate-stderr env "$kv" "$FLUX_BIN" config
		[ "$status" -eq 3 ] || { echo "$kv"; show_run; false; }
		assert_contains "$stderr" "${kv%%=*}" "stderr"
	done
}

@test "good durations are accepted" {
	local d
	for d in 500ms 30s 2m 5; do
		run --separate-stderr env FLUX_WAIT_TIMEOUT="$d" "$FLUX_BIN" config
		[ "$status" -eq 0 ] || { echo "$d"; show_run; false; }
	done
}

@test "FLUX_DATABASE_URL_FILE: a secrets file with a trailing newline" {
	write_migration 20200101_001_a "create table a (id int);"
	printf '%s\n\n' "$(db_url)" >"$BATS_TEST_TMPDIR/url"
	unset DATABASE_URL
	run --separate-stderr env FLUX_DATABASE_URL_FILE="$BATS_TEST_TMPDIR/url" "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_count)" 1
	run --separate-stderr env FLUX_DATABASE_URL_FILE="$BATS_TEST_TMPDIR/url" "$FLUX_BIN" config
	assert_status 0
	assert_contains "$(config_line database_url)" "FLUX_DATABASE_URL_FILE"
	assert_not_contains "$output" "$FLUX_TEST_PASSWORD" "stdout"
}

@test "FLUX_X_FILE for an ordinary setting; a missing file is exit 3" {
	printf 'custom_t\n' >"$BATS_TEST_TMPDIR/t"
	run --separate-stderr env FLUX_MIGRATIONS_TABLE_FILE="$BATS_TEST_TMPDIR/t" "$FLUX_BIN" config
	assert_status 0
	assert_contains "$(config_line migrations_table)" "custom_t"
	run --separate-stderr env FLUX_MIGRATIONS_TABLE_FILE="$BATS_TEST_TMPDIR/nope" "$FLUX_BIN" config
	assert_status 3
	assert_contains "$stderr" "FLUX_MIGRATIONS_TABLE_FILE" "stderr"
}

@test "FLUX_DATABASE_URL wins over DATABASE_URL" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr env DATABASE_URL="$(db_url nosuchdb)" FLUX_DATABASE_URL="$(db_url)" "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "the password never appears in any output" {
	local pw=$FLUX_TEST_PASSWORD bad=wrong_pw_456 port
	port=$(free_port)
	write_migration 20200101_001_a "create table a (id int);"
	local -a cmds=(
		"config"
		"--log-level debug apply"
		"--log-level debug status"
		"status --format json"
		"validate"
		"wait"
		"--log-format json --log-level debug apply"
		"apply --dry-run"
	)
	local c
	for c in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		run --separate-stderr flux $c
		[ "$status" -eq 0 ] || { echo "flux $c"; show_run; false; }
		assert_not_contains "$output$stderr" "$pw" "output of flux $c"
	done
	# positional URL and --database-url
	run --separate-stderr flux status "$(db_url)"
	assert_not_contains "$output$stderr" "$pw" "output"
	run --separate-stderr flux --database-url "$(db_url)" config
	assert_not_contains "$output$stderr" "$pw" "output"
	# key=value conninfo
	run --separate-stderr env DATABASE_URL="host=127.0.0.1 port=$FLUX_TEST_PGPORT user=flux_test password=$pw dbname=$FLUX_TEST_DB" "$FLUX_BIN" config
	assert_status 0
	assert_not_contains "$output$stderr" "$pw" "output"
	# errors: bad password (7), missing db (7), unreachable (6), unparseable (3)
	run --separate-stderr env DATABASE_URL="$(db_url "$FLUX_TEST_DB" "$bad")" "$FLUX_BIN" apply
	assert_status 7
	assert_not_contains "$output$stderr" "$bad" "output"
	run --separate-stderr env DATABASE_URL="$(db_url nosuchdb)" "$FLUX_BIN" apply
	assert_status 7
	assert_not_contains "$output$stderr" "$pw" "output"
	run --separate-stderr env DATABASE_URL="postgresql://flux_test:$pw@127.0.0.1:$port/x" "$FLUX_BIN" --wait-timeout 0 apply
	assert_status 6
	assert_not_contains "$output$stderr" "$pw" "output"
	run --separate-stderr env DATABASE_URL="$(db_url)?no_such_option=1" "$FLUX_BIN" apply
	assert_status 3
	assert_not_contains "$output$stderr" "$pw" "output"
	run --separate-stderr env DATABASE_URL="$(db_url)?no_such_option=1" "$FLUX_BIN" config
	assert_not_contains "$output$stderr" "$pw" "output"
	# a failing migration
	write_migration 20200101_002_bad "select * from nope;"
	run --separate-stderr flux apply
	assert_status 1
	assert_not_contains "$output$stderr" "$pw" "output"
}

@test "reserved words as schema or table are exit 3 up front: every one the server reserves" {
	local words w n=0
	# 'R' reserved, 'T' reserved but usable as a function or type name:
	# neither can name a schema or table unquoted.
	words=$(psql_q "select word from pg_get_keywords() where catcode in ('R', 'T') order by 1")
	[ "$(wc -w <<<"$words")" -gt 50 ] || { echo "too few keywords: $words" >&2; false; }
	write_migration 20200101_001_a "create table a (id int);"
	for w in $words; do
		run --separate-stderr env FLUX_MIGRATIONS_TABLE="$w" "$FLUX_BIN" apply
		[ "$status" -eq 3 ] || { echo "table '$w'"; show_run; false; }
		assert_contains "$stderr" "'$w'" "stderr"
		assert_contains "$stderr" "reserved word" "stderr"
		n=$((n + 1))
	done
	# any case, as schema too, from the file
	for w in USER Select order; do
		printf '[backend]\nmigrations_schema = "%s"\n' "$w" >flux.toml
		run --separate-stderr flux apply
		assert_status 3
		assert_contains "$stderr" "flux.toml:2" "stderr"
		assert_contains "$stderr" "reserved word" "stderr"
	done
	rm flux.toml
	assert_no_history_table
	assert_no_relation public.a
	# an unreserved key word and near misses still work
	run --separate-stderr env FLUX_MIGRATIONS_TABLE=users "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$(history_ids public.users)" "20200101_001_a"
	run --separate-stderr env FLUX_MIGRATIONS_TABLE=name FLUX_MIGRATIONS_SCHEMA=int "$FLUX_BIN" status
	assert_status 0
}

@test "a key set twice in flux.toml or flux.ini is exit 3 naming file, line and key" {
	printf '[flux]\nlog_level = "debug"\nmigration_directory = "migrations"\nlog_level = "error"\n' >flux.toml
	run --separate-stderr flux config
	assert_status 3
	assert_contains "$stderr" "duplicate key 'flux.log_level' in flux.toml:4: already set at line 2" "stderr"
	rm flux.toml
	printf '[backend]\nmigrations_table = a\n[flux]\nlog_level = info\n[backend]\nmigrations_table = b\n' >flux.ini
	run --separate-stderr flux apply
	assert_status 3
	assert_contains "$stderr" "duplicate key 'backend.migrations_table' in flux.ini:6: already set at line 2" "stderr"
	assert_no_history_table
}
