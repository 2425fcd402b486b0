#!/usr/bin/env bash
# The flux benchmark (SPEC section 6), run by `make bench`.
#
# Generates BENCH_N small migrations (`create table t_0001 (id int);` in
# 0001_t.sql, ...) in a temporary directory, starts a private PostgreSQL
# cluster of its own on 127.0.0.1 (fsync, synchronous_commit and
# full_page_writes at their defaults, i.e. on), and times side by side, in
# BENCH_RUNS interleaved rounds, each case with GNU time:
#   flux apply     build/flux apply into a fresh, empty database
#   floor (psql)   the same statements and history inserts sent by one
#                  `psql -f` over one connection, one transaction per migration
#   floor, flush   the same with flux's durability scheme: asynchronous
#                  commits and one synchronous commit at the end
#   flux no-op     build/flux apply with every migration applied already
#   flux status    build/flux status of the fully applied database
#   flux version   build/flux --version
#   peers          golang-migrate's `migrate` and `dbmate`, when found in
#                  build/bench/bin or on PATH (bench/peers.sh installs them),
#                  applying the same migrations in their own formats
# and prints a table (median, min and max wall time; median max RSS) with
# the ratio flux apply / floor. It prints figures only: nothing passes or
# fails on speed. The exit status is non-zero only when the benchmark could
# not run (no cluster, a command failed).
#
# Knobs (environment):
#   BENCH_N      number of migrations (default 1000)
#   BENCH_RUNS   timed runs per case, at least 1 (default 5)
#   BENCH_FLUX   the binary to measure (default build/flux; copied first, so
#                a rebuild during the run does not mix two binaries)
#   BENCH_PEERS  0 leaves the peer tools out even when they are found
#   TMPDIR       where the migrations and the cluster live (default /tmp)
#
# Only 127.0.0.1 is ever contacted. The cluster and the temporary files are
# deleted on exit, also on Ctrl-C.
set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)

N=${BENCH_N:-1000}
RUNS=${BENCH_RUNS:-5}
FLUX_SRC=${BENCH_FLUX:-build/flux}
PEERS=${BENCH_PEERS:-1}
TIME=/usr/bin/time

die() {
	echo "bench: $*" >&2
	exit 1
}

case $N in '' | *[!0-9]* | 0) die "BENCH_N must be a positive integer, not '$N'" ;; esac
case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer, not '$RUNS'" ;; esac
[ -x "$FLUX_SRC" ] || die "$FLUX_SRC not found (run make all)"
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
# floor would not be an honest one.

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

cleanup() {
	pgc_stop
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_start() {
	pgc_start || return 1
	PG_DIR=$FLUX_TEST_PGDIR
	PG_PORT=$FLUX_TEST_PGPORT
}

url() { printf 'postgresql://%s:%s@127.0.0.1:%s/%s' "$PG_USER" "$PG_PASSWORD" "$PG_PORT" "$1"; }

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

for ((r = 1; r <= RUNS; r++)); do
	echo "bench: round $r of $RUNS" >&2

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
row "(c) flux apply, no-op" flux_noop
row "(d) flux status" flux_status
row "(e) flux --version" flux_version
row "golang-migrate up (empty db)" migrate_apply
row "golang-migrate up, no-op" migrate_noop
row "dbmate migrate (empty db)" dbmate_apply
row "dbmate migrate, no-op" dbmate_noop
echo
awk -v a="$(median_ms flux_apply)" -v b="$(median_ms floor)" \
	'BEGIN { printf "flux apply / floor: %.2f (medians)\n", a / b }'
awk -v a="$(median_ms flux_apply)" -v b="$(median_ms floor_flush)" \
	'BEGIN { printf "flux apply / floor with one flush: %.2f (medians)\n", a / b }'
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
