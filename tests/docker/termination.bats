#!/usr/bin/env bats
# The Kubernetes termination message from the image: a file bind-mounted at
# /dev/termination-log, as the kubelet mounts it, gets flux's outcome in one
# line. The image under test is $FLUX_IMAGE (default
# k2bd/flux:dev, see helper.bash).

load helper

setup_file() {
	dk_setup_file || return 1
	[ -n "$DK_SKIP" ] && return 0
	dk_pg_start
}
setup() {
	dk_setup
	URL=$(dk_createdb "t$BATS_TEST_NUMBER")
	PROJ="$BATS_TEST_TMPDIR/proj"
	dk_project "$PROJ"
}
teardown() { dk_teardown; }
teardown_file() { dk_teardown_file; }

@test "docker run: the outcome lands in a bind-mounted /dev/termination-log, success and failure, no password" {
	local log="$BATS_TEST_TMPDIR/termination-log"
	: >"$log"
	chmod 666 "$log" # the kubelet's file is writable by the container's user
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	run dk_flux --read-only -v "$PROJ:/flux:ro" -v "$log:/dev/termination-log" -e DATABASE_URL="$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "termination log: $(cat "$log")"
	[ "$(cat "$log")" = "flux apply: applied 1 migration (last 001_a)" ]
	[ "$(wc -l <"$log")" -eq 1 ]

	dk_migration "$PROJ" 002_b 'select * from no_such_table;'
	run dk_flux --read-only -v "$PROJ:/flux:ro" -v "$log:/dev/termination-log" -e DATABASE_URL="$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	echo "termination log: $(cat "$log")"
	[[ "$(cat "$log")" == "flux apply failed: exit 1 (a migration failed and was rolled back; earlier ones stay applied): migration '002_b' failed"*'relation "no_such_table" does not exist'* ]]
	[ "$(wc -l <"$log")" -eq 1 ]
	[[ "$(cat "$log")" != *"$DK_PG_PASSWORD"* ]]

	# without the file (docker run as usual) flux writes nothing and says nothing about it
	run dk_flux --read-only -v "$PROJ:/flux:ro" -e DATABASE_URL="$URL" -- validate
	[ "$status" -eq 0 ]
	[[ "$output" != *termination* ]]
}
