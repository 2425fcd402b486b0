#!/bin/bash
# Entrypoint of flux-test/postgres:N (13, 15, 17), modelled on the official postgres image.
#
# As root: make $PGDATA and the socket directory belong to postgres, then run
# this script again as postgres (setpriv execs: no process stays behind).
# As postgres, on first start (no $PGDATA/PG_VERSION): initdb, a temporary
# server listening on the unix socket only, create POSTGRES_DB, run
# /docker-entrypoint-initdb.d/*, stop the temporary server. Then exec postgres,
# which becomes PID 1.
set -Eeo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }

# `docker run image -c fsync=off` means `postgres -c fsync=off`.
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

# POSTGRES_PASSWORD_FILE etc., as in the official image.
file_env() {
	local var=$1 file_var="${1}_FILE" def=${2:-}
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		log "error: both $var and $file_var are set (but are exclusive)"
		exit 1
	fi
	local val=$def
	if [ -n "${!var:-}" ]; then
		val=${!var}
	elif [ -n "${!file_var:-}" ]; then
		val=$(<"${!file_var}")
	fi
	export "$var"="$val"
	unset "$file_var"
}

if [ "$1" != postgres ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA"
	chmod 03775 /var/run/postgresql
	find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
	exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
fi

file_env POSTGRES_PASSWORD
file_env POSTGRES_USER postgres
file_env POSTGRES_DB "$POSTGRES_USER"
file_env POSTGRES_INITDB_ARGS
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOF'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.
		EOF
		exit 1
	fi

	log "initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
	initdb_args=(--username="$POSTGRES_USER" --encoding=UTF8 --locale=C.UTF-8
		--auth-local=trust --auth-host="$POSTGRES_HOST_AUTH_METHOD")
	# shellcheck disable=SC2206
	initdb_args+=($POSTGRES_INITDB_ARGS -D "$PGDATA")
	if [ -n "$POSTGRES_PASSWORD" ]; then
		initdb "${initdb_args[@]}" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") >/dev/null
	else
		initdb "${initdb_args[@]}" >/dev/null
	fi
	# Every other host may connect too, with the chosen method.
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

	# Temporary server: unix socket only, so nobody reaches it over TCP
	# before the database and the user exist.
	PGUSER=$POSTGRES_USER PGPASSWORD=$POSTGRES_PASSWORD \
		pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -t 60 start >/dev/null

	psql_init=(psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql_init[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	for f in /docker-entrypoint-initdb.d/*; do
		# shellcheck disable=SC1090
		case $f in
		*.sh) log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
		*.sql) log "running $f"; "${psql_init[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) log "running $f"; gunzip -c "$f" | "${psql_init[@]}" --dbname "$POSTGRES_DB" ;;
		*) ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	unset PGPASSWORD
	log "initialisation done; starting postgres"
fi

exec "$@"
