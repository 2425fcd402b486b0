#!/usr/bin/env bash
# The flux benchmark (SPEC section 6), run by `make bench`.
#
# Generates BENCH_N small migrations (`create table t_0001 (id int);` in
# 0001_t.sql, ...) in a temporary directory, starts a private PostgreSQL
# cluster of its own on 127.0.0.1 (fsync, synchronous_commit and
# full_page_writes at their defaults, i.e. on; its data in memory unless
# BENCH_DATA says otherwise), and times side by side, in BENCH_RUNS
# interleaved rounds, each case with GNU time:
#   flux apply     build/flux apply into a fresh, empty database
#   floor (psql)   the same statements and history inserts sent by one
#                  `psql -f` over one connection, one transaction per migration
#   floor, flush   the same with flux's durability scheme: asynchronous
#                  commits and one synchronous commit at the end
#   floor, one string  the same statements with the same durability sent as
#                  ONE query string (psql's `\;`): one round trip in all
#   flux no-op     build/flux apply with every migration applied already
#   flux status    build/flux status of the fully applied database
#   flux version   build/flux --version
#   peers          golang-migrate's `migrate` and `dbmate`, when found in
#                  build/bench/bin or on PATH (bench/peers.sh installs them),
#                  applying the same migrations in their own formats
# The flux apply, the one-string floor and the no-op run again through
# bench/latency-proxy (build/bench/latency-proxy, which this script starts
# on 127.0.0.1 in front of its cluster): BENCH_DELAY_US (1000) added each
# way, a database 2 ms of round trip away. With BENCH_BASE, a second flux
# binary (the baseline, e.g. the last release) runs the apply, the apply
# through the proxy and the no-op in the same rounds.
# It prints a table (median, min and max wall time; median max RSS) and the
# ratios the targets name. It prints figures only: nothing passes or
# fails on speed. The exit status is non-zero only when the benchmark could
# not run (no cluster, a command failed).
#
# Knobs (environment):
#   BENCH_N      number of migrations (default 1000)
#   BENCH_RUNS   timed runs per case, at least 1 (default 5; 1 with BENCH_QUICK=1)
#   BENCH_QUICK  1: one run per case and no peers, unless set otherwise
#   BENCH_DELAY_US  delay the proxy adds each way, microseconds (default 1000)
#   BENCH_PROXY  the proxy binary (default build/bench/latency-proxy)
#   BENCH_BASE   a second flux binary to time as the baseline (default none)
#   BENCH_FLUX   the binary to measure (default build/flux; copied first, so
#                a rebuild during the run does not mix two binaries)
#   BENCH_PEERS  0 leaves the peer tools out even when they are found
#                (default 1; 0 with BENCH_QUICK=1)
#   BENCH_DATA   where the cluster's data lives (default /dev/shm when it
#                is a writable tmpfs with 2 GiB free, else TMPDIR; see DATA_DIR)
#   TMPDIR       where the migrations live (default /tmp)
#
# Only 127.0.0.1 is ever contacted. The cluster, the proxy and the temporary
# files are gone on exit, also on Ctrl-C.
set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

QUICK=${BENCH_QUICK:-0}
N=${BENCH_N:-1000}
if [ "$QUICK" = 1 ]; then
	RUNS=${BENCH_RUNS:-1}
	PEERS=${BENCH_PEERS:-0}
else
	RUNS=${BENCH_RUNS:-5}
	PEERS=${BENCH_PEERS:-1}
fi
FLUX_SRC=${BENCH_FLUX:-build/flux}
BASE_SRC=${BENCH_BASE:-}
DELAY_US=${BENCH_DELAY_US:-1000}
PROXY_BIN=${BENCH_PROXY:-build/bench/latency-proxy}
# The cluster's data: in memory (/dev/shm) when the machine has it. On the
# virtual machines this project runs on, creating a file on the ext4 disk
# takes 0.2 to 1 ms and drifts by as much within a minute (1000 empty
# files: 575 to 907 ms on /tmp, 5 ms on /dev/shm), and each migration here
# creates one: the disk, not the client, then decides every figure.
# BENCH_DATA=DIR puts the cluster there instead (e.g. a real disk's figures).
# A /dev/shm with less than 2 GiB free (a container's is 64 MiB by
# default) is passed over: the cluster and its WAL would not fit.
shm_free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -n "${BENCH_DATA:-}" ]; then
	DATA_DIR=$BENCH_DATA
elif [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
	[ "${shm_free_kb:-0}" -ge 2097152 ]; then
	DATA_DIR=/dev/shm
else
	DATA_DIR=${TMPDIR:-/tmp}
fi
TIME=/usr/bin/time

die() {
	echo "bench: $*" >&2
	exit 1
}

case $N in '' | *[!0-9]* | 0) die "BENCH_N must be a positive integer, not '$N'" ;; esac
case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer, not '$RUNS'" ;; esac
case $DELAY_US in '' | *[!0-9]*) die "BENCH_DELAY_US must be a number of microseconds, not '$DELAY_US'" ;; esac
[ -x "$FLUX_SRC" ] || die "$FLUX_SRC not found (run make all)"
[ -z "$BASE_SRC" ] || [ -x "$BASE_SRC" ] || die "BENCH_BASE: $BASE_SRC not found"
[ -x "$PROXY_BIN" ] || die "$PROXY_BIN not found (run make build/bench/latency-proxy)"
"$TIME" -f %M true >/dev/null 2>&1 || die "$TIME is not GNU time (run make deps)"
command -v psql >/dev/null || die "psql not found (run make deps)"

# Settings from the environment must not change what is measured.
for v in $(compgen -e); do
	case $v in FLUX_* | PG* | DATABASE_URL) unset "$v" ;; esac
done

# --- the private cluster -----------------------------------------------------
# The tests' cluster (tests/cli/pgcluster.sh: scram-sha-256, UTF8, locale C,
# 127.0.0.1 only on a free port) with FLUX_TEST_PGDURABLE=1: fsync,
# synchronous_commit and full_page_writes at their defaults (on), or the
# floor would not be an honest one. In DATA_DIR: on tmpfs a flush costs
# little, so rows (b) and (b') come close; BENCH_DATA=/tmp shows what one
# flush instead of a thousand saves on this machine's disk.

# shellcheck source=tests/cli/pgcluster.sh
. tests/cli/pgcluster.sh
FLUX_TEST_PGDURABLE=1
[ -n "$PGC_BIN" ] || die "PostgreSQL server binaries not found (run make deps)"
PG_BIN=$PGC_BIN
PG_USER=$PGC_USER
PG_PASSWORD=$PGC_PASSWORD
WORK=
PG_DIR=
PG_PORT=
PROXY_PID=
PROXY_PORT=

cleanup() {
	if [ -n "$PROXY_PID" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
	fi
	pgc_stop
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_start() {
	TMPDIR=$DATA_DIR pgc_start || return 1
	PG_DIR=$FLUX_TEST_PGDIR
	PG_PORT=$FLUX_TEST_PGPORT
}

url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "$1"; }
# The same database through the delaying proxy.
purl() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PROXY_PORT" "$1"; }

# proxy_start: bench/latency-proxy on 127.0.0.1 in front of the cluster,
# as an ordinary process that sleeps between chunks (-s): on two CPUs a
# proxy that polls without sleeping, or runs real-time, takes the CPU the
# server needs and times the machine instead of the distance.
# DELAY_US each way; it picks its own port and writes it to a file. It
# stops by itself after an hour, or when this script dies; cleanup() kills
# it by PID.
proxy_start() {
	local i
	"$PROXY" -t "$PG_PORT" -d "$DELAY_US" -p "$WORK/proxy.port" -m 3600 -s -v \
		2>"$WORK/log/proxy.log" &
	PROXY_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$WORK/proxy.port" ] && break
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -s "$WORK/proxy.port" ] || die "the latency proxy did not start: $(tail -n 3 "$WORK/log/proxy.log")"
	PROXY_PORT=$(cat "$WORK/proxy.port")
}

db_create() {
	PGPASSWORD=$PG_PASSWORD "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$1" ||
		die "createdb $1 failed"
}

db_drop() {
	PGPASSWORD=$PG_PASSWORD "$PG_BIN/dropdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$1" ||
		die "dropdb $1 failed"
}

db_query() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$(url "$1")" -c "$2"; }

# --- timing ------------------------------------------------------------------
# timed CASE CMD...: run CMD under GNU time with stdout to /dev/null and
# stderr to $WORK/log/CASE.log, and append "wall_us max_rss_kb" to
# $WORK/res/CASE. The wall time is taken by the shell around the call
# ($EPOCHREALTIME, microseconds), because GNU time's %e has 10 ms steps,
# too coarse for a no-op; it includes starting GNU time itself (well under
# a millisecond, the same for every case). Max RSS (%M) is GNU time's, of
# the measured process alone (not of the server).
timed() {
	local name=$1 t0 t1 rc rss
	shift
	t0=$EPOCHREALTIME
	"$TIME" -f '%M' -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/log/$name.log"
	rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" -ne 0 ]; then
		echo "bench: '$name' exited with status $rc: $*" >&2
		tail -n 20 "$WORK/log/$name.log" >&2
		exit 1
	fi
	rss=$(tail -n 1 "$WORK/time.out")
	echo "$((10#${t1/./} - 10#${t0/./})) $rss" >>"$WORK/res/$name"
}

# --- the migrations ------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/flux-bench.XXXXXX") || die "mktemp failed"
mkdir -p "$WORK/migrations" "$WORK/migrate" "$WORK/dbmate" "$WORK/res" "$WORK/log" "$WORK/run"
cp "$FLUX_SRC" "$WORK/flux" || die "cannot copy $FLUX_SRC"
FLUX=$WORK/flux
cp "$PROXY_BIN" "$WORK/latency-proxy" || die "cannot copy $PROXY_BIN"
PROXY=$WORK/latency-proxy
BASE=
if [ -n "$BASE_SRC" ]; then
	cp "$BASE_SRC" "$WORK/flux-base" || die "cannot copy $BASE_SRC"
	BASE=$WORK/flux-base
fi

width=${#N}
[ "$width" -lt 4 ] && width=4
for ((i = 1; i <= N; i++)); do
	printf -v num "%0${width}d" "$i"
	printf 'create table t_%s (id int);\n' "$num" >"$WORK/migrations/${num}_t.sql"
	printf 'create table t_%s (id int);\n' "$num" >"$WORK/migrate/${num}_t.up.sql"
	printf -- '-- migrate:up\ncreate table t_%s (id int);\n\n-- migrate:down\n' "$num" \
		>"$WORK/dbmate/${num}_t.sql"
done

# The floor: the history table exactly as SPEC section 1 gives it (flux
# creates it inside its timed run too), then per migration its text and its
# history row (the real MD5 of the file) in one transaction.
{
	cat <<'EOF'
create schema if not exists public;
create table if not exists public._flux_migrations (
    id text primary key,
    hash text not null,
    applied_at timestamp not null default current_timestamp
);
EOF
	(cd "$WORK/migrations" && md5sum -- *.sql) | while read -r hash file; do
		echo "begin;"
		cat "$WORK/migrations/$file"
		echo "insert into public._flux_migrations (id, hash) values ('${file%.sql}', '$hash');"
		echo "commit;"
	done
} >"$WORK/floor.sql"

# The floor with flux's durability scheme: every commit asynchronous, one
# synchronous commit that writes WAL at the end (as flux does before it
# unlocks). It compares the protocols, the two waiting for the disk alike.
{
	echo "set synchronous_commit to off;"
	cat "$WORK/floor.sql"
	echo "reset synchronous_commit;"
	echo "select pg_logical_emit_message(true, 'flux', 'batch done');"
} >"$WORK/floor-flush.sql"

# The same statements as ONE query string: psql sends everything up to an
# unescaped `;` as one query, and `\;` ends a statement without sending it.
# The server runs the string's transactions one after the other (each
# `begin` ... `commit` its own); the `set` and the history table run in the
# first migration's transaction; the final `reset` and flush in one implicit
# transaction at the end. One round trip, one wait for the disk.
sed -e 's/;$/ \\;/' -e '$s/ \\;$/;/' "$WORK/floor-flush.sql" >"$WORK/floor-one.sql"

# --- peers ---------------------------------------------------------------------

find_peer() {
	if [ -x "$ROOT/build/bench/bin/$1" ]; then
		echo "$ROOT/build/bench/bin/$1"
	else
		command -v "$1" 2>/dev/null
	fi
}

MIGRATE=
DBMATE=
peer_notes=()
if [ "$PEERS" = 0 ]; then
	peer_notes+=("peers: left out (BENCH_PEERS=0)")
else
	MIGRATE=$(find_peer migrate)
	if [ -n "$MIGRATE" ] && ! "$MIGRATE" -version >/dev/null 2>&1; then
		peer_notes+=("golang-migrate: $MIGRATE does not answer -version; skipped")
		MIGRATE=
	elif [ -z "$MIGRATE" ]; then
		peer_notes+=("golang-migrate: not found in build/bench/bin or on PATH; skipped (bench/peers.sh installs it when it can)")
	fi
	DBMATE=$(find_peer dbmate)
	if [ -n "$DBMATE" ] && ! "$DBMATE" --version >/dev/null 2>&1; then
		peer_notes+=("dbmate: $DBMATE does not answer --version; skipped")
		DBMATE=
	elif [ -z "$DBMATE" ]; then
		peer_notes+=("dbmate: not found in build/bench/bin or on PATH; skipped (bench/peers.sh installs it when it can)")
	fi
fi
# flux-migrations (Python) is not measured: it comes from PyPI, which this
# project's machines do not reach, and its command is also named flux.
peer_notes+=("flux-migrations: not measured (a PyPI package; not installed by this project)")

# --- run -----------------------------------------------------------------------

t_start=$SECONDS
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# flux runs in an empty directory: no flux.ini or flux.toml is read.
cd "$WORK/run" || die "cannot enter $WORK/run"
pg_start || die "could not start the PostgreSQL cluster"
proxy_start

# What the proxy adds to a round trip, measured: 200 `select 1` sent one
# by one by psql, through the proxy and direct (best of 3 each).
for ((i = 0; i < 200; i++)); do echo 'select 1;'; done >"$WORK/ping.sql"
ping_ms() {
	local best='' t0 t1 k us
	for ((k = 0; k < 3; k++)); do
		t0=$EPOCHREALTIME
		psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$1" -f "$WORK/ping.sql" ||
			die "psql through ${1##*@} failed"
		t1=$EPOCHREALTIME
		us=$((10#${t1/./} - 10#${t0/./}))
		if [ -z "$best" ] || [ "$us" -lt "$best" ]; then best=$us; fi
	done
	echo "$best"
}
ping_direct=$(ping_ms "$(url postgres)")
ping_proxy=$(ping_ms "$(purl postgres)")

# A reference database, applied once untimed (this also warms the caches):
# the no-op and status cases read it.
db_create bench_ref
"$FLUX" --database-url "$(url bench_ref)" \
	--migration-directory "$WORK/migrations" apply 2>"$WORK/log/ref.log" ||
	{
		tail -n 20 "$WORK/log/ref.log" >&2
		die "flux apply of the reference database failed"
	}
[ "$(db_query bench_ref 'select count(*) from public._flux_migrations')" = "$N" ] ||
	die "the reference database does not hold $N history rows"

# The cases on the server's own port, one round's worth.
round_direct() {
	local r=$1

	db_create "bench_apply_$r"
	timed flux_apply "$FLUX" --database-url "$(url "bench_apply_$r")" \
		--migration-directory "$WORK/migrations" apply
	db_drop "bench_apply_$r"

	db_create "bench_floor_$r"
	timed floor psql -X -q -v ON_ERROR_STOP=1 -d "$(url "bench_floor_$r")" -f "$WORK/floor.sql"
	if [ "$r" = 1 ]; then
		# The floor wrote what flux writes: flux finds the same hashes there.
		"$FLUX" --database-url "$(url bench_floor_1)" \
			--migration-directory "$WORK/migrations" validate 2>"$WORK/log/floor-check.log" ||
			die "flux validate rejects the floor's database: $(tail -n 5 "$WORK/log/floor-check.log")"
		[ "$(db_query bench_floor_1 'select count(*) from public._flux_migrations')" = "$N" ] ||
			die "the floor did not record $N migrations"
	fi
	db_drop "bench_floor_$r"
	db_create "bench_floorf_$r"
	timed floor_flush psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$(url "bench_floorf_$r")" \
		-f "$WORK/floor-flush.sql"
	db_drop "bench_floorf_$r"

	db_create "bench_floor1_$r"
	timed floor_one psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d "$(url "bench_floor1_$r")" \
		-f "$WORK/floor-one.sql"
	if [ "$r" = 1 ]; then
		"$FLUX" --database-url "$(url bench_floor1_1)" \
			--migration-directory "$WORK/migrations" validate 2>"$WORK/log/floor1-check.log" ||
			die "flux validate rejects the one-string floor's database: $(tail -n 5 "$WORK/log/floor1-check.log")"
		# One query string: every transaction in it starts at the time the
		# server received it, so every history row has the same applied_at.
		[ "$(db_query bench_floor1_1 'select count(*) || $$ $$ || count(distinct applied_at) from public._flux_migrations')" = "$N 1" ] ||
			die "the one-string floor did not record $N migrations in one query"
	fi
	db_drop "bench_floor1_$r"
}

# The cases through the proxy, one round's worth.
round_proxy() {
	local r=$1

	db_create "bench_floor1p_$r"
	timed floor_one_proxy psql -X -q -o /dev/null -v ON_ERROR_STOP=1 \
		-d "$(purl "bench_floor1p_$r")" -f "$WORK/floor-one.sql"
	db_drop "bench_floor1p_$r"

	db_create "bench_applyp_$r"
	timed flux_apply_proxy "$FLUX" --database-url "$(purl "bench_applyp_$r")" \
		--migration-directory "$WORK/migrations" apply
	[ "$r" = 1 ] && { [ "$(db_query bench_applyp_1 'select count(*) from public._flux_migrations')" = "$N" ] ||
		die "flux apply through the proxy did not record $N migrations"; }
	db_drop "bench_applyp_$r"
	timed flux_noop_proxy "$FLUX" --database-url "$(purl bench_ref)" \
		--migration-directory "$WORK/migrations" apply
}

for ((r = 1; r <= RUNS; r++)); do
	echo "bench: round $r of $RUNS" >&2

	# Direct first in odd rounds, through the proxy first in even ones:
	# a machine that drifts during the run (a disk getting slower, say)
	# then weighs on both sides of the ratio alike.
	if ((r % 2)); then
		round_direct "$r"
		round_proxy "$r"
	else
		round_proxy "$r"
		round_direct "$r"
	fi

	if [ -n "$BASE" ]; then
		db_create "bench_base_$r"
		timed base_apply "$BASE" --database-url "$(url "bench_base_$r")" \
			--migration-directory "$WORK/migrations" apply
		db_drop "bench_base_$r"
		db_create "bench_basep_$r"
		timed base_apply_proxy "$BASE" --database-url "$(purl "bench_basep_$r")" \
			--migration-directory "$WORK/migrations" apply
		db_drop "bench_basep_$r"
		timed base_noop "$BASE" --database-url "$(url bench_ref)" \
			--migration-directory "$WORK/migrations" apply
		timed base_noop_proxy "$BASE" --database-url "$(purl bench_ref)" \
			--migration-directory "$WORK/migrations" apply
	fi

	timed flux_noop "$FLUX" --database-url "$(url bench_ref)" \
		--migration-directory "$WORK/migrations" apply
	timed flux_status "$FLUX" --database-url "$(url bench_ref)" \
		--migration-directory "$WORK/migrations" status
	timed flux_version "$FLUX" --version

	if [ -n "$MIGRATE" ]; then
		db_create "bench_migrate_$r"
		timed migrate_apply "$MIGRATE" -path "$WORK/migrate" \
			-database "$(url "bench_migrate_$r")?sslmode=disable" up
		timed migrate_noop "$MIGRATE" -path "$WORK/migrate" \
			-database "$(url "bench_migrate_$r")?sslmode=disable" up
		db_drop "bench_migrate_$r"
	fi
	if [ -n "$DBMATE" ]; then
		db_create "bench_dbmate_$r"
		timed dbmate_apply "$DBMATE" --url "$(url "bench_dbmate_$r")?sslmode=disable" \
			--migrations-dir "$WORK/dbmate" --no-dump-schema migrate
		timed dbmate_noop "$DBMATE" --url "$(url "bench_dbmate_$r")?sslmode=disable" \
			--migrations-dir "$WORK/dbmate" --no-dump-schema migrate
		db_drop "bench_dbmate_$r"
	fi
done

# --- report --------------------------------------------------------------------

# stats CASE: "median_ms min_ms max_ms median_rss_kb" of $WORK/res/CASE.
stats() {
	sort -n -k1,1 "$WORK/res/$1" | awk '
		{ w[NR] = $1; r[NR] = $2 }
		END {
			n = NR
			if (n % 2) med = w[(n + 1) / 2]; else med = (w[n / 2] + w[n / 2 + 1]) / 2
			# the RSS column is sorted on its own for its median
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
				if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
			if (n % 2) mr = r[(n + 1) / 2]; else mr = (r[n / 2] + r[n / 2 + 1]) / 2
			printf "%.1f %.1f %.1f %d\n", med / 1000, w[1] / 1000, w[n] / 1000, mr
		}'
}

row() {
	local label=$1 name=$2 s
	[ -s "$WORK/res/$name" ] || return 0
	s=$(stats "$name")
	# shellcheck disable=SC2086
	printf '%-34s %12.1f %10.1f %10.1f %14d\n' "$label" $s
}

median_ms() { stats "$1" | cut -d' ' -f1; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
pg_version=$(db_query postgres 'show server_version')
pg_settings=$(db_query postgres "select string_agg(name || '=' || setting, ' ' order by name) from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")
fs=$(df -PT "$PG_DIR" 2>/dev/null | awk 'NR == 2 { print $2 }')
size=$(stat -c %s "$FLUX")

echo
echo "flux benchmark: $N migrations, $RUNS runs per case, on 127.0.0.1"
echo "machine:    $(nproc) CPUs (nproc), ${cpu:-unknown CPU}, $(uname -sr)"
# Other work on the machine shows in the figures: say how busy it was.
echo "load:       $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1, 5, 15 min averages)"
echo "postgres:   $pg_version ($pg_settings; data on ${fs:-?})"
echo "client:     $(psql --version)"
echo "flux:       $FLUX_SRC, $("$FLUX" --version 2>&1), $size bytes"
[ -n "$BASE" ] && echo "baseline:   $BASE_SRC, $("$BASE" --version 2>&1), $(stat -c %s "$BASE") bytes"
# The proxy's own account of how late it passed data on (its last line).
proxy_late=$(tail -n 1 "$WORK/log/proxy.log" | sed 's/^latency-proxy: //')
echo "proxy:      bench/latency-proxy on 127.0.0.1, $DELAY_US us each way; 200 x \`select 1\` by psql:" \
	"$(awk -v p="$ping_proxy" -v d="$ping_direct" 'BEGIN { printf "%.3f ms per round trip more than direct (best of 3)", (p - d) / 200 / 1000 }')"
echo "            ${proxy_late:-no report}"
# bench/peers.sh leaves NAME.version beside what it installed: go install
# builds report their own version as "dev".
peer_version() {
	if [ -f "$1.version" ]; then head -n 1 "$1.version"; else "$@" 2>&1 | head -n 1; fi
}
[ -n "$MIGRATE" ] && echo "migrate:    $MIGRATE, $(peer_version "$MIGRATE" -version)"
[ -n "$DBMATE" ] && echo "dbmate:     $DBMATE, $(peer_version "$DBMATE" --version)"
echo
printf '%-34s %12s %10s %10s %14s\n' "case" "median ms" "min ms" "max ms" "max-RSS KB"
row "(a) flux apply (empty db)" flux_apply
row "(b) floor: psql, 1 tx/migration" floor
row "(b') floor, one flush at the end" floor_flush
row "(f) floor: one string, one flush" floor_one
row "(c) flux apply, no-op" flux_noop
row "(d) flux status" flux_status
row "(e) flux --version" flux_version
row "golang-migrate up (empty db)" migrate_apply
row "golang-migrate up, no-op" migrate_noop
row "dbmate migrate (empty db)" dbmate_apply
row "dbmate migrate, no-op" dbmate_noop
echo "through the proxy (+$DELAY_US us each way):"
row "(a) flux apply (empty db)" flux_apply_proxy
row "(f) floor: one string, one flush" floor_one_proxy
row "(c) flux apply, no-op" flux_noop_proxy
if [ -n "$BASE" ]; then
	echo "baseline ($BASE_SRC):"
	row "(a) flux apply (empty db)" base_apply
	row "(a) flux apply, through the proxy" base_apply_proxy
	row "(c) flux apply, no-op" base_noop
	row "(c) flux apply, no-op, proxy" base_noop_proxy
fi
echo
awk -v a="$(median_ms flux_apply)" -v b="$(median_ms floor)" \
	'BEGIN { printf "flux apply / floor: %.2f (medians)\n", a / b }'
awk -v a="$(median_ms flux_apply)" -v b="$(median_ms floor_flush)" \
	'BEGIN { printf "flux apply / floor with one flush: %.2f (medians)\n", a / b }'
# ratio LABEL A B [TARGET]: "LABEL: A/B (medians)", with the target.
ratio() {
	awk -v l="$1" -v a="$(median_ms "$2")" -v b="$(median_ms "$3")" -v t="${4:-}" \
		'BEGIN { printf "%s: %.2f (medians)%s\n", l, a / b, t == "" ? "" : " (target: at most " t ")" }'
}
# rtrips CASE: round trips the proxy added to CASE's median, counted in
# measured proxy round trips (from the `select 1` calibration).
rtrips() {
	awk -v p="$(median_ms "${1}_proxy")" -v d="$(median_ms "$1")" -v rt="$(((ping_proxy - ping_direct) / 200))" \
		'BEGIN { printf "%.0f", (p - d) * 1000 / rt }'
}
ratio "flux apply through the proxy / direct" flux_apply_proxy flux_apply 1.3
echo "  the proxy added about $(rtrips flux_apply) round trips to flux apply of $N, $(rtrips floor_one) to the one-string floor, $(rtrips flux_noop) to the no-op"
ratio "flux apply / floor in one query string (direct)" flux_apply floor_one 1.05
ratio "flux apply / floor in one query string (through the proxy)" flux_apply_proxy floor_one_proxy
noop=$(stats flux_noop)
if [ -n "$BASE" ]; then
	ratio "flux apply, no-op / the baseline's" flux_noop base_noop 1.0
	ratio "flux apply through the proxy / the baseline's" flux_apply_proxy base_apply_proxy
	ratio "flux apply direct / the baseline's" flux_apply base_apply
fi
echo "flux apply, no-op: $(echo "$noop" | cut -d' ' -f1) ms, max RSS $(echo "$noop" | cut -d' ' -f4) KB (targets: at most the baseline's time$([ -z "$BASE" ] && echo ", set BENCH_BASE to time it here"); below 8192 KB)"
for peer in migrate_apply dbmate_apply; do
	[ -s "$WORK/res/$peer" ] || continue
	awk -v a="$(median_ms flux_apply)" -v b="$(median_ms "$peer")" -v p="${peer%_apply}" \
		'BEGIN { printf "flux apply / %s: %.2f (medians)\n", p, a / b }'
done
for note in "${peer_notes[@]}"; do
	echo "$note"
done
echo "SPEC 6 targets: apply <= 1.2x the floor; no-op apply < 50 ms wall, < 8192 KB RSS"
echo "wall: shell clock around GNU time; max RSS: GNU time %M of the client process"
echo "bench took $((SECONDS - t_start)) s (cluster start to last run)"
