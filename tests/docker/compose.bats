#!/usr/bin/env bats
# The compose recipe users copy (compose/compose.yaml), run with the override
# for the local images (compose/compose.test.yaml): the database starts,
# migrate waits for it and applies, the app starts only after migrate exited
# 0; a second `up` is a no-op; a broken migration stops migrate with exit 1
# and the app never starts; the URL from a secret file.

load helper

setup_file() { dk_setup_file; }
setup() {
	dk_setup
	PROJ="$BATS_TEST_TMPDIR/proj"
	dk_project "$PROJ"
	mkdir -p "$PROJ/examples"
	cp "$DK_ROOT/compose/compose.yaml" "$DK_ROOT/compose/compose.test.yaml" "$PROJ/"
	cp "$DK_ROOT/compose/examples/compose.secret.yaml" "$PROJ/examples/"
	dk_migration "$PROJ" 001_items 'create table items (id int);'
	dk_migration "$PROJ" 002_one 'insert into items values (1);'
	PROJECT="$(printf '%s-%s' "$DK_RUN" "$BATS_TEST_NUMBER" | tr -c 'a-z0-9_\n-' _)"
	FILES=(-f "$PROJ/compose.yaml" -f "$PROJ/compose.test.yaml")
}
teardown() {
	[ -n "${DK_SKIP:-}" ] && return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		compose logs --no-color 2>&1 | tail -n 60 >&2 || true
	fi
	compose down -v --remove-orphans >/dev/null 2>&1 || true
	dk_teardown
}
teardown_file() { dk_teardown_file; }

compose() {
	dk_compose -p "$PROJECT" --project-directory "$PROJ" "${FILES[@]}" "$@"
}

# cid SERVICE: the id of the service's container (empty when none).
cid() { compose ps -a -q "$1" 2>/dev/null || compose ps -q "$1"; }

# q SQL: one value from the compose database.
q() {
	docker exec "$(cid db)" psql -X -U app -d app -Atqc "$1"
}

state() { docker inspect -f "{{.State.$2}}" "$(cid "$1")"; }

@test "compose up: db starts, migrate waits and applies, app starts only after it" {
	run compose up -d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker wait "$(cid app)")" -eq 0 ]
	[ "$(state migrate ExitCode)" -eq 0 ]
	# The app started after migrate had finished.
	[ "$(date -d "$(state app StartedAt)" +%s%N)" -gt "$(date -d "$(state migrate FinishedAt)" +%s%N)" ]
	[ "$(q 'select string_agg(id, $$,$$ order by id) from _flux_migrations')" = "001_items,002_one" ]
	run docker logs "$(cid migrate)"
	echo "$output"
	[[ "$output" == *"applied 2 migrations"* ]]
	run docker logs "$(cid app)"
	[[ "$output" == *" 1"* ]]
}

@test "compose up twice: the second migrate finds nothing to do" {
	run compose up -d
	[ "$status" -eq 0 ]
	[ "$(docker wait "$(cid app)")" -eq 0 ]
	local first
	first=$(state migrate FinishedAt)
	run compose up -d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker wait "$(cid app)")" -eq 0 ]
	[ "$(state migrate ExitCode)" -eq 0 ]
	[ "$(state migrate FinishedAt)" != "$first" ]
	run docker logs "$(cid migrate)"
	[[ "$output" == *"no pending migrations (2 applied)"* ]]
	[ "$(q 'select count(*) from _flux_migrations')" = 2 ]
	[ "$(q 'select count(*) from items')" = 1 ]
}

@test "compose up with a broken migration: migrate exits 1, the app never starts" {
	dk_migration "$PROJ" 003_broken 'insert into itemz values (2);'
	run compose up -d
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(docker wait "$(cid migrate)")" -eq 1 ]
	run docker logs "$(cid migrate)"
	[[ "$output" == *"003_broken"* ]]
	# The app container was never started (or never even created).
	local app
	app=$(cid app)
	if [ -n "$app" ]; then
		[ "$(docker inspect -f '{{.State.StartedAt}}' "$app")" = "0001-01-01T00:00:00Z" ]
	fi
	[ "$(q 'select string_agg(id, $$,$$ order by id) from _flux_migrations')" = "001_items,002_one" ]
}

@test "compose: the database URL from a secret file (FLUX_DATABASE_URL_FILE)" {
	mkdir -p "$PROJ/secrets"
	printf '%s\n' 'postgresql://app:app_password@db:5432/app' >"$PROJ/secrets/database_url"
	chmod 755 "$PROJ/secrets"
	chmod 644 "$PROJ/secrets/database_url"
	FILES+=(-f "$PROJ/examples/compose.secret.yaml")
	run compose up -d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(docker wait "$(cid app)")" -eq 0 ]
	[ "$(state migrate ExitCode)" -eq 0 ]
	# The URL is nowhere in the container's environment.
	run docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$(cid migrate)"
	[[ "$output" != *app_password* ]]
	[[ "$output" == *FLUX_DATABASE_URL_FILE=/run/secrets/database_url* ]]
	[ "$(q 'select count(*) from _flux_migrations')" = 2 ]
}
