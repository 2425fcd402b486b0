# shellcheck shell=bash
# Dropped packets for the end-to-end tests `load netfault_helper`
# after `load helper`.
#
# A partition is made with iptables DROP rules in the INPUT chain that
# match one TCP connection's client port on loopback, both ways (client to
# server: --sport; server to client: --dport). Only that connection goes
# silent: the shared cluster keeps serving every other connection, so the
# cancel request and the test's own checks (new connections, new ports)
# get through, as they would from the far side of a real partition. Every
# rule carries the comment flux-nf:RUN:PORT, RUN naming this
# bats run; nf_undrop_all removes this run's rules (teardown), also after a
# failed test, and never another run's: several worktrees may run these
# tests on one machine at once.

NF_RUN=${BATS_RUN_TMPDIR:-$$}
NF_RUN=${NF_RUN##*/}
NF_RUN=${NF_RUN//[^A-Za-z0-9]/}

# nf_usable: iptables works here (root, netfilter available). A test that
# needs it skips with the reason otherwise.
nf_usable() {
	command -v iptables >/dev/null 2>&1 && iptables -w -S INPUT >/dev/null 2>&1
}

nf_require() {
	nf_usable || skip "iptables is not usable here (needs root and netfilter)"
}

# nf_drop_port PORT: drop every loopback packet from or to client port PORT.
nf_drop_port() {
	local c="flux-nf:$NF_RUN:$1"
	iptables -w -I INPUT -i lo -p tcp --sport "$1" -m comment --comment "$c" -j DROP &&
		iptables -w -I INPUT -i lo -p tcp --dport "$1" -m comment --comment "$c" -j DROP
}

# nf_undrop_all: remove every rule nf_drop_port added in this run.
nf_undrop_all() {
	command -v iptables >/dev/null 2>&1 || return 0
	local rule
	while IFS= read -r rule; do
		# "-A INPUT ..." as iptables -S prints it, deleted with -D
		# shellcheck disable=SC2086
		eval "iptables -w -D ${rule#-A }" || true
	done < <(iptables -w -S INPUT 2>/dev/null | grep -- "--comment \"\\{0,1\\}flux-nf:$NF_RUN:")
}

# nf_flux_session PATTERN: "pid port" of the flux session of the test
# database running a query like PATTERN.
nf_flux_session() {
	psql_q "select pid || ' ' || client_port from pg_stat_activity
		where datname = current_database() and application_name = 'flux'
		and query like '$1' limit 1"
}

# nf_wait_backend_gone PID SECS: until the backend PID has ended (polls
# every 0.5 s); fails after SECS.
nf_wait_backend_gone() {
	for _ in $(seq 1 $(($2 * 2))); do
		[ "$(psql_q "select count(*) from pg_stat_activity where pid = $1")" = 0 ] && return 0
		sleep 0.5
	done
	echo "backend $1 still there after $2 s" >&2
	return 1
}

# The advisory lock 3589 is held by nobody.
nf_lock_free() {
	[ "$(psql_q "select count(*) from pg_locks where locktype = 'advisory'
		and objid = 3589 and granted")" = 0 ]
}
