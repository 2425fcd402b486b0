#!/usr/bin/env bats
# TLS (SPEC §5 "TLS", §4 exit 7, §2 "a password never appears"): the
# binary's libpq speaks TLS through OpenSSL; sslmode=require and
# verify-full with a mounted root certificate work; a certificate that does
# not verify, a host name the certificate does not name, or pg_hba refusing
# a connection without TLS is exit 7 at once (not retried until the wait
# timeout), applies nothing and prints no password.
#
# This file runs its own cluster with ssl = on: a throw-away CA made here
# with openssl signs a server certificate for localhost and 127.0.0.1.
# pg_hba admits the admin role (flux_test) with or without TLS and the role
# flux_tls only over TLS. A second CA with the same name but its own key
# stands for a wrong root certificate.

load helper

TLS_ROLE=flux_tls
TLS_PASSWORD=tls_Secret_4821

# ossl ARGS...: openssl, quiet unless it fails.
ossl() {
	local out
	if ! out=$(openssl "$@" 2>&1); then
		printf 'openssl %s failed:\n%s\n' "$*" "$out" >&2
		return 1
	fi
}

# make_certs DIR: ca.crt/ca.key (the CA), other-ca.crt (same subject, other
# key), server.crt/server.key (CN localhost, SAN localhost and 127.0.0.1,
# signed by ca.crt).
make_certs() {
	local d=$1 ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	cat >"$d/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = flux test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
	cat >"$d/server.ext" <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
	ossl req -x509 -config "$d/ca.cnf" "${ec[@]}" -days 2 \
		-keyout "$d/ca.key" -out "$d/ca.crt" || return 1
	ossl req -x509 -config "$d/ca.cnf" "${ec[@]}" -days 2 \
		-keyout "$d/other-ca.key" -out "$d/other-ca.crt" || return 1
	ossl req -new "${ec[@]}" -subj /CN=localhost \
		-keyout "$d/server.key" -out "$d/server.csr" || return 1
	ossl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -CAserial "$d/ca.srl" -days 2 -extfile "$d/server.ext" \
		-out "$d/server.crt" || return 1
	# The certificates are sanity-checked here so that a test failing
	# below is about flux, not about this setup.
	ossl verify -CAfile "$d/ca.crt" "$d/server.crt" || return 1
	if openssl verify -CAfile "$d/other-ca.crt" "$d/server.crt" >/dev/null 2>&1; then
		echo "other-ca.crt verifies the server certificate: bad test setup" >&2
		return 1
	fi
	chmod 644 "$d"/*.crt
	chmod 600 "$d"/*.key
}

setup_file() {
	unset FLUX_TEST_PGPORT FLUX_TEST_PGDIR
	if ! command -v openssl >/dev/null; then
		echo "openssl not installed (run scripts/install-deps.sh)" >&2
		return 1
	fi
	# Outside the bats temp dir, which the postgres user cannot enter.
	TLS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flux-tls.XXXXXX") || return 1
	export TLS_DIR
	chmod 755 "$TLS_DIR"
	make_certs "$TLS_DIR" || return 1
	cat >"$TLS_DIR/pg_hba.conf" <<EOF
# TYPE    DATABASE USER        ADDRESS       METHOD
local     all      all                       scram-sha-256
host      all      flux_test   127.0.0.1/32  scram-sha-256
hostnossl all      $TLS_ROLE    127.0.0.1/32  reject
hostssl   all      $TLS_ROLE    127.0.0.1/32  scram-sha-256
EOF
	chmod 644 "$TLS_DIR/pg_hba.conf"
	if [ "$(id -u)" = 0 ]; then
		# The server key must belong to the server's user, mode 0600.
		chown postgres: "$TLS_DIR/server.key" || return 1
	fi
	# shellcheck disable=SC2034 # read by pgc_start (pgcluster.sh)
	FLUX_TEST_PGCONF="ssl = on
ssl_cert_file = '$TLS_DIR/server.crt'
ssl_key_file = '$TLS_DIR/server.key'
hba_file = '$TLS_DIR/pg_hba.conf'"
	flux_setup_file || return 1
	psql_q "create role $TLS_ROLE login password '$TLS_PASSWORD'" postgres || return 1
	# create: flux runs `create schema if not exists`, which needs it even
	# when the schema exists.
	psql_q "grant create on database $FLUX_TEST_DB to $TLS_ROLE" postgres || return 1
}

teardown_file() {
	flux_teardown_file
	if [ -n "${TLS_DIR:-}" ]; then
		rm -rf "$TLS_DIR"
	fi
}

setup() {
	flux_setup
	psql_q "grant all on schema public to $TLS_ROLE"
	# Records what the server saw of the session that applied it.
	write_migration 20240101_001_probe "create table probe as
select s.ssl, current_user as who
from pg_stat_ssl s where s.pid = pg_backend_pid();"
}

# tls_url HOST QUERY [PASSWORD]: flux_tls's URL for the test database.
tls_url() {
	printf 'postgresql://%s:%s@%s:%s/%s%s' "$TLS_ROLE" "${3:-$TLS_PASSWORD}" \
		"$1" "$FLUX_TEST_PGPORT" "$FLUX_TEST_DB" "${2:+?$2}"
}

# The probe migration ran over TLS as flux_tls, and is recorded.
assert_applied_over_tls() {
	assert_status 0
	assert_eq "$(history_ids)" 20240101_001_probe "applied ids"
	assert_eq "$(psql_q 'select ssl, who from probe')" "t|$TLS_ROLE" "pg_stat_ssl.ssl|current_user"
}

# apply_refused URL [ENV=VALUE...]: apply with URL, debug logs on, under a
# 30 s wait timeout: a refusal retried until the timeout would be exit 6.
apply_refused() {
	local url=$1
	shift
	run --separate-stderr env FLUX_WAIT_TIMEOUT=30s "$@" \
		"$FLUX_BIN" --log-level debug apply --database-url "$url" </dev/null
}

# assert_refused TEXT [PASSWORD...]: the last run was exit 7 with TEXT in
# its message (any case); it applied and created nothing; no password
# (flux_tls's own, and any given) is in its output.
assert_refused() {
	local text=$1 pw
	shift
	assert_status 7
	assert_icontains "$stderr" "$text" "stderr"
	assert_eq "$output" "" "stdout"
	for pw in "$TLS_PASSWORD" "$@"; do
		assert_not_contains "$(all_output)" "$pw" "output"
	done
	assert_no_history_table
	assert_no_relation probe
}

@test "tls: sslmode=require applies over TLS as a role pg_hba admits only over TLS" {
	run --separate-stderr flux apply --database-url "$(tls_url 127.0.0.1 sslmode=require)"
	assert_applied_over_tls
}

@test "tls: verify-full to localhost with the CA as sslrootcert applies" {
	run --separate-stderr flux apply \
		--database-url "$(tls_url localhost "sslmode=verify-full&sslrootcert=$TLS_DIR/ca.crt")"
	assert_applied_over_tls
}

@test "tls: verify-full to 127.0.0.1 matches the certificate's IP address entry" {
	run --separate-stderr flux apply \
		--database-url "$(tls_url 127.0.0.1 "sslmode=verify-full&sslrootcert=$TLS_DIR/ca.crt")"
	assert_applied_over_tls
}

@test "tls: verify-full with channel_binding=require (SCRAM-SHA-256-PLUS) applies" {
	# libpq refuses to finish when the server authenticated without binding
	# SCRAM to the TLS channel, so success shows the binding was used.
	run --separate-stderr flux apply --database-url \
		"$(tls_url localhost "sslmode=verify-full&sslrootcert=$TLS_DIR/ca.crt&channel_binding=require")"
	assert_applied_over_tls
}

@test "tls: key=value conninfo with sslmode=verify-full applies" {
	run --separate-stderr flux apply --database-url "host=localhost port=$FLUX_TEST_PGPORT dbname=$FLUX_TEST_DB user=$TLS_ROLE password=$TLS_PASSWORD sslmode=verify-full sslrootcert=$TLS_DIR/ca.crt"
	assert_applied_over_tls
}

@test "tls: verify-full with a wrong root certificate is exit 7 at once, naming the certificate problem" {
	apply_refused "$(tls_url localhost "sslmode=verify-full&sslrootcert=$TLS_DIR/other-ca.crt")"
	assert_refused "certificate verify failed"
	assert_contains "$stderr" "localhost:$FLUX_TEST_PGPORT" "stderr"
}

@test "tls: verify-full to a name the certificate does not carry is exit 7" {
	# hostaddr: the connection goes to 127.0.0.1 without a name lookup;
	# host is the name the certificate is checked against.
	apply_refused "host=db.flux-test.invalid hostaddr=127.0.0.1 port=$FLUX_TEST_PGPORT dbname=$FLUX_TEST_DB user=$TLS_ROLE password=$TLS_PASSWORD sslmode=verify-full sslrootcert=$TLS_DIR/ca.crt"
	assert_refused 'does not match host name "db.flux-test.invalid"'
}

@test "tls: PGSSLMODE=verify-full and PGSSLROOTCERT from the environment are honoured: wrong root is exit 7" {
	apply_refused "$(tls_url localhost "")" PGSSLMODE=verify-full PGSSLROOTCERT="$TLS_DIR/other-ca.crt"
	assert_refused "certificate verify failed"
}

@test "tls: the TLS-only role with sslmode=disable is refused by pg_hba: exit 7, not retried" {
	apply_refused "$(tls_url 127.0.0.1 sslmode=disable)"
	assert_refused "pg_hba.conf rejects connection"
	assert_icontains "$stderr" "no encryption" "stderr"
}

@test "tls: a wrong password over TLS is exit 7 and neither password is printed" {
	apply_refused "$(tls_url localhost "sslmode=verify-full&sslrootcert=$TLS_DIR/ca.crt" tls_Wrong_7730)"
	assert_refused "password authentication failed" tls_Wrong_7730
}

@test "tls: JSON logs of a refused TLS connection carry no password" {
	apply_refused "$(tls_url localhost "sslmode=verify-full&sslrootcert=$TLS_DIR/other-ca.crt")" FLUX_LOG_FORMAT=json
	assert_refused "certificate verify failed"
	assert_contains "$stderr" '"level":"error"' "stderr"
}
