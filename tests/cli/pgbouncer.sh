# shellcheck shell=bash
# PgBouncer (Debian's pgbouncer) in front of a test cluster, for
# tests/cli/pooler.bats: started on a free 127.0.0.1 port with its own
# directory, stopped and deleted by pgb_stop.
#
# Clients authenticate with scram-sha-256 against the plain-text password
# in its userlist.txt, which pgbouncer also uses for scram-sha-256 with the
# server. pgbouncer refuses to run as root, so as root it runs as the Debian
# `postgres` user, like the cluster (tests/cli/pgcluster.sh).
#
#   pgb_start MODE [SERVER_PORT]   pool_mode session|transaction|statement,
#                                  in front of 127.0.0.1:SERVER_PORT (default
#                                  the tests' cluster); exports PGB_PORT, PGB_DIR;
#                                  $PGB_EXTRA, if set, holds more [pgbouncer] lines
#   pgb_url [DB]                   a database URL through it
#   pgb_stop                       stop it, delete its directory

pgb_run() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$PGB_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$PGB_DIR" && "$@")
	fi
}

pgb_start() {
	local mode=$1 server_port=${2:-$FLUX_TEST_PGPORT} try port
	if ! command -v pgbouncer >/dev/null; then
		echo "pgbouncer: not installed (scripts/install-deps.sh installs it)" >&2
		return 1
	fi
	PGB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flux-pgb.XXXXXX") || return 1
	export PGB_DIR
	chmod 755 "$PGB_DIR"
	printf '"%s" "%s"\n' "$FLUX_TEST_PGUSER" "$FLUX_TEST_PGPASSWORD" >"$PGB_DIR/userlist.txt"
	[ "$(id -u)" = 0 ] && chown -R postgres: "$PGB_DIR"
	for try in 1 2 3 4 5; do
		port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
		cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$server_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $PGB_DIR/userlist.txt
pool_mode = $mode
default_pool_size = 40
max_client_conn = 400
pidfile = $PGB_DIR/pgbouncer.pid
logfile = $PGB_DIR/pgbouncer.log
ignore_startup_parameters = extra_float_digits
${PGB_EXTRA:-}
INI
		[ "$(id -u)" = 0 ] && chown postgres: "$PGB_DIR/pgbouncer.ini"
		if pgb_run pgbouncer -d -q "$PGB_DIR/pgbouncer.ini" 2>>"$PGB_DIR/start.log"; then
			for _ in $(seq 1 100); do
				if python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; then
					export PGB_PORT=$port
					return 0
				fi
				sleep 0.05
			done
		fi
		pgb_kill
		echo "pgbouncer: start on port $port failed (try $try)" >&2
	done
	cat "$PGB_DIR/start.log" "$PGB_DIR/pgbouncer.log" >&2 2>/dev/null
	return 1
}

pgb_url() {
	printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$FLUX_TEST_PGUSER" "$FLUX_TEST_PGPASSWORD" \
		"$PGB_PORT" "${1:-$FLUX_TEST_DB}"
}

# Stop the pgbouncer of $PGB_DIR (by its pid file) and wait until it is gone.
pgb_kill() {
	local pid
	[ -f "$PGB_DIR/pgbouncer.pid" ] || return 0
	pid=$(cat "$PGB_DIR/pgbouncer.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}

pgb_stop() {
	[ -n "${PGB_DIR:-}" ] && [ -d "$PGB_DIR" ] || return 0
	pgb_kill
	rm -rf "$PGB_DIR"
	unset PGB_DIR PGB_PORT
}
