#!/usr/bin/env bats
# flux lint: output formats, exit codes, suppression, paths, the directory
# default, JSON validity. lint needs no database: these tests start none
# and point DATABASE_URL at a port nobody listens on.

load helper

setup_file() {
	hermetic_env
	if [ ! -x "$FLUX_BIN" ]; then
		echo "flux binary not found: $FLUX_BIN (build it first)" >&2
		return 1
	fi
	# Were lint to connect, it would fail at once (exit 6), not hang.
	DATABASE_URL="postgresql://flux@127.0.0.1:$(free_port)/nodb"
	FLUX_WAIT_TIMEOUT=0
	export DATABASE_URL FLUX_WAIT_TIMEOUT
}
teardown_file() { :; }
setup() { new_project; }

LINT_FIXTURES=$BATS_TEST_DIRNAME/../lint

# json_check: every stdout line is a JSON object with the seven keys, of
# the right types; prints "rule line col severity" per line.
json_check() {
	printf '%s' "$output" | python3 -c '
import json, sys
for n, line in enumerate(sys.stdin.read().splitlines(), 1):
    o = json.loads(line)
    assert isinstance(o, dict), line
    assert sorted(o) == ["col", "file", "hint", "line", "message", "rule", "severity"], line
    assert isinstance(o["line"], int) and isinstance(o["col"], int), line
    assert o["severity"] in ("error", "warning"), line
    assert o["message"] and o["hint"] and o["file"], line
    print(o["rule"], o["line"], o["col"], o["severity"])
'
}

@test "lint: the migration directory by default, text output, exit 10 on an error" {
	write_migration 20240101_001_users "create table users (id int, email text);
create index users_email_idx on users (email);"
	write_migration 20240102_001_index "set local lock_timeout = '5s';
create index users_email2_idx on users (email);"
	run --separate-stderr flux lint
	assert_status 10
	assert_eq "$output" "migrations/20240102_001_index.sql:2:1: index-not-concurrent: CREATE INDEX on existing table 'users' without CONCURRENTLY blocks writes to it while the index builds
    hint: use CREATE INDEX / DROP INDEX / REINDEX ... CONCURRENTLY in a migration whose first line is -- flux:no-transaction" "stdout"
	assert_contains "$stderr" "2 files checked: 1 finding, 1 error" "stderr"
}

@test "lint: warnings alone exit 0; a clean directory prints nothing" {
	write_migration 20240101_001_a "alter table users drop column legacy;"
	run --separate-stderr flux lint
	assert_status 0
	assert_contains "$output" "migrations/20240101_001_a.sql:1:1: missing-lock-timeout: " "stdout"
	assert_contains "$output" "migrations/20240101_001_a.sql:1:19: drop-column-or-table: " "stdout"
	[ "$(printf '%s\n' "$output" | grep -c '^    hint: ')" -eq 2 ] || { show_run; false; }

	rm migrations/*.sql
	write_migration 20240101_001_a "create table t (id int);"
	run --separate-stderr flux lint
	assert_status 0
	assert_eq "$output" "" "stdout"
}

@test "lint: undo and repeatable migrations are checked too" {
	write_migration 20240101_001_a "create table t (id int);"
	write_undo 20240101_001_a "create index i on users (a);"
	write_pre 20240101_001_p "vacuum full t;"
	write_post 20240101_001_q "begin;"
	run --separate-stderr flux lint
	assert_status 10
	assert_contains "$output" "migrations/20240101_001_a.undo.sql:1:1: index-not-concurrent:" "stdout"
	assert_contains "$output" "migrations/pre-apply/20240101_001_p.sql:1:1: table-rewrite:" "stdout"
	assert_contains "$output" "migrations/post-apply/20240101_001_q.sql:1:1: transaction-control:" "stdout"
}

@test "lint: an undo may drop what its up created" {
	write_migration 20240101_001_a "create table t (id int);"
	write_undo 20240101_001_a "set local lock_timeout = '5s';
drop table t;"
	run --separate-stderr flux lint
	assert_status 0
	assert_eq "$output" "" "stdout"
	# The same text as an up migration is a finding.
	run --separate-stderr flux lint migrations/20240101_001_a.undo.sql
	assert_eq "$output" "" "stdout (a path named .undo.sql is an undo)"
	cp migrations/20240101_001_a.undo.sql drop.sql
	run --separate-stderr flux lint drop.sql
	assert_status 0
	assert_contains "$output" "drop.sql:2:1: drop-column-or-table:" "stdout"
}

@test "lint --format json: one valid object per finding" {
	cp "$LINT_FIXTURES/dangerous/add-column-volatile-default.sql" migrations/20240101_001_a.sql
	cp "$LINT_FIXTURES/dangerous/rename.sql" migrations/20240101_002_b.sql
	run --separate-stderr flux lint --format json
	assert_status 10
	local got
	got=$(json_check) || { show_run; false; }
	[ "$(printf '%s\n' "$got" | wc -l)" -eq 10 ] || { echo "$got"; show_run; false; }
	assert_contains "$got" "add-column-volatile-default 2 19 error" "findings"
	assert_contains "$got" "rename 4 21 warning" "findings"
	assert_contains "$output" '"file":"migrations/20240101_001_a.sql"' "stdout"
	# --format=json and text are accepted too; text is the default.
	run --separate-stderr flux lint --format=json migrations/20240101_002_b.sql
	assert_status 0
	got=$(json_check) || { show_run; false; }
	[ "$(printf '%s\n' "$got" | wc -l)" -eq 3 ] || { show_run; false; }
	run --separate-stderr flux lint --format text migrations/20240101_002_b.sql
	assert_contains "$output" "migrations/20240101_002_b.sql:2:19: rename: " "stdout"
}

@test "lint --format json: quotes, backslashes and non-ASCII in names stay valid JSON" {
	printf '%s\n' 'set local lock_timeout = '"'"'5s'"'"';' \
		'alter table "we""ird\\tâble" drop column "c""ol";' >'q "x".sql'
	run --separate-stderr flux lint --format json 'q "x".sql'
	assert_status 0
	json_check >/dev/null || { show_run; false; }
	assert_contains "$output" '"file":"q \"x\".sql"' "stdout"
	assert_contains "$output" "DROP COLUMN 'c\\\"ol' of existing table 'we\\\"ird\\\\\\\\tâble'" "stdout"
	# In text, a name holding a newline does not break the line.
	printf 'alter table t drop column "a\nb";\n' >nl.sql
	run --separate-stderr flux lint nl.sql
	assert_status 0
	assert_contains "$output" "nl.sql:1:15: drop-column-or-table: DROP COLUMN 'a\\x0ab' of existing table 't'" "stdout"
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ] || { show_run; false; }
}

@test "lint PATH...: only those files; a directory is read as a migration directory" {
	write_migration 20240101_001_a "vacuum full;"
	mkdir other
	printf 'cluster t;\n' >other/20240101_001_c.sql
	printf 'vacuum (full) t;\n' >loose.sql
	run --separate-stderr flux lint loose.sql
	assert_status 10
	assert_contains "$output" "loose.sql:1:1: table-rewrite:" "stdout"
	assert_not_contains "$output" "migrations/" "stdout"
	run --separate-stderr flux lint other -- loose.sql
	assert_status 10
	assert_contains "$output" "other/20240101_001_c.sql:1:1: table-rewrite:" "stdout"
	assert_contains "$output" "loose.sql:1:1: table-rewrite:" "stdout"
	assert_not_contains "$output" "migrations/" "stdout"
	# The directory setting is the default's source.
	rm migrations/*.sql
	run --separate-stderr flux lint --migration-directory other
	assert_status 10
	assert_contains "$output" "other/20240101_001_c.sql" "stdout"
}

@test "lint: bad inputs are exit 4 naming the file; usage errors exit 2" {
	run --separate-stderr flux lint nothere.sql
	assert_status 4
	assert_contains "$stderr" "nothere.sql" "stderr"
	printf 'select 1;\nselect '"'"'open;\n' >open.sql
	run --separate-stderr flux lint open.sql
	assert_status 4
	assert_contains "$stderr" "cannot lint migration 'open.sql': unterminated quoted string starting at line 2" "stderr"
	printf 'select 1; -- \xff\n' >bad.sql
	run --separate-stderr flux lint bad.sql
	assert_status 4
	assert_contains "$stderr" "bad.sql" "stderr"
	run --separate-stderr flux lint --migration-directory nodir
	assert_status 4
	assert_contains "$stderr" "nodir" "stderr"
	run --separate-stderr flux lint --format xml
	assert_status 2
	assert_contains "$stderr" "'xml'" "stderr"
	run --separate-stderr flux lint --bogus
	assert_status 2
	assert_contains "$stderr" "--bogus" "stderr"
}

@test "lint: -- flux:lint-ignore before a statement and in the file's first comment lines" {
	write_migration 20240101_001_a "set local lock_timeout = '5s';
-- flux:lint-ignore rename
alter table users rename column a to b;
alter table users rename column c to d;"
	write_migration 20240101_002_b "-- Renames, reviewed with the application team.
-- flux:lint-ignore rename, missing-lock-timeout

alter table users rename column e to f;
alter table users rename column g to h;"
	run --separate-stderr flux lint
	assert_status 0
	assert_eq "$output" "migrations/20240101_001_a.sql:4:19: rename: RENAME COLUMN 'c' of existing table 'users' breaks running code that uses the old name
    hint: add the new column (or a view for a table), write to both, move readers over, then drop the old name" "stdout"
}

@test "lint: an unknown rule in a comment is a warning; in the settings, exit 3" {
	write_migration 20240101_001_a "-- flux:lint-ignore table-rewrite,no-such-rule
vacuum full;"
	run --separate-stderr flux lint
	assert_status 0
	assert_contains "$stderr" "migrations/20240101_001_a.sql: unknown rule 'no-such-rule' in flux:lint-ignore at line 1" "stderr"

	run --separate-stderr env FLUX_LINT_IGNORE=rename,bogus "$FLUX_BIN" lint
	assert_status 3
	assert_contains "$stderr" "unknown rule 'bogus'" "stderr"
	assert_contains "$stderr" "FLUX_LINT_IGNORE" "stderr"
	printf '[flux]\nlint_ignore = "table_rewrite"\n' >flux.toml
	run --separate-stderr flux lint
	assert_status 3
	assert_contains "$stderr" "flux.toml:2" "stderr"
	assert_contains "$stderr" "unknown rule 'table_rewrite'" "stderr"
}

@test "lint: lint_ignore in the config file and FLUX_LINT_IGNORE" {
	write_migration 20240101_001_a "vacuum full;
alter table users drop column a;"
	run --separate-stderr flux lint
	assert_status 10
	printf '[flux]\nlint_ignore = "table-rewrite, drop-column-or-table"\n' >flux.toml
	run --separate-stderr flux lint
	assert_status 0
	assert_contains "$output" "missing-lock-timeout" "stdout"
	assert_not_contains "$output" "table-rewrite" "stdout"
	assert_not_contains "$output" "drop-column-or-table" "stdout"
	run --separate-stderr flux config
	assert_match "$output" "lint_ignore += table-rewrite,drop-column-or-table +# flux.toml:2" "config"
	# The environment overrides the file.
	run --separate-stderr env FLUX_LINT_IGNORE=missing-lock-timeout "$FLUX_BIN" lint
	assert_status 10
	assert_contains "$output" "table-rewrite" "stdout"
	assert_not_contains "$output" "missing-lock-timeout" "stdout"
}

@test "lint: the fixtures' dangerous files are found and their safe rewrites are clean" {
	local f
	for f in "$LINT_FIXTURES"/safe/*.sql; do
		run --separate-stderr flux lint "$f"
		[ "$status" -eq 0 ] && [ -z "$output" ] || { echo "safe: $f"; show_run; false; }
	done
	for f in "$LINT_FIXTURES"/dangerous/*.sql; do
		run --separate-stderr flux lint "$f"
		[ -n "$output" ] || { echo "dangerous: $f"; show_run; false; }
	done
}

@test "lint: the examples lint clean" {
	run --separate-stderr flux lint --migration-directory "$FLUX_REPO_ROOT/examples/migrations"
	assert_status 0
	assert_eq "$output" "" "stdout"
	assert_contains "$stderr" "6 files checked: 0 findings, 0 errors" "stderr"
}

@test "lint --help lists every rule; flux --help lists lint and exit code 10" {
	run --separate-stderr flux lint --help
	assert_status 0
	local r
	for r in index-not-concurrent concurrently-in-transaction constraint-not-valid \
		set-not-null column-type-change add-column-volatile-default add-column-required \
		unique-builds-index table-rewrite transaction-control rename drop-column-or-table \
		missing-lock-timeout; do
		assert_contains "$output" "$r" "lint --help"
	done
	run --separate-stderr flux --help
	assert_status 0
	assert_match "$output" "lint +check migrations" "flux --help"
	assert_match "$output" "10 +lint found a finding of severity error" "flux --help"
}

@test "lint: a lock_timeout in PGOPTIONS or the URL's options turns missing-lock-timeout off" {
	write_migration 20240101_001_a "alter table users add column bio text;"
	run --separate-stderr flux lint
	assert_contains "$output" "missing-lock-timeout" "stdout"
	run --separate-stderr env PGOPTIONS="-c lock_timeout=5s" "$FLUX_BIN" lint
	assert_status 0
	assert_eq "$output" "" "stdout"
	run --separate-stderr env PGOPTIONS="-c lock_timeout=0" "$FLUX_BIN" lint
	assert_contains "$output" "missing-lock-timeout" "stdout (a zero timeout is none)"
	run --separate-stderr env DATABASE_URL="${DATABASE_URL}?options=-c%20lock_timeout%3D2s" "$FLUX_BIN" lint
	assert_status 0
	assert_eq "$output" "" "stdout"
}
