#!/usr/bin/env bats
# Hot standbys: a streaming replica made with
# pg_basebackup -R from the tests' cluster (tests/cli/replica.sh). apply and
# rollback refuse a server in recovery with exit 7 before they take the lock
# or write anything; status, validate and --dry-run work there; the
# durability warning appears only when something could have been written
# (its presence after a write is tests/cli/durability.bats's).

load helper

setup_file() {
	flux_setup_file || return 1
	. "$BATS_TEST_DIRNAME/replica.sh"
	rep_clone standby || return 1
	rep_start || return 1
}

teardown_file() {
	. "$BATS_TEST_DIRNAME/replica.sh"
	rep_destroy
	flux_teardown_file
}

setup() {
	flux_setup
	. "$BATS_TEST_DIRNAME/replica.sh"
	STANDBY_URL=$(printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$FLUX_TEST_PGUSER" \
		"$FLUX_TEST_PASSWORD" "$REP_PORT" "$FLUX_TEST_DB")
}

# The standby is what the test thinks it is.
assert_standby() {
	assert_eq "$(rep_q 'select pg_is_in_recovery()')" t "pg_is_in_recovery() on the copy"
}

@test "standby: apply is exit 7 naming the standby and the primary, nothing written, no warning" {
	assert_standby
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux --database-url "$STANDBY_URL" apply
	assert_status 7
	assert_contains "$stderr" "the server at 127.0.0.1:$REP_PORT is a read-only standby (in recovery)"
	assert_contains "$stderr" "connect to the primary"
	assert_not_contains "$stderr" "durable"
	assert_not_contains "$stderr" "read-only transaction"
	assert_not_contains "$stderr" "$FLUX_TEST_PASSWORD"
	assert_no_history_table
	# no lock was taken on the standby either
	assert_eq "$(rep_q "select count(*) from pg_locks where locktype = 'advisory'")" 0 "advisory locks on the standby"
}

@test "standby: apply with nothing pending and rollback are refused too; status, validate and --dry-run work" {
	write_migration 20200101_001_a "create table a (id int);"
	write_undo 20200101_001_a "drop table a;"
	write_migration 20200101_002_b "create table b (id int);"
	run --separate-stderr flux apply 1
	assert_status 0
	rep_caught_up

	run --separate-stderr flux --database-url "$STANDBY_URL" status --format json
	assert_status 0
	assert_contains "$output" '"20200101_001_a"'
	assert_match "$output" '"state": ?"applied"'
	assert_match "$output" '"state": ?"pending"'
	run --separate-stderr flux --database-url "$STANDBY_URL" validate
	assert_status 0
	run --separate-stderr flux --database-url "$STANDBY_URL" apply --dry-run
	assert_status 0
	assert_contains "$output" "apply 20200101_002_b"

	run --separate-stderr flux --database-url "$STANDBY_URL" rollback 1 -y
	assert_status 7
	assert_contains "$stderr" "read-only standby"
	run --separate-stderr flux --database-url "$STANDBY_URL" apply
	assert_status 7
	assert_contains "$stderr" "read-only standby"

	# the primary is untouched, and applies the rest
	assert_eq "$(history_ids)" "20200101_001_a"
	relation_exists a
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a
20200101_002_b"
	run --separate-stderr flux --database-url "$STANDBY_URL" apply
	assert_status 7
}

@test "standby: validate finds a modified migration there: exit 5" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux apply
	assert_status 0
	psql_q "update _flux_migrations set hash = 'x'"
	rep_caught_up
	run --separate-stderr flux --database-url "$STANDBY_URL" validate
	assert_status 5
	assert_contains "$stderr" "20200101_001_a"
}

@test "read-only session: a migration refused as read-only is exit 1 without a durability warning" {
	write_migration 20200101_001_a "create table a (id int);"
	run --separate-stderr flux apply
	assert_status 0
	write_migration 20200101_002_b "create table b (id int);"
	PGOPTIONS="-c default_transaction_read_only=on" run --separate-stderr flux apply
	assert_status 1
	assert_contains "$stderr" "25006"
	assert_not_contains "$stderr" "durable"
	assert_no_relation b
	assert_eq "$(history_ids)" "20200101_001_a"
}
