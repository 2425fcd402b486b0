# shellcheck shell=bash
# A copy of the tests' cluster (tests/cli/pgcluster.sh) made with
# pg_basebackup, for tests/cli/standby.bats and tests/cli/pooler.bats: a
# streaming replica (hot standby, `-R`), or an independent copy that a test
# can start and stop at will without touching the shared cluster. Its own
# directory and free 127.0.0.1 port; rep_destroy stops and deletes it.
#
# The primary needs nothing beyond initdb's defaults: wal_level replica,
# max_wal_senders 10, and pg_hba.conf's `host replication all 127.0.0.1/32`
# line (scram-sha-256); the tests' role is a superuser, so it may replicate.
#
#   rep_clone standby|copy   make it (not started); exports REP_DIR, REP_PORT
#   rep_start / rep_halt     start / stop its server
#   rep_caught_up            wait until the standby replayed all the primary wrote
#   rep_destroy              stop it and delete its directory

rep_run() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$REP_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$REP_DIR" && "$@")
	fi
}

rep_clone() {
	local kind=$1 r=()
	[ "$kind" = standby ] && r=(-R)
	if [ "$(PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -A -t -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" \
		-U "$FLUX_TEST_PGUSER" -d postgres -c 'show wal_level')" = minimal ]; then
		echo "replica: the tests' cluster has wal_level minimal" >&2
		return 1
	fi
	REP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flux-rep.XXXXXX") || return 1
	export REP_DIR
	chmod 755 "$REP_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$REP_DIR"
	if ! PGPASSWORD=$FLUX_TEST_PGPASSWORD rep_run "$FLUX_TEST_PGBIN/pg_basebackup" \
		-h 127.0.0.1 -p "$FLUX_TEST_PGPORT" -U "$FLUX_TEST_PGUSER" -w \
		-D "$REP_DIR/data" -X stream -c fast "${r[@]}" >"$REP_DIR/basebackup.log" 2>&1; then
		echo "replica: pg_basebackup failed:" >&2
		cat "$REP_DIR/basebackup.log" >&2
		return 1
	fi
	REP_PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	export REP_PORT
}

rep_start() {
	rep_run "$FLUX_TEST_PGBIN/pg_ctl" -D "$REP_DIR/data" -l "$REP_DIR/server.log" -w -t 60 \
		-o "-p $REP_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$REP_DIR -c fsync=off -c hot_standby=on" \
		start >"$REP_DIR/pg_ctl.log" 2>&1 || {
		cat "$REP_DIR/pg_ctl.log" "$REP_DIR/server.log" >&2
		return 1
	}
}

rep_halt() {
	[ -f "$REP_DIR/data/postmaster.pid" ] || return 0
	rep_run "$FLUX_TEST_PGBIN/pg_ctl" -D "$REP_DIR/data" -m fast -w stop >/dev/null 2>&1
}

# rep_q SQL [DB]: one query on the copy, unaligned tuples only.
rep_q() {
	PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
		-p "$REP_PORT" -U "$FLUX_TEST_PGUSER" -d "${2:-$FLUX_TEST_DB}" -c "$1"
}

rep_caught_up() {
	local lsn
	lsn=$(PGPASSWORD=$FLUX_TEST_PGPASSWORD psql -X -w -A -t -h 127.0.0.1 -p "$FLUX_TEST_PGPORT" \
		-U "$FLUX_TEST_PGUSER" -d postgres -c 'select pg_current_wal_insert_lsn()') || return 1
	for _ in $(seq 1 200); do
		[ "$(rep_q "select pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" postgres)" = t ] && return 0
		sleep 0.05
	done
	echo "replica: the standby did not replay up to $lsn" >&2
	return 1
}

rep_destroy() {
	[ -n "${REP_DIR:-}" ] && [ -d "$REP_DIR" ] || return 0
	rep_halt
	rm -rf "$REP_DIR"
	unset REP_DIR REP_PORT
}
