#!/usr/bin/env bats
# Waiting for the database (SPEC §5 "Waiting"): flux wait
# and the same wait before every database command; exit 6 (not reachable
# within the wait timeout) and 7 (refused: not retried).

load helper

teardown() {
	stop_forwarder
	stop_silent_listener
	release_lock
	if [ -n "${LIMITED_ROLE:-}" ]; then
		psql_q "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = '$LIMITED_ROLE'" >/dev/null
		psql_q "drop owned by $LIMITED_ROLE; drop role if exists $LIMITED_ROLE" >/dev/null
		LIMITED_ROLE=
	fi
}

# A listener on 127.0.0.1 that never answers: listen() with a backlog of
# 0 and one connection queued that nobody accepts, so the kernel drops
# every further SYN (the client sees no answer at all, as from a host
# behind a firewall). Sets SILENT_PORT.
start_silent_listener() {
	local ready=$BATS_TEST_TMPDIR/silent.port
	cat >"$BATS_TEST_TMPDIR/silent.py" <<'PY'
import socket, sys, time
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(0)
port = srv.getsockname()[1]
filler = socket.create_connection(("127.0.0.1", port))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(60)
PY
	python3 "$BATS_TEST_TMPDIR/silent.py" "$ready" </dev/null >/dev/null 2>&1 3>&- &
	SILENT_PID=$!
	wait_for_file "$ready"
	SILENT_PORT=$(cat "$ready")
}

stop_silent_listener() {
	if [ -n "${SILENT_PID:-}" ]; then
		kill "$SILENT_PID" 2>/dev/null || true
		wait "$SILENT_PID" 2>/dev/null || true
		SILENT_PID=
	fi
}

# A login role of its own at CONNECTION LIMIT 1 (dropped by teardown).
limited_role() {
	LIMITED_ROLE=flux_limited_$RANDOM
	psql_q "create role $LIMITED_ROLE login password 'limited_pw' connection limit 1;
		grant all on database $FLUX_TEST_DB to $LIMITED_ROLE;
		grant all on schema public to $LIMITED_ROLE" >/dev/null
}
limited_url() {
	printf 'postgresql://%s:limited_pw@127.0.0.1:%s/%s' "$LIMITED_ROLE" "$FLUX_TEST_PGPORT" "$FLUX_TEST_DB"
}
# hold_limited_session SECS: the role's one connection, busy for SECS.
hold_limited_session() {
	PGPASSWORD=limited_pw psql -X -w -q -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" -U "$LIMITED_ROLE" \
		-d "$FLUX_TEST_DB" -c "select pg_sleep($1)" >/dev/null 2>&1 3>&- &
	# shellcheck disable=SC2034 # release_lock (helper.bash) ends it
	LOCK_HOLDER_PID=$!
	local _
	for _ in $(seq 1 100); do
		[ "$(psql_q "select count(*) from pg_stat_activity where usename = '$LIMITED_ROLE'")" -ge 1 ] && return 0
		sleep 0.05
	done
	echo "the limited role's session did not start" >&2
	return 1
}

# A TCP forwarder 127.0.0.1:LPORT -> the test cluster: "a server that comes
# up later" without a second initdb. It writes READY once it listens.
start_forwarder() {
	local lport=$1 ready=$2
	cat >"$BATS_TEST_TMPDIR/forward.py" <<'EOF'
import socket, sys, threading
lport, tport, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport))
srv.listen(64)
open(ready, "w").close()

def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

while True:
    c, _ = srv.accept()
    try:
        u = socket.create_connection(("127.0.0.1", tport))
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOF
	python3 "$BATS_TEST_TMPDIR/forward.py" "$lport" "$FLUX_TEST_PGPORT" "$ready" \
		</dev/null >/dev/null 2>&1 3>&- &
	FORWARDER_PID=$!
}

stop_forwarder() {
	if [ -n "${FORWARDER_PID:-}" ]; then
		kill "$FORWARDER_PID" 2>/dev/null || true
		wait "$FORWARDER_PID" 2>/dev/null || true
		FORWARDER_PID=
	fi
}

# wait_for_file FILE [TRIES of 50 ms]
wait_for_file() {
	for _ in $(seq 1 "${2:-100}"); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1" >&2
	return 1
}

@test "wait: exit 0 at once on a live database, nothing on stdout" {
	local t0
	t0=$(now_ms)
	run --separate-stderr flux wait
	assert_status 0
	assert_eq "$output" "" "stdout"
	[ $(($(now_ms) - t0)) -lt 3000 ]
}

@test "wait: unreachable port with --wait-timeout 1s is exit 6 within 3 s, naming host:port" {
	local port t0 dt
	port=$(free_port)
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 1s --database-url "postgresql://flux_test@127.0.0.1:$port/x"
	dt=$(($(now_ms) - t0))
	assert_status 6
	[ "$dt" -ge 900 ] || { echo "gave up after $dt ms, before the 1 s timeout" >&2; false; }
	[ "$dt" -lt 3000 ] || { echo "took $dt ms" >&2; false; }
	assert_contains "$stderr" "127.0.0.1:$port" "stderr"
	assert_eq "$output" "" "stdout"
}

@test "FLUX_WAIT_TIMEOUT=0 tries once: exit 6 at once" {
	local port t0 dt
	port=$(free_port)
	t0=$(now_ms)
	run --separate-stderr env FLUX_WAIT_TIMEOUT=0 "$FLUX_BIN" wait \
		--database-url "postgresql://flux_test@127.0.0.1:$port/x"
	dt=$(($(now_ms) - t0))
	assert_status 6
	[ "$dt" -lt 1000 ] || { echo "took $dt ms" >&2; false; }
	assert_contains "$stderr" "127.0.0.1:$port" "stderr"
}

@test "wrong password: exit 7 well before the 60 s default wait timeout" {
	SECONDS=0
	run --separate-stderr flux wait --database-url "$(db_url "$FLUX_TEST_DB" wrong_pw_xyz)"
	local took=$SECONDS
	assert_status 7
	[ "$took" -lt 10 ] || { echo "took $took s: retried instead of failing at once" >&2; false; }
	assert_icontains "$stderr" "password authentication failed" "stderr"
	assert_not_contains "$stderr" "wrong_pw_xyz" "stderr"
}

@test "wrong password on apply: exit 7 quickly, nothing created" {
	write_migration 20200101_001_a "create table a (id int);"
	SECONDS=0
	run --separate-stderr flux apply --database-url "$(db_url "$FLUX_TEST_DB" wrong_pw_xyz)"
	local took=$SECONDS
	assert_status 7
	[ "$took" -lt 10 ]
	assert_no_history_table
}

@test "missing database: exit 7 well before the default wait timeout, naming it" {
	SECONDS=0
	run --separate-stderr flux wait --database-url "$(db_url no_such_db_here)"
	local took=$SECONDS
	assert_status 7
	[ "$took" -lt 10 ] || { echo "took $took s" >&2; false; }
	assert_contains "$stderr" "no_such_db_here" "stderr"
}

@test "a host name that does not resolve is retried until the timeout, then exit 6" {
	local t0 dt
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 1s \
		--database-url "postgresql://flux_test@nonexistent.invalid:5432/x"
	dt=$(($(now_ms) - t0))
	assert_status 6
	# retried (not refused at once as 7), and given up at the timeout
	[ "$dt" -ge 900 ] || { echo "gave up after $dt ms" >&2; false; }
	[ "$dt" -lt 4000 ] || { echo "took $dt ms" >&2; false; }
	assert_contains "$stderr" "nonexistent.invalid" "stderr"
}

@test "wait: a server that comes up later is noticed quickly, exit 0" {
	local port ready t_up t_end rc=0
	port=$(free_port)
	ready=$BATS_TEST_TMPDIR/ready
	timeout 30 "$FLUX_BIN" wait --wait-timeout 20s \
		--database-url "$(db_url "$FLUX_TEST_DB" | sed "s/:$FLUX_TEST_PGPORT\//:$port\//")" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	sleep 1
	# still waiting: nobody listens yet
	kill -0 "$pid"
	start_forwarder "$port" "$ready"
	wait_for_file "$ready"
	t_up=$(now_ms)
	wait "$pid" || rc=$?
	t_end=$(now_ms)
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	status=$rc
	assert_status 0
	# the backoff is capped at 250 ms: noticed well within a second
	[ $((t_end - t_up)) -lt 1500 ] || { echo "noticed $((t_end - t_up)) ms after the server came up" >&2; false; }
}

@test "apply waits for a server that comes up later, then applies" {
	local port ready rc=0
	write_migration 20200101_001_a "create table late_a (id int);"
	port=$(free_port)
	ready=$BATS_TEST_TMPDIR/ready
	timeout 30 "$FLUX_BIN" apply --wait-timeout 20s \
		--database-url "$(db_url "$FLUX_TEST_DB" | sed "s/:$FLUX_TEST_PGPORT\//:$port\//")" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	sleep 1
	kill -0 "$pid"
	start_forwarder "$port" "$ready"
	wait "$pid" || rc=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	status=$rc
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	relation_exists late_a
}

@test "wait: a progress line 'waiting for the database' after about 5 s" {
	local port
	port=$(free_port)
	run --separate-stderr flux wait --wait-timeout 5600ms \
		--database-url "postgresql://flux_test@127.0.0.1:$port/x"
	assert_status 6
	assert_contains "$stderr" "waiting for the database at 127.0.0.1:$port" "stderr"
}

@test "too many connections (53300, a role at its CONNECTION LIMIT): flux waits, and applies once the other session ends" {
	limited_role
	write_migration 20200101_001_a "create table limited_a (id int);"
	hold_limited_session 2
	local rc=0
	timeout 60 "$FLUX_BIN" apply --wait-timeout 30s --database-url "$(limited_url)" \
		</dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	sleep 1
	# still waiting (retried, not refused) while the session is held
	kill -0 "$pid"
	wait "$pid" || rc=$?
	status=$rc
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	assert_status 0
	assert_eq "$(history_ids)" "20200101_001_a"
	relation_exists limited_a
}

@test "too many connections until the wait timeout: exit 6 (not 7), naming SQLSTATE 53300" {
	limited_role
	write_migration 20200101_001_a "create table limited_a (id int);"
	hold_limited_session 30
	local t0 dt
	t0=$(now_ms)
	run --separate-stderr flux apply --wait-timeout 1s --database-url "$(limited_url)"
	dt=$(($(now_ms) - t0))
	assert_status 6
	[ "$dt" -ge 900 ] || { echo "gave up after $dt ms, before the timeout" >&2; false; }
	assert_contains "$stderr" "53300" "stderr"
	assert_contains "$stderr" "too many connections" "stderr"
	assert_no_history_table
}

@test "refusals stay exit 7 at once, with their SQLSTATE: missing database 3D000, wrong password 28P01" {
	local t0
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 30s --database-url "$(db_url no_such_db_3d)"
	assert_status 7
	assert_contains "$stderr" "SQLSTATE 3D000" "stderr"
	run --separate-stderr flux wait --wait-timeout 30s --database-url "$(db_url "$FLUX_TEST_DB" wrong_pw_28)"
	assert_status 7
	assert_contains "$stderr" "SQLSTATE 28P01" "stderr"
	assert_not_contains "$stderr" "wrong_pw_28" "stderr"
	[ $(($(now_ms) - t0)) -lt 10000 ]
}

@test "--wait-timeout 0 against a listener that never answers: one attempt, exit 6 within 2 s of slack" {
	start_silent_listener
	local t0 dt
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 0 \
		--database-url "postgresql://flux_test@127.0.0.1:$SILENT_PORT/x"
	dt=$(($(now_ms) - t0))
	assert_status 6
	[ "$dt" -lt 4000 ] || { echo "took $dt ms" >&2; false; }
	assert_contains "$stderr" "timeout expired" "stderr"
}

@test "--wait-timeout is a deadline: a two-host URL of silent listeners ends within the timeout + 2 s" {
	start_silent_listener
	local p1=$SILENT_PORT pid1=$SILENT_PID t0 dt
	SILENT_PID=
	start_silent_listener
	t0=$(now_ms)
	run --separate-stderr flux wait --wait-timeout 3s \
		--database-url "postgresql://flux_test@127.0.0.1:$p1,127.0.0.1:$SILENT_PORT/x"
	dt=$(($(now_ms) - t0))
	kill "$pid1"
	wait "$pid1" 2>/dev/null || true
	assert_status 6
	[ "$dt" -ge 2900 ] || { echo "gave up after $dt ms, before the timeout" >&2; false; }
	[ "$dt" -lt 6500 ] || { echo "took $dt ms" >&2; false; }
}

@test "a two-host URL whose first host never answers goes on to the second after connect_timeout" {
	start_silent_listener
	write_migration 20200101_001_a "create table second_host (id int);"
	local t0 dt url
	url="postgresql://$FLUX_TEST_PGUSER:$FLUX_TEST_PGPASSWORD@127.0.0.1:$SILENT_PORT,127.0.0.1:$FLUX_TEST_PGPORT/$FLUX_TEST_DB?connect_timeout=2"
	t0=$(now_ms)
	run --separate-stderr flux apply --wait-timeout 30s --database-url "$url"
	dt=$(($(now_ms) - t0))
	assert_status 0
	relation_exists second_host
	# about connect_timeout, and well before the wait timeout
	[ "$dt" -lt 10000 ] || { echo "took $dt ms" >&2; false; }
}
