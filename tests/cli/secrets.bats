#!/usr/bin/env bats
# Secrets: a password never appears in any output nor in
# /proc/PID/cmdline. A URL with more than one raw '@' is refused before any
# connection; a URL or conninfo given to the wrong option, setting or file
# variable is quoted redacted; no limit on how many passwords are hidden.

load helper

# assert_hidden PW...: exit status non-zero, "***" shown, no PW anywhere.
assert_hidden() {
	local pw
	[ "$status" -ne 0 ] || { echo "expected a failure" >&2; show_run; return 1; }
	assert_contains "$output$stderr" "***" "output"
	for pw in "$@"; do
		assert_not_contains "$output$stderr" "$pw" "output"
	done
}

@test "a raw '@' in the password: exit 3 before any connection, says %40, shows no part of it" {
	local url="postgresql://app:Tr0ub4dor@3xyzQ@db.invalid/app"
	write_migration 0001_a "create table a (id int);"
	# the environment, text logs (a wait timeout that would otherwise retry DNS)
	run --separate-stderr env DATABASE_URL="$url" FLUX_WAIT_TIMEOUT=60s "$FLUX_BIN" apply
	assert_status 3
	assert_contains "$stderr" "more than one '@'" "stderr"
	assert_contains "$stderr" "'%40'" "stderr"
	assert_contains "$stderr" "postgresql://app:***@db.invalid/app" "stderr"
	assert_hidden Tr0ub4dor 3xyzQ
	assert_not_contains "$stderr" "waiting" "stderr"
	# JSON logs, the flag and the URL argument
	run --separate-stderr flux apply --log-format json --wait-timeout 60s --database-url "$url"
	assert_status 3
	assert_hidden Tr0ub4dor 3xyzQ
	assert_contains "$stderr" '"level":"error"' "stderr"
	assert_contains "$stderr" "%40" "stderr"
	run --separate-stderr env FLUX_LOG_FORMAT=json "$FLUX_BIN" apply "$url"
	assert_status 3
	assert_hidden Tr0ub4dor 3xyzQ
	# '@' and '/' or '?' together, and a raw '@' in the user name
	for url in "postgresql://app:Tr0u/b4@3xyzQ@127.0.0.1:$FLUX_TEST_PGPORT/app" \
		"postgresql://app:Tr0u@b4?3xyzQ@127.0.0.1:$FLUX_TEST_PGPORT/app" \
		"postgresql+asyncpg://me@corp:Tr0ub4dor@127.0.0.1:$FLUX_TEST_PGPORT/app"; do
		run --separate-stderr flux apply --database-url "$url"
		assert_status 3
		assert_hidden Tr0u b4 3xyzQ
	done
	assert_no_history_table
	# written as %40, the same password is a password: refused by the server (7), not by flux
	run --separate-stderr flux apply --database-url \
		"postgresql://$FLUX_TEST_PGUSER:Tr0ub4dor%403xyzQ@127.0.0.1:$FLUX_TEST_PGPORT/$FLUX_TEST_DB"
	assert_status 7
	assert_not_contains "$output$stderr" Tr0ub4dor "output"
	assert_not_contains "$output$stderr" 3xyzQ "output"
}

@test "a URL given to the wrong option or as an extra argument is quoted redacted" {
	local pw=Wr0ngPlace_pw url
	url="postgresql://app:$pw@127.0.0.1:1/app"
	run --separate-stderr flux status --migration-directory "$url"
	assert_status 2
	assert_contains "$stderr" "not a database URL" "stderr"
	assert_hidden "$pw"
	run --separate-stderr flux status --wait-timeout "$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --lock-timeout="$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --log-level "$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --config "$url"
	assert_status 3
	assert_hidden "$pw"
	run --separate-stderr flux apply --dry-run="$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux apply "$url" "$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --format "mysql://app:$pw@db/app"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux "$url" status
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --databse-url="$url"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux status --log-format json --wait-timeout "$url"
	assert_status 2
	assert_hidden "$pw"
	# the URL itself where the path of its secrets file was meant
	run --separate-stderr env FLUX_DATABASE_URL_FILE="$url" "$FLUX_BIN" status
	assert_status 3
	assert_hidden "$pw"
	run --separate-stderr env FLUX_CONFIG="$url" "$FLUX_BIN" status
	assert_status 3
	assert_hidden "$pw"
	# another scheme is redacted too
	run --separate-stderr flux status --wait-timeout "mysql://app:$pw@db/app"
	assert_status 2
	assert_hidden "$pw"
}

@test "a key=value string with password= in another setting is quoted redacted" {
	local pw=Kv_s3cret_pw
	run --separate-stderr env FLUX_MIGRATIONS_SCHEMA="host=db password=$pw" "$FLUX_BIN" status
	assert_status 3
	assert_hidden "$pw"
	run --separate-stderr env FLUX_WAIT_TIMEOUT="host=db password='$pw x'" "$FLUX_BIN" status
	assert_status 3
	assert_hidden "$pw"
	printf '[flux]\nlog_level = "host=db password=%s"\n' "$pw" >flux.toml
	run --separate-stderr flux status
	assert_status 3
	assert_contains "$stderr" "flux.toml:2" "stderr"
	assert_hidden "$pw"
	rm flux.toml
	run --separate-stderr flux status --lock-timeout "dbname=x PASSWORD=$pw"
	assert_status 2
	assert_hidden "$pw"
	run --separate-stderr flux apply "host=db password=$pw"
	assert_status 2
	assert_hidden "$pw"
}

@test "every password of a long conninfo is hidden: no limit on how many" {
	local conninfo="host=127.0.0.1 port=1" i
	for i in $(seq 1 40); do
		conninfo+=" password=Many_pw_$i"
	done
	conninfo+=" garbage"
	run --separate-stderr flux status --database-url "$conninfo"
	assert_status 3
	assert_contains "$stderr" "invalid database URL" "stderr"
	for i in 1 16 17 18 40; do
		assert_not_contains "$output$stderr" "Many_pw_$i" "output"
	done
}

# wait_for_line FILE TEXT: up to 30 s for TEXT to appear in FILE.
wait_for_line() {
	local i
	for i in $(seq 1 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "'$2' never appeared in $1" >&2
	cat "$1" >&2
	return 1
}

@test "the password is gone from /proc/PID/cmdline while flux waits" {
	local port pid cmdline
	port=$(free_port)
	# three forms at once: --database-url URL, --database-url=key=value, the URL argument
	"$FLUX_BIN" status --wait-timeout 60s \
		--database-url "postgresql://app:Argv_pw_one@127.0.0.1:$port/app" \
		--database-url="host=127.0.0.1 port=$port password=Argv_pw_two" \
		"postgresql://app:Argv_pw_three@127.0.0.1:$port/app" \
		</dev/null 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	# the first progress line: flux is in its wait loop, long past parsing
	wait_for_line "$BATS_TEST_TMPDIR/err" "waiting for the database" || { kill "$pid"; return 1; }
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	kill -TERM "$pid"
	wait "$pid" || true
	# the right process, arguments still there
	assert_contains "$cmdline" "status --wait-timeout 60s" "cmdline"
	assert_contains "$cmdline" "127.0.0.1:$port/app" "cmdline"
	assert_contains "$cmdline" "postgresql://app:*************@127.0.0.1:$port/app" "cmdline"
	local pw
	for pw in Argv_pw_one Argv_pw_two Argv_pw_three; do
		assert_not_contains "$cmdline" "$pw" "cmdline"
	done
}
