#!/usr/bin/env bats
# The flux image (`make image`: k2bd/flux:dev) run with `docker run` as users
# run it: what the image holds, a mounted project, configuration from the
# environment alone, exit codes, the non-root user, --read-only, docker stop
# during a migration, and eight migrators started at once. One PostgreSQL
# container serves the file; each test gets its own database.

# $(dk_labels) splits into --label options on purpose.
# shellcheck disable=SC2046

load helper

setup_file() {
	dk_setup_file || return 1
	[ -n "$DK_SKIP" ] && return 0
	dk_pg_start
}
setup() {
	dk_setup
	DB="t$BATS_TEST_NUMBER"
	URL=$(dk_createdb "$DB")
	PROJ="$BATS_TEST_TMPDIR/proj"
	dk_project "$PROJ"
}
teardown() { dk_teardown; }
teardown_file() { dk_teardown_file; }

# q SQL: one value from this test's database.
q() { dk_psql_db "$DB" -Atqc "$1"; }

# ns TIMESTAMP: a docker RFC 3339 time as nanoseconds since the epoch.
ns() { date -d "$1" +%s%N; }

@test "image: FROM scratch with the binary, passwd and group only; at most 5 MB" {
	local size files
	size=$(docker image inspect -f '{{.Size}}' "$DK_FLUX_IMAGE")
	echo "image size: $size bytes"
	[ "$size" -le 5000000 ]
	local c
	c=$(docker create $(dk_labels) "$DK_FLUX_IMAGE")
	files=$(docker export "$c" | tar -t | grep -v -E '^(\.dockerenv|dev/.*|proc/|sys/|etc/(hostname|hosts|resolv\.conf|mtab)|etc/|usr/|usr/local/|usr/local/bin/|flux/)$' | sort | tr '\n' ' ')
	docker rm "$c" >/dev/null
	echo "files: $files"
	[ "$files" = "etc/group etc/passwd usr/local/bin/flux " ]
}

@test "image: non-root numeric user, WORKDIR /flux, entrypoint, CMD apply, SIGTERM, OCI labels" {
	local f='{{.Config.User}}|{{.Config.WorkingDir}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{.Config.StopSignal}}'
	run docker image inspect -f "$f" "$DK_FLUX_IMAGE"
	[ "$output" = '65532:65532|/flux|["/usr/local/bin/flux"]|["apply"]|' ]
	local l='{{index .Config.Labels "org.opencontainers.image.'
	[ "$(docker image inspect -f "${l}version\"}}" "$DK_FLUX_IMAGE")" = "$(cat "$DK_ROOT/VERSION")" ]
	[ -n "$(docker image inspect -f "${l}source\"}}" "$DK_FLUX_IMAGE")" ]
	[ -n "$(docker image inspect -f "${l}licenses\"}}" "$DK_FLUX_IMAGE")" ]
	[ "$(docker image inspect -f "${l}title\"}}" "$DK_FLUX_IMAGE")" = flux ]
	# `docker build .` without build arguments labels the same version.
	grep -qx "ARG VERSION=$(cat "$DK_ROOT/VERSION")" "$DK_ROOT/Dockerfile"
	run dk_flux -- --version
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(cat "$DK_ROOT/VERSION")"* ]]
}

@test "docker run: a mounted project with flux.ini" {
	mkdir -p "$PROJ/db"
	chmod 755 "$PROJ/db"
	printf '[flux]\nmigration_directory = db\n[backend]\nmigrations_table = history\n' >"$PROJ/flux.ini"
	printf 'create table items (id int);\n' >"$PROJ/db/001_items.sql"
	printf 'insert into items values (1);\n' >"$PROJ/db/002_one.sql"
	chmod 644 "$PROJ/flux.ini" "$PROJ"/db/*.sql
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(q 'select string_agg(id, $$,$$ order by id) from history')" = "001_items,002_one" ]
	[ "$(q 'select count(*) from items')" = 1 ]
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="$URL" -- status --format json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"002_one"'* ]]
	[[ "$output" != *flux_pw_123* ]]
}

@test "docker run: environment only, migrations mounted elsewhere" {
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	run dk_flux -v "$PROJ/migrations:/migrations:ro" -e FLUX_DATABASE_URL="$URL" \
		-e FLUX_MIGRATION_DIRECTORY=/migrations -e FLUX_MIGRATIONS_SCHEMA=ops \
		-e FLUX_LOG_FORMAT=json -- apply
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == '{'* ]]
	[ "$(q 'select id from ops._flux_migrations')" = 001_a ]
}

@test "docker run: the database URL from a mounted secret file (FLUX_DATABASE_URL_FILE)" {
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	printf '%s\n' "$URL" >"$BATS_TEST_TMPDIR/url"
	chmod 644 "$BATS_TEST_TMPDIR/url"
	run dk_flux -v "$PROJ:/flux:ro" -v "$BATS_TEST_TMPDIR/url:/run/secrets/db_url:ro" \
		-e FLUX_DATABASE_URL_FILE=/run/secrets/db_url
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(q 'select count(*) from _flux_migrations')" = 1 ]
}

@test "docker run: exit codes pass through (5 corrupt, 6 unreachable, 4 no directory)" {
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="$URL"
	[ "$status" -eq 0 ]
	dk_migration "$PROJ" 001_a 'create table a (id bigint);'
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="$URL"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *001_a* ]]
	# A name that never resolves, and a host that resolves but does not listen.
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="postgresql://u:p@no-such-host.invalid/app" \
		-e FLUX_WAIT_TIMEOUT=1s
	echo "$output"
	[ "$status" -eq 6 ]
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="postgresql://u:p@$DK_PG_NAME:5999/app" \
		-e FLUX_WAIT_TIMEOUT=1s
	[ "$status" -eq 6 ]
	run dk_flux -e DATABASE_URL="$URL"
	[ "$status" -eq 4 ]
}

@test "docker run: runs as uid 65532, and libpq finds its user name (flux)" {
	local c
	c=$(docker run -d --network "$DK_NET" $(dk_labels) -e FLUX_WAIT_TIMEOUT=30s \
		-e DATABASE_URL="postgresql://u:p@no-such-host.invalid/app" "$DK_FLUX_IMAGE" wait)
	run docker top "$c" -o pid,uid,comm
	echo "$output"
	[[ "${lines[1]}" =~ ^[0-9]+[[:space:]]+65532[[:space:]]+flux ]]
	docker rm -f "$c" >/dev/null
	# No user in the URL: libpq takes the name of the local user from
	# /etc/passwd, which the server then refuses.
	run dk_flux -v "$PROJ:/flux:ro" -e DATABASE_URL="postgresql://:wrong@$DK_PG_NAME/$DB"
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *'user "flux"'* ]]
}

@test "docker run --read-only: apply works on a read-only root file system" {
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	run dk_flux --read-only --cap-drop ALL --security-opt no-new-privileges \
		-v "$PROJ:/flux:ro" -e DATABASE_URL="$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(q 'select count(*) from _flux_migrations')" = 1 ]
}

@test "docker stop during a long migration: exit 143 within 3 s, nothing recorded" {
	dk_migration "$PROJ" 001_a 'create table a (id int);'
	dk_migration "$PROJ" 002_slow 'create table slow (id int); select pg_sleep(60);'
	local c i t0 t1
	c=$(docker run -d --network "$DK_NET" $(dk_labels) -v "$PROJ:/flux:ro" \
		-e DATABASE_URL="$URL" "$DK_FLUX_IMAGE")
	for i in $(seq 1 200); do
		[ "$(q "select count(*) from pg_stat_activity where application_name = 'flux' and query like '%pg_sleep%' and state = 'active'")" = 1 ] && break
		sleep 0.1
	done
	[ "$i" -lt 200 ]
	t0=$(date +%s%N)
	docker stop -t 10 "$c" >/dev/null
	t1=$(date +%s%N)
	echo "docker stop took $(((t1 - t0) / 1000000)) ms"
	docker logs "$c" 2>&1
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
	[ "$(docker inspect -f '{{.State.ExitCode}}' "$c")" -eq 143 ]
	[ "$(q "select string_agg(id, ',') from _flux_migrations")" = 001_a ]
	[ "$(q "select count(*) from pg_tables where tablename = 'slow'")" = 0 ]
	# The lock went with the connection.
	[ "$(q "select count(*) from pg_locks where locktype = 'advisory'")" = 0 ]
}

@test "8 containers started at once: all exit 0, each migration applied once" {
	local i c ids=() codes
	for i in 1 2 3 4 5; do
		dk_migration "$PROJ" "00${i}_m" "create table m$i (id int); insert into runs values ('00${i}_m');"
	done
	q 'create table runs (id text)' >/dev/null
	for i in $(seq 1 8); do
		c=$(docker create --network "$DK_NET" $(dk_labels) -v "$PROJ:/flux:ro" \
			-e DATABASE_URL="$URL" "$DK_FLUX_IMAGE")
		ids+=("$c")
	done
	docker start "${ids[@]}" >/dev/null
	codes=$(docker wait "${ids[@]}" | sort -u | tr '\n' ' ')
	for c in "${ids[@]}"; do docker logs "$c" 2>&1 | tail -n 3; done
	[ "$codes" = "0 " ]
	[ "$(q 'select count(*) from _flux_migrations')" = 5 ]
	[ "$(q 'select count(*) || $$/$$ || count(distinct id) from runs')" = 5/5 ]
}
