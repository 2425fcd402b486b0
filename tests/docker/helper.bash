# shellcheck shell=bash
# Shared helpers for the container tests (bats, tests/docker/*.bats).
#
# Use in a .bats file:
#
#   load helper
#   setup_file()    { dk_setup_file; }     # images, network; notes a missing engine
#   setup()         { dk_setup; }          # skips the test when there is no engine
#   teardown()      { dk_teardown; }       # removes this test's containers
#   teardown_file() { dk_teardown_file; }  # removes this file's containers/networks
#
#   @test "..." {
#       dk_pg_start                 # PostgreSQL on a private network, healthy
#       dk_psql -c 'select 1'       # psql against it (inside its container)
#       dk_run flux-test/postgres:15 psql "$DK_PG_URL" -c 'select 1'
#   }
#
# When no Docker engine answers, every test of the file is reported as skipped
# with the reason (dk_setup_file records it, dk_setup skips: bats 1.8 cannot
# skip from setup_file). Otherwise dk_setup_file builds the base images when
# missing (scripts/images.sh, cached) and creates one private network for the
# file.
# Everything created carries the labels flux-test=1 and flux-test.run=<id>;
# containers started inside a test also flux-test.scope=<test number>, so
# dk_teardown removes just those and dk_teardown_file the rest.
#
# After dk_pg_start: DK_PG_NAME (container name = host name on the network),
# DK_PG_URL (postgresql://USER:PASSWORD@DK_PG_NAME:5432/DB), DK_PG_USER,
# DK_PG_PASSWORD, DK_PG_DB.

DK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DK_PG_IMAGE=flux-test/postgres:15
# The flux image under test (`make image` builds k2bd/flux:dev).
DK_FLUX_IMAGE=${FLUX_IMAGE:-k2bd/flux:dev}
# shellcheck disable=SC2034  # for the tests that build FROM it
DK_BASE_IMAGE=debian:bookworm-slim

# docker run/create arguments that label a container of this run and scope.
dk_labels() {
	printf '%s\n' --label flux-test=1 --label "flux-test.run=$DK_RUN" \
		--label "flux-test.scope=${BATS_TEST_NUMBER:-file}"
}

dk_setup_file() {
	export DK_SKIP=""
	if ! command -v docker >/dev/null 2>&1; then
		DK_SKIP="container tests: docker is not installed"
		return 0
	fi
	local err
	if ! err=$(docker info 2>&1 >/dev/null); then
		err=$(printf '%s\n' "$err" | grep -v '^[[:space:]]*$' | tail -n1)
		DK_SKIP="container tests: no Docker engine answers (docker info: $err)"
		return 0
	fi
	"$DK_ROOT/scripts/images.sh" all >&3 2>&1 || {
		echo "container tests: scripts/images.sh failed" >&2
		return 1
	}
	# scripts/run-tests.sh builds the flux image first; a bats run of its
	# own builds it when missing (cached layers make a rebuild quick).
	if ! docker image inspect "$DK_FLUX_IMAGE" >/dev/null 2>&1; then
		make -C "$DK_ROOT" image IMAGE="$DK_FLUX_IMAGE" >&3 2>&1 || {
			echo "container tests: cannot build $DK_FLUX_IMAGE (make image)" >&2
			return 1
		}
	fi
	export DK_FLUX_IMAGE
	DK_RUN="${DK_RUN_PREFIX:-flux}-$(date +%s)-$$-$RANDOM"
	export DK_RUN
	export DK_NET="$DK_RUN"
	dk_network_create "$DK_NET"
}

dk_setup() {
	if [ -n "${DK_SKIP:-}" ]; then
		skip "$DK_SKIP"
	fi
}

# Create a labelled bridge network (same MTU as the default bridge).
dk_network_create() {
	local mtu opts=()
	mtu=$(docker network inspect bridge \
		-f '{{index .Options "com.docker.network.driver.mtu"}}' 2>/dev/null || true)
	[ -n "$mtu" ] && opts=(--opt "com.docker.network.driver.mtu=$mtu")
	docker network create "${opts[@]}" --label flux-test=1 \
		--label "flux-test.run=$DK_RUN" "$1" >/dev/null
}

# docker run on the file's network with this run's labels:
#   dk_run [docker run options...] IMAGE [ARGS...]
# Removed automatically when it exits (--rm). Exit code is the container's.
dk_run() {
	# shellcheck disable=SC2046
	docker run --rm --network "$DK_NET" $(dk_labels) "$@"
}

# flux from the image on the file's network:
#   dk_flux [docker run options...] [-- flux args...]
# Without `--` the image's CMD (apply) runs. stdin is closed.
dk_flux() {
	local opts=() a
	for a in "$@"; do
		if [ "$a" = -- ]; then
			shift $((${#opts[@]} + 1))
			dk_run "${opts[@]}" "$DK_FLUX_IMAGE" "$@" </dev/null
			return
		fi
		opts+=("$a")
	done
	dk_run "$@" "$DK_FLUX_IMAGE" </dev/null
}

# A project directory the image's user (uid 65532) can read:
#   dk_project DIR     creates DIR/migrations, mode 755 (mktemp dirs are 700)
dk_project() {
	mkdir -p "$1/migrations"
	chmod 755 "$1" "$1/migrations"
}

# dk_migration DIR ID SQL: write DIR/migrations/ID.sql, readable by anyone.
dk_migration() {
	printf '%s\n' "$3" >"$1/migrations/$2.sql"
	chmod 644 "$1/migrations/$2.sql"
}

# A fresh database on the file's server; prints its URL:
#   url=$(dk_createdb NAME)
dk_createdb() {
	dk_psql -q -c 'set client_min_messages = warning' -c "drop database if exists \"$1\" with (force)" -c "create database \"$1\"" >/dev/null &&
		printf 'postgresql://%s:%s@%s:5432/%s' "$DK_PG_USER" "$DK_PG_PASSWORD" "$DK_PG_NAME" "$1"
}

# dk_psql_db DB [psql args...]: psql against database DB of the file's server.
dk_psql_db() {
	local db=$1
	shift
	docker exec -i -e PGPASSWORD="$DK_PG_PASSWORD" "$DK_PG_NAME" \
		psql -X -v ON_ERROR_STOP=1 -U "$DK_PG_USER" -d "$db" "$@"
}

# docker-compose (v1) or `docker compose` (v2), whichever is installed.
dk_compose() {
	if command -v docker-compose >/dev/null 2>&1; then
		docker-compose "$@"
	else
		docker compose "$@"
	fi
}

# Start a PostgreSQL 15 container on $DK_NET and wait until it is healthy.
#   dk_pg_start [docker run options...] [-- postgres args...]
# Defaults: user postgres, password flux_pw_123, database app; override with
# -e POSTGRES_USER=... etc. in the options (they are read back for DK_PG_*).
# fsync is off and initdb does not sync (test data only).
dk_pg_start() {
	local opts=() pgargs=() seen=0 a
	for a in "$@"; do
		if [ "$seen" = 0 ] && [ "$a" = -- ]; then
			seen=1
		elif [ "$seen" = 0 ]; then
			opts+=("$a")
		else
			pgargs+=("$a")
		fi
	done
	DK_PG_NAME="$DK_RUN-pg-${BATS_TEST_NUMBER:-f}-$RANDOM"
	# shellcheck disable=SC2046
	docker run -d --name "$DK_PG_NAME" --network "$DK_NET" $(dk_labels) \
		-e POSTGRES_PASSWORD=flux_pw_123 -e POSTGRES_DB=app -e POSTGRES_INITDB_ARGS=--no-sync \
		"${opts[@]}" "$DK_PG_IMAGE" -c fsync=off -c full_page_writes=off "${pgargs[@]}" \
		>/dev/null || return 1
	DK_PG_USER=$(dk_env "$DK_PG_NAME" POSTGRES_USER)
	DK_PG_USER=${DK_PG_USER:-postgres}
	DK_PG_PASSWORD=$(dk_env "$DK_PG_NAME" POSTGRES_PASSWORD)
	DK_PG_DB=$(dk_env "$DK_PG_NAME" POSTGRES_DB)
	DK_PG_DB=${DK_PG_DB:-$DK_PG_USER}
	DK_PG_URL="postgresql://$DK_PG_USER:$DK_PG_PASSWORD@$DK_PG_NAME:5432/$DK_PG_DB"
	export DK_PG_NAME DK_PG_USER DK_PG_PASSWORD DK_PG_DB DK_PG_URL
	dk_wait_healthy "$DK_PG_NAME" "${DK_PG_TIMEOUT:-90}"
}

# The last value of environment variable $2 in container $1's config.
dk_env() {
	docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$1" |
		sed -n "s/^$2=//p" | tail -n1
}

# Wait until container $1 is healthy (timeout $2 seconds, default 60). Fails,
# printing its logs, when it stops or the time runs out.
dk_wait_healthy() {
	local name=$1 timeout=${2:-60} state deadline
	deadline=$((SECONDS + timeout))
	while :; do
		state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' \
			"$name" 2>/dev/null) || state="missing -"
		case $state in
		"running healthy") return 0 ;;
		"running none")
			echo "dk_wait_healthy: $name has no healthcheck" >&2
			return 1
			;;
		running\ *) ;;
		*)
			echo "dk_wait_healthy: $name is $state" >&2
			docker logs --tail 50 "$name" >&2 2>&1 || true
			return 1
			;;
		esac
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "dk_wait_healthy: $name not healthy after ${timeout}s ($state)" >&2
			docker logs --tail 50 "$name" >&2 2>&1 || true
			return 1
		fi
		sleep 0.2
	done
}

# psql inside the PostgreSQL container (over the unix socket, no network):
#   dk_psql [psql args...]      e.g. dk_psql -Atc 'select count(*) from t'
dk_psql() {
	docker exec -i -e PGPASSWORD="$DK_PG_PASSWORD" "$DK_PG_NAME" \
		psql -X -v ON_ERROR_STOP=1 -U "$DK_PG_USER" -d "$DK_PG_DB" "$@"
}

# Remove containers carrying this run's labels (and $1 scope, if given).
dk_rm_labelled() {
	local ids filter=(--filter "label=flux-test.run=$DK_RUN")
	[ -n "${1:-}" ] && filter+=(--filter "label=flux-test.scope=$1")
	ids=$(docker ps -aq "${filter[@]}")
	# shellcheck disable=SC2086
	[ -z "$ids" ] || docker rm -f -v $ids >/dev/null 2>&1 || true
}

# teardown: this test's containers. A failed test first shows their logs.
dk_teardown() {
	[ -n "${DK_RUN:-}" ] || return 0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		local id
		for id in $(docker ps -aq --filter "label=flux-test.run=$DK_RUN" \
			--filter "label=flux-test.scope=${BATS_TEST_NUMBER:-file}"); do
			echo "--- docker logs $(docker inspect -f '{{.Name}}' "$id")" >&2
			docker logs --tail 30 "$id" >&2 2>&1 || true
		done
	fi
	dk_rm_labelled "${BATS_TEST_NUMBER:-file}"
}

# teardown_file: every container and network of this run.
dk_teardown_file() {
	[ -n "${DK_RUN:-}" ] || return 0
	dk_rm_labelled
	local nets
	nets=$(docker network ls -q --filter "label=flux-test.run=$DK_RUN")
	# shellcheck disable=SC2086
	[ -z "$nets" ] || docker network rm $nets >/dev/null 2>&1 || true
}
