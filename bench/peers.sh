#!/usr/bin/env bash
# Install the peer migration tools that bench/run.sh compares flux with, into
# build/bench/bin (never committed): golang-migrate's `migrate` (built with
# the postgres driver) and `dbmate`, each with `go install` through the Go
# module proxy that `go env` names. A tool already there is kept. A tool
# that cannot be installed (no Go, the proxy does not serve it, no network)
# is skipped with a line saying so; this script always exits 0, and
# bench/run.sh leaves out the rows of tools it does not find.
#
# Knobs (environment):
#   BENCH_GO         the go command (default: go on PATH, else /usr/local/go/bin/go)
#   MIGRATE_VERSION  golang-migrate module version (default v4.20.1)
#   DBMATE_VERSION   dbmate module version (default v2.28.0)
#   PEERS_TIMEOUT    seconds allowed for each go install (default 300)
# Each installed binary gets a NAME.version file beside it, which
# bench/run.sh prints (go install leaves the tools' own version at "dev").
set -u

cd "$(dirname "$0")/.." || exit 0
BIN=$PWD/build/bench/bin
MIGRATE_VERSION=${MIGRATE_VERSION:-v4.20.1}
DBMATE_VERSION=${DBMATE_VERSION:-v2.28.0}
PEERS_TIMEOUT=${PEERS_TIMEOUT:-300}

GO=${BENCH_GO:-}
if [ -z "$GO" ]; then
	GO=$(command -v go 2>/dev/null || true)
	[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go
fi

# peer_install NAME VERSION PACKAGE [go install flags...]
peer_install() {
	local name=$1 version=$2 pkg=$3 log
	shift 3
	if [ -x "$BIN/$name" ]; then
		echo "peers: $name already in build/bench/bin ($(cat "$BIN/$name.version" 2>/dev/null || echo 'version unknown'))"
		return 0
	fi
	if [ -z "$GO" ]; then
		echo "peers: $name skipped: no go command to install it with"
		return 0
	fi
	mkdir -p "$BIN"
	log=$(mktemp "${TMPDIR:-/tmp}/flux-peers.XXXXXX")
	echo "peers: installing $name $version with go install ..."
	if GOBIN=$BIN timeout "$PEERS_TIMEOUT" "$GO" install "$@" "$pkg@$version" >"$log" 2>&1 &&
		[ -x "$BIN/$name" ]; then
		echo "$version (go install $pkg)" >"$BIN/$name.version"
		echo "peers: $name $version installed in build/bench/bin"
	else
		echo "peers: $name skipped: go install failed: $(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
		rm -f "$BIN/$name"
	fi
	rm -f "$log"
}

peer_install migrate "$MIGRATE_VERSION" github.com/golang-migrate/migrate/v4/cmd/migrate -tags postgres
peer_install dbmate "$DBMATE_VERSION" github.com/amacneil/dbmate/v2
exit 0
