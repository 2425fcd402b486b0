#!/usr/bin/env bats
# flux validate

load helper

three() {
	write_migration 20200101_001_a "create table a (id int);"
	write_migration 20200101_002_b "create table b (id int);"
	write_migration 20200101_003_c "create table c (id int);"
}

@test "validate: no history table is valid, and stays absent" {
	three
	run --separate-stderr flux validate
	assert_status 0
	assert_no_history_table
}

@test "validate: applied and pending migrations are valid" {
	three
	run --separate-stderr flux apply 2
	assert_status 0
	run --separate-stderr flux validate
	assert_status 0
}

@test "validate: missing applied migration is 5 and named" {
	three
	run --separate-stderr flux apply
	assert_status 0
	rm migrations/20200101_002_b.sql
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" "20200101_002_b" "stderr"
	assert_icontains "$stderr" "missing" "stderr"
}

@test "validate: migration inserted before the last applied is 5 and named" {
	three
	run --separate-stderr flux apply
	assert_status 0
	write_migration 20200101_002a_new "select 1;"
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" "20200101_002a_new" "stderr"
	assert_icontains "$stderr" "inserted" "stderr"
}

@test "validate: modified migration is 5 with both hashes" {
	three
	run --separate-stderr flux apply
	assert_status 0
	local old new
	old=$(md5_file migrations/20200101_001_a.sql)
	echo "-- edited" >>migrations/20200101_001_a.sql
	new=$(md5_file migrations/20200101_001_a.sql)
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" "20200101_001_a" "stderr"
	assert_icontains "$stderr" "modified" "stderr"
	assert_contains "$stderr" "$old" "stderr"
	assert_contains "$stderr" "$new" "stderr"
}

@test "validate: every problem is reported at once" {
	three
	run --separate-stderr flux apply
	assert_status 0
	echo "-- edited" >>migrations/20200101_001_a.sql
	rm migrations/20200101_002_b.sql
	write_migration 20200101_000_early "select 1;"
	run --separate-stderr flux validate
	assert_status 5
	assert_contains "$stderr" "20200101_001_a" "stderr"
	assert_contains "$stderr" "20200101_002_b" "stderr"
	assert_contains "$stderr" "20200101_000_early" "stderr"
}

@test "validate: a corrupted directory blocks apply and runs nothing (pre-apply neither)" {
	three
	run --separate-stderr flux apply 2
	assert_status 0
	echo "-- edited" >>migrations/20200101_001_a.sql
	write_pre 20200101_001_pre "create table pre_ran (id int);"
	run --separate-stderr flux apply
	assert_status 5
	assert_eq "$(history_count)" 2
	run relation_exists c
	[ "$status" -ne 0 ]
	run relation_exists pre_ran
	[ "$status" -ne 0 ]
}

@test "validate takes no lock" {
	three
	run --separate-stderr flux apply
	assert_status 0
	hold_lock 3589 30
	run --separate-stderr timeout 10 "$FLUX_BIN" validate
	release_lock
	assert_status 0
}

@test "validate: a recorded .py migration is accepted by id with a warning" {
	three
	run --separate-stderr flux apply
	assert_status 0
	rm migrations/20200101_002_b.sql
	printf 'def apply():\n    return "create table b (id int)"\n' >migrations/20200101_002_b.py
	run --separate-stderr flux validate
	assert_status 0
	assert_icontains "$stderr" "python" "stderr (warning)"
}
