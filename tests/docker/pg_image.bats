#!/usr/bin/env bats
# The test fixtures themselves: flux-test/postgres:15 (built by
# scripts/images.sh) behaves like the official postgres image where the
# container tests rely on it, and the helpers start and clean up containers.

load helper

setup_file() { dk_setup_file; }
setup() { dk_setup; }
teardown_file() { dk_teardown_file; }
teardown() { dk_teardown; }

@test "postgres image: healthy, reachable by name from a sibling container" {
	dk_pg_start
	run dk_run "$DK_PG_IMAGE" psql -X -Atc 'select current_user, current_database()' "$DK_PG_URL"
	[ "$status" -eq 0 ]
	[ "$output" = "postgres|app" ]
	run dk_psql -Atc 'show listen_addresses'
	[ "$output" = "*" ]
}

@test "postgres image: a wrong password is refused over TCP (scram-sha-256)" {
	dk_pg_start -e POSTGRES_USER=owner -e POSTGRES_PASSWORD=s3cret
	[ "$DK_PG_URL" = "postgresql://owner:s3cret@$DK_PG_NAME:5432/app" ]
	run dk_run "$DK_PG_IMAGE" psql -X -Atc 'select 1' "postgresql://owner:bad@$DK_PG_NAME:5432/app"
	[ "$status" -ne 0 ]
	[[ "$output" == *"password authentication failed"* ]]
	run dk_run "$DK_PG_IMAGE" psql -X -Atc 'select 1' "$DK_PG_URL"
	[ "$status" -eq 0 ]
}

@test "postgres image: refuses to initialise without POSTGRES_PASSWORD" {
	run dk_run "$DK_PG_IMAGE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"superuser password is not specified"* ]]
}

@test "postgres image: TCP is closed until first-start initialisation is done" {
	local name="$DK_RUN-init-$RANDOM"
	# An init script that holds the temporary server for 3 s.
	# shellcheck disable=SC2046
	docker create --name "$name" --network "$DK_NET" $(dk_labels) \
		-e POSTGRES_PASSWORD=x "$DK_PG_IMAGE" >/dev/null
	printf 'sleep 3\n' >"$BATS_TEST_TMPDIR/slow.sh"
	docker cp "$BATS_TEST_TMPDIR/slow.sh" "$name:/docker-entrypoint-initdb.d/slow.sh"
	docker start "$name" >/dev/null
	# Wait until the init script runs, then TCP must still be refused.
	local _
	for _ in $(seq 100); do
		docker logs "$name" 2>&1 | grep -q 'running /docker-entrypoint-initdb.d/slow.sh' && break
		sleep 0.1
	done
	run docker exec "$name" pg_isready -h 127.0.0.1 -p 5432
	[ "$status" -eq 2 ]
	run docker exec "$name" pg_isready -h /var/run/postgresql -p 5432
	[ "$status" -eq 0 ]
	[ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = starting ]
	dk_wait_healthy "$name" 60
}

@test "postgres image: docker stop ends postgres (PID 1) within 2 s" {
	dk_pg_start
	[ "$(docker exec "$DK_PG_NAME" cat /proc/1/comm)" = postgres ]
	local t0=$SECONDS
	docker stop -t 10 "$DK_PG_NAME" >/dev/null
	[ $((SECONDS - t0)) -le 2 ]
	[ "$(docker inspect -f '{{.State.ExitCode}}' "$DK_PG_NAME")" -eq 0 ]
}
