#!/usr/bin/env bats
# Errors from the server (SPEC §5 "Errors from the server"):
# file:line:col mapped from the server's position, SQLSTATE, message,
# detail, hint, the offending source line with a caret; NOTICEs logged.

load helper

write_raw() {
	printf '%b' "$2" >"migrations/$1.sql"
}

# stderr without the "flux: error: " prefixes, for exact line checks.
err_lines() {
	printf '%s\n' "$stderr" | sed -e 's/^flux: error: //'
}

# assert_caret_under TEXT: the caret line after the source line containing
# TEXT points at the first character of TEXT.
assert_caret_under() {
	local lines src caret want got
	lines=$(err_lines)
	src=$(printf '%s\n' "$lines" | grep -F -- "$1" | grep -F ' | ' | head -1)
	caret=$(printf '%s\n' "$lines" | grep -F -A1 -- "$src" | tail -1)
	want=${src%%"$1"*}
	want=${#want}
	got=${caret%%^*}
	got=${#got}
	if [ -z "$src" ] || [[ $caret != *"^" ]] || [ "$want" != "$got" ]; then
		echo "caret not under '$1' (source at $want, caret at $got):" >&2
		printf '%s\n%s\n' "$src" "$caret" >&2
		show_run
		return 1
	fi
}

@test "a failing migration reports path:line:col, SQLSTATE, the source line and a caret" {
	write_raw 20200101_001_bad 'create table e1 (id int);\ninsert into e1 values (1);\nselect 1 from nosuch_table;\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$output" "" "stdout"
	assert_contains "$stderr" "20200101_001_bad" "stderr"
	assert_contains "$stderr" "migrations/20200101_001_bad.sql:3:15" "stderr"
	assert_contains "$stderr" "SQLSTATE 42P01" "stderr"
	assert_contains "$stderr" 'relation "nosuch_table" does not exist' "stderr"
	assert_contains "$(err_lines)" "  3 | select 1 from nosuch_table;" "stderr"
	assert_contains "$(err_lines)" "    |               ^" "stderr"
	assert_caret_under "nosuch_table;"
	# the whole migration was rolled back
	assert_no_relation e1
	assert_eq "$(history_count)" 0
}

@test "columns count characters, not bytes (UTF-8 before the error)" {
	write_raw 20200101_001_bad '-- ünïcödé ✓ comment\nselect '\''ééé'\'', nosuchcol;\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_bad.sql:2:15" "stderr"
	assert_contains "$stderr" "SQLSTATE 42703" "stderr"
	assert_caret_under "nosuchcol;"
}

@test "a leading BOM: line and column still right" {
	write_raw 20200101_001_bom '\xef\xbb\xbfselect 1 from nosuch_table;\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_bom.sql:1:15" "stderr"
	assert_caret_under "nosuch_table;"
	write_raw 20200101_001_bom '\xef\xbb\xbfselect 1;\nselect  nosuchcol;\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_bom.sql:2:9" "stderr"
	assert_caret_under "nosuchcol;"
}

@test "CRLF line endings: the line number is still right" {
	write_raw 20200101_001_crlf 'select 1;\r\nselect 2;\r\nselect 1 from nosuch_table;\r\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_crlf.sql:3:15" "stderr"
}

@test "a syntax error reports its position" {
	write_raw 20200101_001_syntax 'create table ok1 (id int);\n\ncreate tabel oops (id int);\n'
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_syntax.sql:3:8" "stderr"
	assert_contains "$stderr" "SQLSTATE 42601" "stderr"
	assert_caret_under "tabel oops"
}

@test "a unique violation reports the server's DETAIL" {
	write_migration 20200101_001_dup "create table u (id int primary key); insert into u values (1); insert into u values (1);"
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "SQLSTATE 23505" "stderr"
	assert_contains "$stderr" "detail: Key (id)=(1) already exists." "stderr"
	assert_no_relation u
}

@test "dropping a column a view depends on reports DETAIL and HINT" {
	write_migration 20200101_001_t "create table t (a int, b int); create view v as select b from t;"
	write_migration 20200101_002_drop "alter table t drop column b;"
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "SQLSTATE 2BP01" "stderr"
	assert_contains "$stderr" "detail: view v depends on column b of table t" "stderr"
	assert_contains "$stderr" "hint: Use DROP ... CASCADE" "stderr"
	assert_eq "$(history_ids)" "20200101_001_t"
}

@test "a RAISE EXCEPTION with DETAIL and HINT is reported with both" {
	write_migration 20200101_001_raise "do \$\$ begin raise exception 'custom failure' using detail = 'custom detail text', hint = 'custom hint text', errcode = 'P0099'; end \$\$;"
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "custom failure" "stderr"
	assert_contains "$stderr" "SQLSTATE P0099" "stderr"
	assert_contains "$stderr" "detail: custom detail text" "stderr"
	assert_contains "$stderr" "hint: custom hint text" "stderr"
}

@test "errors in pre-apply and undo files name those files" {
	write_pre 20200101_000_pre "select 1;
select nosuchcol_pre;"
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "migrations/pre-apply/20200101_000_pre.sql:2:8" "stderr"
	rm migrations/pre-apply/20200101_000_pre.sql
	write_undo 20200101_001_a "drop table a;
select nosuchcol_undo;"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback 1 -y
	assert_status 1
	assert_contains "$stderr" "migrations/20200101_001_a.undo.sql:2:8" "stderr"
	relation_exists a
}

@test "a server NOTICE raised by a migration is logged with the migration id" {
	write_migration 20200101_001_hello "do \$\$ begin raise notice 'hello from migration'; end \$\$;"
	run --separate-stderr flux apply
	assert_status 0
	local line
	line=$(printf '%s\n' "$stderr" | grep -F "hello from migration")
	assert_contains "$line" "20200101_001_hello" "the notice line"
	assert_icontains "$line" "notice" "the notice line"
}

@test "a RAISE WARNING is logged as a warning with the migration id" {
	write_migration 20200101_001_warn "do \$\$ begin raise warning 'careful now'; end \$\$;"
	run --separate-stderr flux apply
	assert_status 0
	local line
	line=$(printf '%s\n' "$stderr" | grep -F "careful now")
	assert_contains "$line" "20200101_001_warn" "the warning line"
	assert_icontains "$line" "warning" "the warning line"
	# still shown when info lines are hidden
	write_migration 20200101_002_warn2 "do \$\$ begin raise warning 'careful again'; raise notice 'quiet notice'; end \$\$;"
	run --separate-stderr flux apply --log-level warning
	assert_status 0
	assert_contains "$stderr" "careful again" "stderr"
	assert_not_contains "$stderr" "quiet notice" "stderr"
}

@test "a NOTICE from a pre-apply migration names it" {
	write_pre 20200101_000_pre "do \$\$ begin raise notice 'notice from pre'; end \$\$;"
	run --separate-stderr flux apply
	assert_status 0
	local line
	line=$(printf '%s\n' "$stderr" | grep -F "notice from pre")
	assert_contains "$line" "20200101_000_pre" "the notice line"
}
