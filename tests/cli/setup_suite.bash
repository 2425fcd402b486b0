# shellcheck shell=bash
# bats picks this file up for `bats tests/cli` and `bats tests/cli/x.bats`:
# one PostgreSQL cluster for every file of the run, unless the caller
# (scripts/run-tests.sh) already started one and exported FLUX_TEST_PGPORT.

FLUX_TEST_CLI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

setup_suite() {
	if [ -z "${FLUX_TEST_PGPORT:-}" ]; then
		# shellcheck source=tests/cli/pgcluster.sh
		. "$FLUX_TEST_CLI_DIR/pgcluster.sh"
		pgc_start || return 1
		export FLUX_TEST_SUITE_OWNS_CLUSTER=1
	fi
}

teardown_suite() {
	if [ -n "${FLUX_TEST_SUITE_OWNS_CLUSTER:-}" ]; then
		# shellcheck source=tests/cli/pgcluster.sh
		. "$FLUX_TEST_CLI_DIR/pgcluster.sh"
		pgc_stop
	fi
}
