#!/usr/bin/env bats
# flux wait, and the connection exit codes 6 and 7

load helper

@test "wait: exit 0 when the database is up" {
	run --separate-stderr flux wait
	assert_status 0
}

@test "wait: unreachable port with --wait-timeout 1s is exit 6 after about 1 s" {
	local port t0 t1
	port=$(free_port)
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 1s --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	t1=$(now_ms)
	assert_status 6
	[ $((t1 - t0)) -ge 900 ] || { echo "gave up after $((t1 - t0)) ms" >&2; false; }
	[ $((t1 - t0)) -lt 5000 ] || { echo "took $((t1 - t0)) ms" >&2; false; }
}

@test "FLUX_WAIT_TIMEOUT=0: try once, exit 6 at once" {
	local port t0 t1
	port=$(free_port)
	t0=$(now_ms)
	run --separate-stderr env FLUX_WAIT_TIMEOUT=0 "$FLUX_BIN" wait --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	t1=$(now_ms)
	assert_status 6
	[ $((t1 - t0)) -lt 2000 ]
}

@test "apply against an unreachable server is exit 6" {
	write_migration 20200101_001_a "select 1;"
	local port
	port=$(free_port)
	run --separate-stderr flux apply --wait-timeout 500ms --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	assert_status 6
}

@test "bad password: exit 7 quickly, not after the wait timeout" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 30s --database-url "$(db_url "$FLUX_TEST_DB" nope_pw)"
	t1=$(now_ms)
	assert_status 7
	[ $((t1 - t0)) -lt 5000 ]
	assert_icontains "$stderr" "password" "stderr"
	t0=$(now_ms)
	run --separate-stderr flux apply --wait-timeout 30s --database-url "$(db_url "$FLUX_TEST_DB" nope_pw)"
	t1=$(now_ms)
	assert_status 7
	[ $((t1 - t0)) -lt 5000 ]
}

@test "missing database: exit 7 quickly" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr flux apply --wait-timeout 30s --database-url "$(db_url no_such_database)"
	t1=$(now_ms)
	assert_status 7
	[ $((t1 - t0)) -lt 5000 ]
	assert_contains "$stderr" "no_such_database" "stderr"
}

@test "status and validate against an unreachable server: exit 6" {
	local port
	port=$(free_port)
	run --separate-stderr flux status --wait-timeout 0 --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	assert_status 6
	run --separate-stderr flux validate --wait-timeout 0 --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	assert_status 6
}

@test "a name that does not resolve is retried until the timeout (exit 6)" {
	run --separate-stderr flux wait --wait-timeout 1s --database-url "postgresql://flux_test@no-such-host.invalid:5432/x"
	assert_status 6
}

@test "sslmode=require against a server without TLS: exit 7 at once" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 30s --database-url "$(db_url)?sslmode=require"
	t1=$(now_ms)
	assert_status 7
	[ $((t1 - t0)) -lt 5000 ]
	assert_icontains "$stderr" "TLS" "stderr"
	assert_not_contains "$stderr" "$FLUX_TEST_PASSWORD" "stderr"
}

@test "SIGTERM while waiting for the database: exit 143 at once" {
	"$FLUX_BIN" wait --wait-timeout 30s --database-url "postgresql://u:p@nonexistent.invalid/x" </dev/null 2>/dev/null &
	local pid=$! t0 t1 rc=0
	sleep 0.5
	t0=$(now_ms)
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	t1=$(now_ms)
	[ "$rc" -eq 143 ]
	[ $((t1 - t0)) -lt 1000 ]
}
