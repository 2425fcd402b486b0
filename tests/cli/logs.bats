#!/usr/bin/env bats
# Logs (SPEC §5 "Logs"): text by default, one JSON object
# per stderr line with FLUX_LOG_FORMAT=json / --log-format json (ts, level,
# event, msg, plus id, ms, sqlstate...), durations and a summary line in
# both; --log-level; the password never appears.

load helper

# check_json_lines [REQUIRE...]: every stderr line is a JSON object with
# ts, level, event, msg (msg a string, level a known level, ts ISO 8601
# UTC); prints problems. The lines go to $BATS_TEST_TMPDIR/lines.jsonl.
check_json_lines() {
	printf '%s\n' "$stderr" >"$BATS_TEST_TMPDIR/lines.jsonl"
	python3 - "$BATS_TEST_TMPDIR/lines.jsonl" <<'EOF'
import json, re, sys
bad = 0
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
if not lines:
    print("no stderr lines at all"); sys.exit(1)
for n, l in enumerate(lines, 1):
    try:
        o = json.loads(l)
    except Exception as e:
        print(f"line {n} is not JSON ({e}): {l!r}"); bad = 1; continue
    if not isinstance(o, dict):
        print(f"line {n} is not an object: {l!r}"); bad = 1; continue
    for k in ("ts", "level", "event", "msg"):
        if k not in o:
            print(f"line {n} lacks {k}: {l!r}"); bad = 1
    if o.get("level") not in ("debug", "info", "warning", "error"):
        print(f"line {n} has level {o.get('level')!r}"); bad = 1
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)", str(o.get("ts", ""))):
        print(f"line {n} has ts {o.get('ts')!r}"); bad = 1
    if not isinstance(o.get("msg"), str) or not isinstance(o.get("event"), str):
        print(f"line {n}: msg/event not strings"); bad = 1
sys.exit(bad)
EOF
}

# json_query PYTHON-EXPR: evaluate over `objs` (the parsed stderr lines).
json_query() {
	python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
r = eval(sys.argv[2])
print(r if not isinstance(r, (list, dict, bool)) else json.dumps(r))
' "$BATS_TEST_TMPDIR/lines.jsonl" "$1"
}

two_migrations() {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
}

@test "FLUX_LOG_FORMAT=json: every stderr line is a JSON object with ts, level, event, msg" {
	two_migrations
	write_pre 20200101_000_pre "select 1;"
	run --separate-stderr env FLUX_LOG_FORMAT=json "$FLUX_BIN" apply
	assert_status 0
	check_json_lines || { show_run; false; }
	# applied events carry id and an integer ms
	assert_eq "$(json_query '[o["id"] for o in objs if o["event"] == "applied"]')" \
		'["20200101_001_a", "20200101_002_b"]' "ids of applied events"
	assert_eq "$(json_query 'all(isinstance(o.get("ms"), int) and o["ms"] >= 0 for o in objs if o["event"] == "applied")')" true "applied events have ms"
	# the summary
	assert_eq "$(json_query 'sum(1 for o in objs if o["msg"].startswith("applied 2 migrations in "))')" 1 "summary lines"
	assert_eq "$(json_query '[isinstance(o.get("ms"), int) for o in objs if o["msg"].startswith("applied 2 migrations in ")]')" '[true]' "summary has ms"
}

@test "--log-format json gives JSON too, and stdout stays plain command output" {
	two_migrations
	run --separate-stderr flux apply --dry-run --log-format json
	assert_status 0
	check_json_lines || { show_run; false; }
	assert_eq "$output" "apply 20200101_001_a
apply 20200101_002_b" "stdout"
	run --separate-stderr flux --log-format json apply
	assert_status 0
	check_json_lines || { show_run; false; }
}

@test "json: a failure is JSON on every line and carries the sqlstate" {
	printf 'create table e1 (id int);\nselect 1 from nosuch_table;\n' >migrations/20200101_001_bad.sql
	run --separate-stderr flux apply --log-format json
	assert_status 1
	check_json_lines || { show_run; false; }
	assert_eq "$(json_query '[o.get("sqlstate") for o in objs if o["level"] == "error"][0]')" 42P01 "sqlstate of the first error line"
	assert_eq "$(json_query 'any("nosuch_table" in o["msg"] for o in objs if o["level"] == "error")')" true "error names the relation"
	# the source line with its caret is there too, as JSON lines
	assert_eq "$(json_query 'any("| select 1 from nosuch_table;" in o["msg"] for o in objs)')" true "source line"
}

@test "json: a failure's error line carries id, file and line" {
	printf 'create table e1 (id int);\nselect 1 from nosuch_table;\n' >migrations/20200101_001_bad.sql
	run --separate-stderr flux apply --log-format json
	assert_status 1
	check_json_lines || { show_run; false; }
	assert_eq "$(json_query '[o for o in objs if o["event"] == "error"][0].get("id")')" 20200101_001_bad "id of the error event"
	assert_eq "$(json_query '[o for o in objs if o["event"] == "error"][0].get("file")')" migrations/20200101_001_bad.sql "file of the error event"
	assert_eq "$(json_query '[o for o in objs if o["event"] == "error"][0].get("line")')" 2 "line of the error event"
}

@test "json: quotes, backslashes, tabs and newlines in a NOTICE are escaped" {
	write_migration 20200101_001_n "do \$\$ begin raise notice E'q\"uote back\\\\slash\\ttab\\nnewline'; end \$\$;"
	run --separate-stderr flux apply --log-format json
	assert_status 0
	check_json_lines || { show_run; false; }
	assert_eq "$(json_query 'any("q\"uote back\\slash\ttab\nnewline" in o["msg"] and o.get("id") == "20200101_001_n" for o in objs)')" true "the notice, intact"
}

@test "json: a wait timeout and a refused connection are JSON lines too" {
	local port
	port=$(free_port)
	run --separate-stderr flux wait --wait-timeout 0 --log-format json \
		--database-url "postgresql://flux_test@127.0.0.1:$port/x"
	assert_status 6
	check_json_lines || { show_run; false; }
	run --separate-stderr flux wait --log-format json --database-url "$(db_url "$FLUX_TEST_DB" wrong_pw)"
	assert_status 7
	check_json_lines || { show_run; false; }
}

@test "text: each migration's duration and 'applied 2 migrations in N ms'" {
	two_migrations
	run --separate-stderr flux apply
	assert_status 0
	assert_match "$stderr" "applied 20200101_001_a in [0-9]+ ms" "stderr"
	assert_match "$stderr" "applied 20200101_002_b in [0-9]+ ms" "stderr"
	assert_match "$stderr" "applied 2 migrations in [0-9]+ ms" "stderr"
	# text lines are not JSON
	assert_not_contains "$stderr" '{"ts"' "stderr"
	assert_eq "$output" "" "stdout"
}

@test "text: a batch stopped by a failure summarises what was applied before it" {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_bad "select 1 from nosuch_table;"
	run --separate-stderr flux apply
	assert_status 1
	assert_match "$stderr" "applied 1 of 2 migrations before the failure" "stderr"
}

@test "--log-level warning hides info lines; FLUX_LOG_LEVEL=error hides warnings" {
	two_migrations
	run --separate-stderr flux apply --log-level warning
	assert_status 0
	assert_eq "$stderr" "" "stderr"
	assert_eq "$(history_count)" 2
	write_migration 20200101_003_w "do \$\$ begin raise warning 'a warning'; end \$\$;"
	run --separate-stderr env FLUX_LOG_LEVEL=error "$FLUX_BIN" apply
	assert_status 0
	assert_eq "$stderr" "" "stderr"
	# errors still show at level error
	write_migration 20200101_004_bad "select 1 from nosuch_table;"
	run --separate-stderr env FLUX_LOG_LEVEL=error "$FLUX_BIN" apply
	assert_status 1
	assert_contains "$stderr" "nosuch_table" "stderr"
}

@test "--log-level debug shows more than info" {
	write_migration 20200101_001_a "select 1;"
	write_migration 20200101_002_b "select 2;"
	run --separate-stderr flux apply
	local info_lines
	info_lines=$(printf '%s\n' "$stderr" | wc -l)
	run --separate-stderr flux rollback --all -y
	run --separate-stderr flux apply --log-level debug
	assert_status 0
	[ "$(printf '%s\n' "$stderr" | wc -l)" -gt "$info_lines" ] || { echo "debug shows no more than info" >&2; show_run; false; }
	assert_contains "$stderr" "debug" "stderr"
}

@test "the password never appears: debug logs, JSON, bad password, unreachable, key=value" {
	local pw=Sup3rS3cret_pw_9 port
	port=$(free_port)
	two_migrations
	# the test cluster's own password, in a successful debug run
	run --separate-stderr flux apply --log-level debug --database-url "$(db_url)"
	assert_status 0
	assert_not_contains "$output$stderr" "$FLUX_TEST_PASSWORD" "output"
	run --separate-stderr flux apply --log-level debug --log-format json --database-url "$(db_url)"
	assert_status 0
	assert_not_contains "$output$stderr" "$FLUX_TEST_PASSWORD" "output"
	# a wrong password
	run --separate-stderr flux apply --log-level debug --database-url "$(db_url "$FLUX_TEST_DB" "$pw")"
	assert_status 7
	assert_not_contains "$output$stderr" "$pw" "output"
	run --separate-stderr flux wait --log-format json --database-url "$(db_url "$FLUX_TEST_DB" "$pw")"
	assert_status 7
	assert_not_contains "$output$stderr" "$pw" "output"
	# unreachable
	run --separate-stderr flux wait --wait-timeout 0 --log-level debug \
		--database-url "postgresql://flux_test:$pw@127.0.0.1:$port/x"
	assert_status 6
	assert_not_contains "$output$stderr" "$pw" "output"
	# missing database, key=value form
	run --separate-stderr flux apply --log-level debug \
		--database-url "host=127.0.0.1 port=$FLUX_TEST_PGPORT user=$FLUX_TEST_PGUSER password=$pw dbname=no_such_db_x"
	assert_status 7
	assert_not_contains "$output$stderr" "$pw" "output"
	# a SQLAlchemy-style URL through the environment
	run --separate-stderr env DATABASE_URL="postgresql+asyncpg://flux_test:$pw@127.0.0.1:$port/x" \
		"$FLUX_BIN" wait --wait-timeout 0 --log-level debug
	assert_status 6
	assert_not_contains "$output$stderr" "$pw" "output"
}

@test "FLUX_LOG_FORMAT=JSON (any case) and FLUX_LOG_FORMAT_FILE: the earliest errors are JSON too" {
	local fmt
	for fmt in json JSON Json; do
		# an unknown option: found before anything else is read
		run --separate-stderr env FLUX_LOG_FORMAT="$fmt" "$FLUX_BIN" --no-such-option
		assert_status 2
		check_json_lines || { show_run; false; }
		assert_contains "$stderr" "no-such-option" "stderr"
	done
	printf 'JSON\n' >"$BATS_TEST_TMPDIR/format"
	run --separate-stderr env FLUX_LOG_FORMAT_FILE="$BATS_TEST_TMPDIR/format" "$FLUX_BIN" --no-such-option
	assert_status 2
	check_json_lines || { show_run; false; }
	run --separate-stderr env FLUX_LOG_FORMAT_FILE="$BATS_TEST_TMPDIR/format" FLUX_LOG_LEVEL=loud "$FLUX_BIN" status
	assert_status 3
	check_json_lines || { show_run; false; }
	run --separate-stderr flux --log-format JSON nosuchcommand
	assert_status 2
	check_json_lines || { show_run; false; }
	# and the whole run stays JSON once configured from the file
	two_migrations
	run --separate-stderr env FLUX_LOG_FORMAT_FILE="$BATS_TEST_TMPDIR/format" "$FLUX_BIN" apply
	assert_status 0
	check_json_lines || { show_run; false; }
}

@test "text: control characters in file names and values are escaped, one event one line" {
	local nl=$'\n' esc=$'\e'
	write_migration "20200101_001_a${nl}flux: error: forged" "create table a (id int);"
	write_migration "20200101_002_b${esc}[31mred" "create table b (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" '20200101_001_a\nflux: error: forged' "stderr"
	assert_contains "$stderr" '20200101_002_b\x1b[31mred' "stderr"
	assert_not_contains "$stderr" "$esc" "stderr"
	# every line starts as a flux line: the newline forged none
	local line
	while IFS= read -r line; do
		[[ $line == "flux: "* ]] || { echo "not a flux line: $line" >&2; show_run; false; }
		[[ $line != "flux: error: forged"* ]] || { echo "forged line: $line" >&2; show_run; false; }
	done <<<"$stderr"
	# a list in a message keeps a line per item; the name's newline stays escaped
	printf 'create table a (id bigint);\n' >"migrations/20200101_001_a${nl}flux: error: forged.sql"
	printf 'create table b (id bigint);\n' >"migrations/20200101_002_b${esc}[31mred.sql"
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" $'\nflux: error:   20200101_001_a\\nflux: error: forged: modified' "stderr"
	assert_contains "$stderr" $'\nflux: error:   20200101_002_b\\x1b[31mred: modified' "stderr"
	assert_eq "$(printf '%s\n' "$stderr" | grep -c '^flux: error: forged')" 0 "forged lines"
	# a value: an unknown option with a newline and a DEL
	run --separate-stderr flux $'--x\nflux: info: forged\x7f'
	assert_status 2
	assert_eq "$(printf '%s\n' "$stderr" | wc -l)" 1 "stderr lines"
	assert_contains "$stderr" '--x\nflux: info: forged\x7f' "stderr"
}
