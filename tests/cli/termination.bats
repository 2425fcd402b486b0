#!/usr/bin/env bats
# The Kubernetes termination message: flux writes its final
# outcome in one line to FLUX_TERMINATION_LOG (here a temp file; by default
# /dev/termination-log, see tests/docker/termination.bats), on success and
# on failure, never a password, at most 4096 bytes; a file it cannot write
# is a warning and never changes the exit code.

load helper

teardown() { teardown_bg KILL; }

setup() {
	flux_setup
	TERM_LOG=$BATS_TEST_TMPDIR/termination-log
	export FLUX_TERMINATION_LOG=$TERM_LOG
}

# The file holds exactly one line, ended by a newline; prints it.
term_line() {
	[ -f "$TERM_LOG" ] || { echo "no termination log written" >&2; return 1; }
	local lines
	lines=$(wc -l <"$TERM_LOG")
	[ "$lines" = 1 ] || { echo "termination log has $lines newlines:" >&2; cat "$TERM_LOG" >&2; return 1; }
	[ "$(tail -c1 "$TERM_LOG" | od -An -c | tr -d ' ')" = '\n' ] || { echo "no final newline" >&2; return 1; }
	head -n1 "$TERM_LOG"
}

@test "success: what was applied, in one line" {
	write_migration 0001_a "create table a (id int);"
	write_migration 0002_b "create table b (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(term_line)" "flux apply: applied 2 migrations (last 0002_b)" "termination message"
	# nothing to do is a success too; the old message is replaced, not appended to
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(term_line)" "flux apply: no migrations to apply (2 applied)" "termination message"
	run --separate-stderr flux validate
	assert_status 0
	assert_eq "$(term_line)" "flux validate: succeeded" "termination message"
}

@test "a failing migration: the exit code and its meaning, the migration ID, the first line of the error, no password" {
	write_migration 0001_a "create table a (id int);"
	write_migration 0002_b "select 1;
select * from no_such_table;"
	run --separate-stderr flux apply
	assert_status 1
	local line
	line=$(term_line)
	assert_contains "$line" "flux apply failed: exit 1 (a migration failed and was rolled back; earlier ones stay applied)" "termination message"
	assert_contains "$line" "'0002_b'" "termination message"
	assert_contains "$line" 'relation "no_such_table" does not exist' "termination message"
	assert_contains "$line" "42P01" "termination message"
	# only the first line: not the source line with its caret
	assert_not_contains "$line" "^" "termination message"
	assert_not_contains "$line" "$FLUX_TEST_PASSWORD" "termination message"
	assert_eq "$(history_ids)" "0001_a"
}

@test "configuration errors: exit 3 with the message, the URL's password redacted" {
	write_migration 0001_a "create table a (id int);"
	FLUX_WAIT_TIMEOUT=soon run --separate-stderr flux apply
	assert_status 3
	assert_eq "$(term_line)" "flux apply failed: exit 3 (configuration error): invalid wait_timeout 'soon' in FLUX_WAIT_TIMEOUT: expected a duration: 500ms, 30s, 2m or seconds" "termination message"
	DATABASE_URL='postgresql://app:s3cr3t_pw@db:notaport/app' run --separate-stderr flux apply
	assert_status 3
	assert_contains "$(term_line)" "exit 3 (configuration error)" "termination message"
	assert_not_contains "$(cat "$TERM_LOG")" "s3cr3t_pw" "termination message"
	# usage errors, before any configuration, are reported too
	run --separate-stderr flux apply --bogus
	assert_status 2
	assert_contains "$(term_line)" "flux apply failed: exit 2 (usage error): apply: unexpected argument '--bogus'" "termination message"
}

@test "a refused login: exit 7, no password" {
	write_migration 0001_a "create table a (id int);"
	DATABASE_URL=$(db_url "$FLUX_TEST_DB" wrong_pw_456) run --separate-stderr flux apply
	assert_status 7
	assert_contains "$(term_line)" "flux apply failed: exit 7 (database refused us)" "termination message"
	assert_not_contains "$(cat "$TERM_LOG")" "wrong_pw_456" "termination message"
	assert_not_contains "$(cat "$TERM_LOG")" "$FLUX_TEST_PASSWORD" "termination message"
}

@test "interrupted by SIGTERM during a migration: exit 143 in the message" {
	write_migration 0001_a "create table a (id int);"
	write_migration 0002_b "select pg_sleep(30);"
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(30)%'
	kill -TERM "$BG_PID"
	status=0
	wait "$BG_PID" || status=$?
	assert_status 143
	local line
	line=$(term_line)
	assert_contains "$line" "flux apply failed: exit 143 (interrupted by SIGTERM)" "termination message"
	assert_contains "$line" "0002_b" "termination message"
}

# The signal path ends the run itself, from the handler, when nothing
# else can: no connection yet, the rollback unanswered after 1.5 s, or a
# second signal. It writes the message too (prepared beforehand).
@test "interrupted while waiting for the server: the signal path writes the message" {
	local port
	port=$(free_port)
	bg_flux flux --database-url "postgresql://u:pw@127.0.0.1:$port/x" --wait-timeout 30s apply
	sleep 0.5
	kill -TERM "$BG_PID"
	status=0
	wait "$BG_PID" || status=$?
	assert_status 143
	assert_eq "$(term_line)" "flux apply failed: exit 143 (interrupted by SIGTERM): no database connection was open: stopped at once"
}

@test "interrupted while the backend is frozen: after 1.5 s, and at a second signal, the message says so" {
	local bpid sig
	write_migration 0001_a "select pg_sleep(30);"
	for sig in TERM INT; do
		reset_db
		rm -f "$TERM_LOG"
		bg_flux flux apply
		wait_for_flux_query '%pg_sleep(30)%'
		bpid=$(psql_q "select pid from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid() limit 1")
		kill -STOP "$bpid"
		STOPPED_PID=$bpid
		kill "-$sig" "$BG_PID"
		# TERM: the deadline ends it; INT: a second INT does, at once.
		if [ "$sig" = INT ]; then
			sleep 0.2
			kill -INT "$BG_PID"
		fi
		status=0
		wait "$BG_PID" || status=$?
		kill -CONT "$bpid"
		# shellcheck disable=SC2034 # read by teardown_bg in helper.bash
		STOPPED_PID=
		# shellcheck disable=SC2034 # read by teardown_bg in helper.bash
		BG_PIDS=
		if [ "$sig" = TERM ]; then
			assert_status 143
			assert_contains "$(term_line)" "flux apply failed: exit 143 (interrupted by SIGTERM): the cancelled migration's rollback was not confirmed within 1.5 s" "termination message"
		else
			assert_status 130
			assert_contains "$(term_line)" "flux apply failed: exit 130 (interrupted by SIGINT): a second signal: stopped at once" "termination message"
		fi
	done
}

@test "a file flux cannot write: a warning, the exit code unchanged" {
	write_migration 0001_a "create table a (id int);"
	mkdir "$BATS_TEST_TMPDIR/adir"
	FLUX_TERMINATION_LOG=$BATS_TEST_TMPDIR/adir run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" "warning: cannot write the termination message to '$BATS_TEST_TMPDIR/adir': Is a directory" "stderr"
	assert_eq "$(history_ids)" "0001_a"
	# a write that fails (a full disk) after the open succeeded
	FLUX_TERMINATION_LOG=/dev/full run --separate-stderr flux apply
	assert_status 0
	assert_contains "$stderr" "cannot write the termination message to '/dev/full': No space left on device" "stderr"
	# and a failing run keeps its own exit code
	FLUX_TERMINATION_LOG=$BATS_TEST_TMPDIR/no/such/dir/log FLUX_WAIT_TIMEOUT=soon run --separate-stderr flux apply
	assert_status 3
	assert_contains "$stderr" "cannot write the termination message to '$BATS_TEST_TMPDIR/no/such/dir/log': No such file or directory" "stderr"
	assert_contains "$stderr" "invalid wait_timeout" "stderr"
}

@test "a long error is cut to 4096 bytes, still one line" {
	write_migration 0001_a "do \$\$ begin raise exception 'long: %', repeat('é', 5000); end \$\$;"
	run --separate-stderr flux apply
	assert_status 1
	local line
	line=$(term_line)
	assert_eq "$(wc -c <"$TERM_LOG")" 4096 "termination log size"
	assert_contains "$line" "long: éé" "termination message"
	[[ $line == *"..." ]] || { echo "no ... at the cut: ${line: -20}" >&2; false; }
	# cut between characters: the file is valid UTF-8
	iconv -f UTF-8 -t UTF-8 "$TERM_LOG" >/dev/null
}

@test "flux config shows the setting and where it came from" {
	run --separate-stderr flux config
	assert_status 0
	assert_match "$output" "termination_log.*$TERM_LOG" "config"
	assert_contains "$output" "FLUX_TERMINATION_LOG" "config"
	unset FLUX_TERMINATION_LOG
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$output" "/dev/termination-log when it exists and is writable" "config"
}

@test "--help and --version write nothing" {
	run --separate-stderr flux --version
	assert_status 0
	run --separate-stderr flux apply --help
	assert_status 0
	[ ! -e "$TERM_LOG" ] || { echo "termination log written:" >&2; cat "$TERM_LOG" >&2; false; }
}
