# shellcheck shell=bash
# A private, throw-away PostgreSQL cluster (this machine's postgresql-15, or
# a container: FLUX_TEST_PGIMAGE) for the end-to-end tests.
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
#
# FLUX_TEST_PGIMAGE, when set before pgc_start (e.g. flux-test/postgres:17,
# from scripts/images.sh), runs the server in a container of that image
# instead (scripts/run-tests.sh does, for the other PostgreSQL versions):
# the same user, password and settings, published on 127.0.0.1:PORT only
# (docker run -p 127.0.0.1:PORT:5432), FLUX_TEST_PGCONTAINER naming it.
# pgc_server_start starts it again, pgc_crash_restart kills and restarts it
# as a crash would, pgc_stop removes it with its volume. FLUX_TEST_PGCONF
# is not supported there. FLUX_TEST_PGBIN stays this machine's client tools.

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
	if [ -n "${FLUX_TEST_PGCONTAINER:-}" ]; then
		docker start "$FLUX_TEST_PGCONTAINER" >/dev/null && pgc_container_wait "$1"
		return
	fi
	pgc_run "$PGC_BIN/pg_ctl" -D "$FLUX_TEST_PGDIR/data" \
		-l "$FLUX_TEST_PGDIR/server.log" -w -t 60 \
		-o "-p $1 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$FLUX_TEST_PGDIR $fast -c max_connections=100 -c log_min_messages=warning" \
		start
}

pgc_start() {
	if [ -n "${FLUX_TEST_PGIMAGE:-}" ]; then
		pgc_container_start
		return
	fi
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
	if [ -n "${FLUX_TEST_PGCONTAINER:-}" ]; then
		docker rm -f -v "$FLUX_TEST_PGCONTAINER" >/dev/null 2>&1
		unset FLUX_TEST_PGCONTAINER
	elif [ -f "$FLUX_TEST_PGDIR/data/postmaster.pid" ]; then
		pgc_run "$PGC_BIN/pg_ctl" -D "$FLUX_TEST_PGDIR/data" -m immediate -w stop \
			>/dev/null 2>&1
	fi
	rm -rf "$FLUX_TEST_PGDIR"
	unset FLUX_TEST_PGDIR FLUX_TEST_PGPORT
}

# pgc_crash_restart: stop the server as a crash would (no shutdown
# checkpoint, WAL buffers lost), then start it again with the same options:
# pg_ctl -m immediate for the local cluster; for a container, SIGKILL to its
# postmaster (PID 1: the kernel kills every process of the container with
# it), then docker start (crash recovery on the same volume).
pgc_crash_restart() {
	if [ -n "${FLUX_TEST_PGCONTAINER:-}" ]; then
		docker kill -s KILL "$FLUX_TEST_PGCONTAINER" >/dev/null &&
			docker wait "$FLUX_TEST_PGCONTAINER" >/dev/null &&
			pgc_server_start "$FLUX_TEST_PGPORT"
		return
	fi
	pgc_run "$PGC_BIN/pg_ctl" -D "$FLUX_TEST_PGDIR/data" -m immediate -w \
		-l "$FLUX_TEST_PGDIR/server.log" restart >/dev/null
}

# --- the server in a container (FLUX_TEST_PGIMAGE) ----------------------------

# pgc_container_wait PORT: until the server in the container accepts our
# user over TCP (60 s; its first start initialises the data directory).
pgc_container_wait() {
	for _ in $(seq 1 240); do
		if PGPASSWORD=$PGC_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -w -A -t -q \
			-h 127.0.0.1 -p "$1" -U "$PGC_USER" -d postgres -c 'select 1' \
			>/dev/null 2>&1; then
			return 0
		fi
		if [ "$(docker inspect -f '{{.State.Running}}' "$FLUX_TEST_PGCONTAINER" 2>/dev/null)" != true ]; then
			echo "pgcluster: container $FLUX_TEST_PGCONTAINER is not running:" >&2
			docker logs --tail 20 "$FLUX_TEST_PGCONTAINER" >&2 2>&1
			return 1
		fi
		sleep 0.25
	done
	echo "pgcluster: $FLUX_TEST_PGIMAGE on 127.0.0.1:$1 not ready after 60 s:" >&2
	docker logs --tail 20 "$FLUX_TEST_PGCONTAINER" >&2 2>&1
	return 1
}

pgc_container_start() {
	local fast=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
	local try port
	[ "$FLUX_TEST_PGDURABLE" = 1 ] && fast=()
	unset FLUX_TEST_PGCONTAINER
	if [ -n "${FLUX_TEST_PGCONF:-}" ]; then
		echo "pgcluster: FLUX_TEST_PGCONF is not supported with FLUX_TEST_PGIMAGE" >&2
		return 1
	fi
	command -v docker >/dev/null || {
		echo "pgcluster: FLUX_TEST_PGIMAGE=$FLUX_TEST_PGIMAGE but docker is not installed" >&2
		return 1
	}
	FLUX_TEST_PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/flux-pg.XXXXXX") || return 1
	for try in 1 2 3 4 5; do
		port=$(pgc_free_port) || return 1
		FLUX_TEST_PGCONTAINER=flux-test-pg-$port-$$
		# The local cluster's initdb options: C locale, UTF8.
		if docker run -d --name "$FLUX_TEST_PGCONTAINER" \
			-p "127.0.0.1:$port:5432" \
			-e POSTGRES_USER="$PGC_USER" -e POSTGRES_PASSWORD="$PGC_PASSWORD" \
			-e POSTGRES_DB=postgres -e POSTGRES_INITDB_ARGS="--locale=C --no-sync" \
			"$FLUX_TEST_PGIMAGE" "${fast[@]}" -c max_connections=100 \
			>"$FLUX_TEST_PGDIR/docker-run.log" 2>&1 &&
			pgc_container_wait "$port"; then
			export FLUX_TEST_PGDIR FLUX_TEST_PGCONTAINER
			export FLUX_TEST_PGPORT=$port
			export FLUX_TEST_PGHOST=127.0.0.1
			export FLUX_TEST_PGUSER=$PGC_USER
			export FLUX_TEST_PGPASSWORD=$PGC_PASSWORD
			export FLUX_TEST_PGBIN=$PGC_BIN
			return 0
		fi
		echo "pgcluster: $FLUX_TEST_PGIMAGE on port $port failed (try $try):" >&2
		cat "$FLUX_TEST_PGDIR/docker-run.log" >&2
		docker rm -f -v "$FLUX_TEST_PGCONTAINER" >/dev/null 2>&1
	done
	unset FLUX_TEST_PGCONTAINER
	rm -rf "$FLUX_TEST_PGDIR"
	return 1
}
