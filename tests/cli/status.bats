#!/usr/bin/env bats
# flux status [--format table|json] [--exit-code]

load helper

three() {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
	write_migration 20200101_003_c "create table c (id int);"
}

# status_json_state ID: the state of ID in the JSON on stdin
json_state() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
for m in d["migrations"]:
    if m["id"] == sys.argv[1]:
        print(m["state"])
' "$1"
}

@test "status without a history table: all pending, creates nothing" {
	three
	run --separate-stderr flux status
	assert_status 0
	assert_icontains "${lines[0]}" "id" "header"
	assert_icontains "${lines[0]}" "state" "header"
	assert_match "$output" "20200101_001_a[[:space:]]+pending" "stdout"
	assert_match "$output" "20200101_003_c[[:space:]]+pending" "stdout"
	assert_eq "${#lines[@]}" 4 "number of stdout lines"
	assert_no_history_table
}

@test "status table: applied rows show applied_at, pending rows do not" {
	three
	run --separate-stderr flux apply 2
	assert_status 0
	run --separate-stderr flux status
	assert_status 0
	assert_match "$output" "20200101_001_a[[:space:]]+applied[[:space:]]+20[0-9]{2}-[0-9]{2}-[0-9]{2}" "stdout"
	assert_match "$output" "20200101_002_b[[:space:]]+applied[[:space:]]+20[0-9]{2}-" "stdout"
	assert_match "$output" "20200101_003_c[[:space:]]+pending" "stdout"
	local row
	row=$(printf '%s\n' "$output" | grep 20200101_003_c)
	assert_not_contains "${row#*20200101_003_c}" "20" "pending row after its id"
}

@test "status --format json" {
	three
	run --separate-stderr flux apply 1
	assert_status 0
	run --separate-stderr flux status --format json
	assert_status 0
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ms = d["migrations"]
assert [m["id"] for m in ms] == ["20200101_001_a", "20200101_002_b", "20200101_003_c"], ms
assert [m["state"] for m in ms] == ["applied", "pending", "pending"], ms
assert ms[0]["applied_at"] and ms[0]["applied_at"].startswith("20"), ms[0]
assert ms[1]["applied_at"] is None and ms[2]["applied_at"] is None
assert d["applied"] == 1 and d["pending"] == 2, d
'
}

@test "status --exit-code: 9 with pending migrations, 0 without" {
	three
	run --separate-stderr flux status --exit-code
	assert_status 9
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux status --exit-code
	assert_status 0
	run --separate-stderr flux status
	assert_status 0
}

@test "status shows modified, missing, out-of-order" {
	three
	run --separate-stderr flux apply
	assert_status 0
	echo "-- changed" >>migrations/20200101_001_a.sql
	rm migrations/20200101_002_b.sql
	write_migration 20200101_000_early "select 1;"
	run --separate-stderr flux status --format json
	[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || { show_run; false; }
	assert_eq "$(printf '%s' "$output" | json_state 20200101_001_a)" modified
	assert_eq "$(printf '%s' "$output" | json_state 20200101_002_b)" missing
	assert_eq "$(printf '%s' "$output" | json_state 20200101_000_early)" out-of-order
	assert_eq "$(printf '%s' "$output" | json_state 20200101_003_c)" applied
	run --separate-stderr flux status
	[ "$status" -eq 0 ] || [ "$status" -eq 5 ] || { show_run; false; }
	assert_match "$output" "20200101_001_a[[:space:]]+modified" "stdout"
	assert_match "$output" "20200101_002_b[[:space:]]+missing" "stdout"
	assert_match "$output" "20200101_000_early[[:space:]]+out-of-order" "stdout"
}

@test "status: a recorded .py migration is unverifiable, a pending .py is listed" {
	three
	run --separate-stderr flux apply
	assert_status 0
	rm migrations/20200101_003_c.sql
	printf 'def apply():\n    return "select 1"\n' >migrations/20200101_003_c.py
	printf 'def apply():\n    return "select 1"\n' >migrations/20200101_004_d.py
	run --separate-stderr flux status --format json
	assert_status 0
	assert_eq "$(printf '%s' "$output" | json_state 20200101_003_c)" unverifiable
	assert_eq "$(printf '%s' "$output" | json_state 20200101_004_d)" pending
}

@test "status is read-only and takes no lock" {
	three
	hold_lock 3589 30
	run --separate-stderr timeout 10 "$FLUX_BIN" status
	release_lock
	assert_status 0
	assert_no_history_table
}

@test "status --format yaml is a usage error" {
	run --separate-stderr flux status --format yaml
	assert_status 2
	assert_contains "$stderr" "yaml" "stderr"
}

@test "status with a missing migration directory is exit 4" {
	rmdir migrations
	run --separate-stderr flux status
	assert_status 4
}
