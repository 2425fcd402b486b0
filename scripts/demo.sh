#!/usr/bin/env bash
# The demo: start a throwaway PostgreSQL, apply examples/migrations with the
# static build/flux, show status, and stop the server again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/cli/pgcluster.sh
. tests/cli/pgcluster.sh

pgc_start
trap pgc_stop EXIT
work=$(mktemp -d)
trap 'pgc_stop; rm -rf "$work"' EXIT
cp -r examples/migrations "$work/"
export DATABASE_URL="postgresql://$FLUX_TEST_PGUSER:$FLUX_TEST_PGPASSWORD@127.0.0.1:$FLUX_TEST_PGPORT/postgres"
flux=$PWD/build/flux
cd "$work"

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$flux" --version
run "$flux" status
run "$flux" apply
run "$flux" status
run "$flux" apply
echo
echo "demo done: the server and its data are removed on exit"
