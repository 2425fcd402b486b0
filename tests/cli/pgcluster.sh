# shellcheck shell=bash
# A private, throw-away PostgreSQL 15 cluster for the end-to-end tests.
#
# Sourced by scripts/run-tests.sh (one cluster for the whole run) and by
# tests/cli/setup_suite.bash / helper.bash (when bats is run by hand).
# pgc_start creates and starts it and exports FLUX_TEST_PG* for the tests;
# pgc_stop stops it and deletes its directory. The cluster listens on
# 127.0.0.1 only, on a free port, with its socket in its own directory,
# scram-sha-256 authentication for everyone (the tests check exit code 7 on
# a bad password) and fsync off (see FLUX_TEST_PGDURABLE). initdb and postgres refuse to run as root,
# so as root the cluster belongs to the Debian `postgres` user.
#
# FLUX_TEST_PGCONF, when set before pgc_start, holds extra postgresql.conf
# lines (e.g. ssl = on, ssl_cert_file, hba_file for tests/cli/tls.bats);
# files it names must be readable by the server's user.

PGC_BIN=${PGC_BIN:-}
if [ -z "$PGC_BIN" ]; then
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ]; then
			PGC_BIN=$d
			break
		fi
	done
fi

# Durability settings: off by default for speed. A test that crashes the
# server to check what survives sets FLUX_TEST_PGDURABLE=1 before pgc_start, for a
# server with PostgreSQL's defaults (fsync and synchronous_commit on).
FLUX_TEST_PGDURABLE=${FLUX_TEST_PGDURABLE:-0}

PGC_USER=flux_test
PGC_PASSWORD=flux_pw_123

# A TCP port on 127.0.0.1 that nobody listens on right now.
pgc_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Run a PostgreSQL server binary as a user it accepts.
pgc_run() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$FLUX_TEST_PGDIR" && runuser -u postgres -- "$@")
	else
		(cd "$FLUX_TEST_PGDIR" && "$@")
	fi
}

# pgc_server_start PORT: start the server of the cluster in
# $FLUX_TEST_PGDIR (created by pgc_start) on PORT; also to start it again
# after a test stopped it.
pgc_server_start() {
	local fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	[ "$FLUX_TEST_PGDURABLE" = 1 ] && fast=""
	pgc_run "$PGC_BIN/pg_ctl" -D "$FLUX_TEST_PGDIR/data" \
		-l "$FLUX_TEST_PGDIR/server.log" -w -t 60 \
		-o "-p $1 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$FLUX_TEST_PGDIR $fast -c max_connections=100 -c log_min_messages=warning" \
		start
}

pgc_start() {
	if [ -z "$PGC_BIN" ] || [ ! -x "$PGC_BIN/initdb" ]; then
		echo "pgcluster: PostgreSQL server binaries not found (install postgresql-15)" >&2
		return 1
	fi
	FLUX_TEST_PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/flux-pg.XXXXXX") || return 1
	chmod 755 "$FLUX_TEST_PGDIR"
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$FLUX_TEST_PGDIR" || return 1
	fi
	printf '%s\n' "$PGC_PASSWORD" >"$FLUX_TEST_PGDIR/pwfile"
	[ "$(id -u)" = 0 ] && chown postgres: "$FLUX_TEST_PGDIR/pwfile"

	if ! pgc_run "$PGC_BIN/initdb" -D "$FLUX_TEST_PGDIR/data" -U "$PGC_USER" \
		--pwfile="$FLUX_TEST_PGDIR/pwfile" --auth=scram-sha-256 \
		--encoding=UTF8 --locale=C --no-sync >"$FLUX_TEST_PGDIR/initdb.log" 2>&1; then
		echo "pgcluster: initdb failed:" >&2
		cat "$FLUX_TEST_PGDIR/initdb.log" >&2
		return 1
	fi
	if [ -n "${FLUX_TEST_PGCONF:-}" ]; then
		printf '%s\n' "$FLUX_TEST_PGCONF" >>"$FLUX_TEST_PGDIR/data/postgresql.conf"
	fi

	local try port
	for try in 1 2 3 4 5; do
		port=$(pgc_free_port) || return 1
		if pgc_server_start "$port" >"$FLUX_TEST_PGDIR/pg_ctl.log" 2>&1; then
			export FLUX_TEST_PGDIR
			export FLUX_TEST_PGPORT=$port
			export FLUX_TEST_PGHOST=127.0.0.1
			export FLUX_TEST_PGUSER=$PGC_USER
			export FLUX_TEST_PGPASSWORD=$PGC_PASSWORD
			export FLUX_TEST_PGBIN=$PGC_BIN
			return 0
		fi
		echo "pgcluster: start on port $port failed (try $try)" >&2
	done
	cat "$FLUX_TEST_PGDIR/pg_ctl.log" "$FLUX_TEST_PGDIR/server.log" >&2 2>/dev/null
	return 1
}

pgc_stop() {
	[ -n "${FLUX_TEST_PGDIR:-}" ] && [ -d "$FLUX_TEST_PGDIR" ] || return 0
	if [ -f "$FLUX_TEST_PGDIR/data/postmaster.pid" ]; then
		pgc_run "$PGC_BIN/pg_ctl" -D "$FLUX_TEST_PGDIR/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$FLUX_TEST_PGDIR"
	unset FLUX_TEST_PGDIR FLUX_TEST_PGPORT
}
