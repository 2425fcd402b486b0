#!/usr/bin/env bats
# Stepping through migrations: apply --to ID, goto ID and
# redo, their dry runs, unknown IDs, approval, and the history table after
# each step.

load helper

# Four migrations, each with an undo. Every up and undo writes a row to
# audit (created by the first) with the backend's pid and whether that
# backend holds the advisory lock, so a test can see what ran, in which
# session and under the lock. pre-apply/post-apply count their runs.
LOCKED="(select count(*) from pg_locks where locktype = 'advisory' and objid = 3589 and pid = pg_backend_pid() and granted)"

steps_project() {
	write_migration 0001_a "create table audit (seq serial, what text, pid int, locked bigint);
insert into audit (what, pid, locked) values ('up a', pg_backend_pid(), $LOCKED);"
	write_undo 0001_a "drop table audit;"
	local id t
	for id in 0002_b 0003_c 0004_d; do
		t=${id#*_}
		write_migration "$id" "create table $t (id int);
insert into audit (what, pid, locked) values ('up $t', pg_backend_pid(), $LOCKED);"
		write_undo "$id" "drop table $t;
insert into audit (what, pid, locked) values ('undo $t', pg_backend_pid(), $LOCKED);"
	done
	write_pre 0_pre "create table if not exists runs (phase text);
insert into runs values ('pre');"
	write_post 9_post "insert into runs values ('post');"
}

audit() { psql_q "select what from audit order by seq"; }
runs() { psql_q "select count(*) filter (where phase = 'pre') || ' ' || count(*) filter (where phase = 'post') from runs"; }

# Run flux with stdin on a terminal (script(1) gives it a pty), feeding ANSWER.
flux_on_tty() {
	local answer=$1 cmd
	shift
	cmd=$(printf '%q ' "$FLUX_BIN" "$@")
	run --separate-stderr bash -c "printf '%s\n' \"\$1\" | script -qec \"\$2\" /dev/null" _ "$answer" "$cmd"
}

# A URL nothing answers: a command that gets this far would exit 6, so an
# exit 2 proves the decision came before any connection.
unreachable_url() {
	printf 'postgresql://u:p@127.0.0.1:%s/db' "$(free_port)"
}

# --- apply --to ---------------------------------------------------------------

@test "apply --to ID applies the pending migrations up to and including ID" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
	assert_eq "$(audit)" "up a
up b" "audit"
	assert_eq "$(runs)" "1 1" "pre/post runs"
	run --separate-stderr flux apply --to=0003_c
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b
0003_c" "history"
	assert_match "$stderr" "applied 1 migration in [0-9]+ ms" "stderr"
	run --separate-stderr flux status --exit-code
	assert_status 9
	assert_contains "$output" "0004_d" "status"
}

@test "apply --to an applied ID: exit 0, a message, nothing applied (repeatables run as in every apply)" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	assert_contains "$stderr" "'0002_b' is already applied" "stderr"
	run --separate-stderr flux apply --to 0001_a
	assert_status 0
	assert_contains "$stderr" "'0001_a' is already applied" "stderr"
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
	assert_eq "$(audit)" "up a
up b" "audit"
	assert_eq "$(runs)" "3 3" "pre/post runs"
}

@test "apply --to --dry-run prints pre-apply, apply and post-apply lines and creates nothing" {
	steps_project
	run --separate-stderr flux apply --to 0003_c --dry-run
	assert_status 0
	assert_eq "$output" "pre-apply 0_pre
apply 0001_a
apply 0002_b
apply 0003_c
post-apply 9_post" "stdout"
	assert_no_history_table
	assert_no_relation audit
}

@test "apply --to an unknown ID: exit 2 before connecting, nothing created" {
	steps_project
	local bad
	bad=$(unreachable_url)
	run --separate-stderr flux apply --to 0009_x --database-url "$bad" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "unknown migration '0009_x'" "stderr"
	run --separate-stderr flux apply --to 0002_b.sql --database-url "$bad" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "without .sql" "stderr"
	run --separate-stderr flux apply --to 9_post --database-url "$bad" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "'9_post' is a post-apply repeatable migration" "stderr"
	# and against the real database nothing is created either
	run --separate-stderr flux apply --to 0009_x
	assert_status 2
	assert_no_history_table
	assert_no_relation runs
}

@test "apply: N together with --to, or --to without an ID, is exit 2" {
	steps_project
	run --separate-stderr flux apply 2 --to 0002_b
	assert_status 2
	assert_contains "$stderr" "not both" "stderr"
	run --separate-stderr flux apply --to
	assert_status 2
	assert_contains "$stderr" "'--to' needs a migration ID" "stderr"
	run --separate-stderr flux apply --to=
	assert_status 2
	assert_no_history_table
}

# --- goto -----------------------------------------------------------------------

@test "goto forward applies up to ID, without asking (nothing is undone)" {
	steps_project
	run --separate-stderr flux goto 0002_b
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
	run --separate-stderr flux goto 0004_d
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b
0003_c
0004_d" "history"
	assert_eq "$(audit)" "up a
up b
up c
up d" "audit"
}

@test "goto back undoes every migration after ID, newest first, in one locked session" {
	steps_project
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux goto 0002_b -y
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
	assert_eq "$(audit)" "up a
up b
up c
up d
undo d
undo c" "audit"
	assert_no_relation c
	assert_no_relation d
	# both undos in one session, each under the lock
	assert_eq "$(psql_q "select count(distinct pid) || ' ' || min(locked) from audit where what like 'undo %'")" "1 1" "undo session"
	assert_eq "$(runs)" "2 2" "pre/post runs (apply, then the undo part)"
	assert_match "$stderr" "undid 0004_d in [0-9]+ ms.*undid 0003_c in [0-9]+ ms" "stderr"
}

@test "goto to the last applied migration: exit 0, nothing undone or applied" {
	steps_project
	run --separate-stderr flux apply --to 0003_c
	assert_status 0
	run --separate-stderr flux goto 0003_c
	assert_status 0
	assert_contains "$stderr" "'0003_c' is already the last applied migration" "stderr"
	assert_eq "$(history_ids)" "0001_a
0002_b
0003_c" "history"
	assert_eq "$(audit)" "up a
up b
up c" "audit"
}

@test "goto --dry-run prints the plan either way and changes nothing" {
	steps_project
	run --separate-stderr flux goto 0002_b --dry-run
	assert_status 0
	assert_eq "$output" "pre-apply 0_pre
apply 0001_a
apply 0002_b
post-apply 9_post" "stdout"
	assert_no_history_table
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux goto 0001_a --dry-run
	assert_status 0
	assert_eq "$output" "pre-apply 0_pre
undo 0004_d
undo 0003_c
undo 0002_b
post-apply 9_post" "stdout"
	run --separate-stderr env FLUX_APPLY_REPEATABLE_ON_UNDO=false "$FLUX_BIN" goto 0003_c --dry-run
	assert_status 0
	assert_eq "$output" "undo 0004_d" "stdout"
	assert_eq "$(history_count)" 4
	assert_eq "$(runs)" "1 1" "pre/post runs"
}

@test "goto back without -y and without a terminal: exit 2, nothing undone; -y and FLUX_AUTO_APPROVE approve" {
	steps_project
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux goto 0002_b
	assert_status 2
	assert_contains "$stderr" "goto refused" "stderr"
	assert_contains "$stderr" "--auto-approve" "stderr"
	assert_eq "$(history_count)" 4
	assert_eq "$(runs)" "1 1" "pre/post runs"
	run --separate-stderr env FLUX_AUTO_APPROVE=true "$FLUX_BIN" goto 0003_c
	assert_status 0
	assert_eq "$(history_count)" 3
	run --separate-stderr flux goto 0002_b --auto-approve
	assert_status 0
	assert_eq "$(history_count)" 2
}

@test "on a terminal: goto back asks, 'n' undoes nothing (exit 2), 'y' undoes" {
	command -v script >/dev/null || skip "script(1) not installed"
	steps_project
	run --separate-stderr flux apply
	assert_status 0
	flux_on_tty n goto 0002_b
	assert_status 2
	assert_contains "$output" "undo 0004_d" "terminal output"
	assert_contains "$output" "[y/N]" "terminal output"
	assert_eq "$(history_count)" 4
	flux_on_tty y goto 0002_b
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
}

@test "goto an unknown ID: exit 2 before connecting; no ID or two IDs: exit 2" {
	steps_project
	run --separate-stderr flux goto 0009_x --database-url "$(unreachable_url)" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "unknown migration '0009_x'" "stderr"
	run --separate-stderr flux goto 0_pre --database-url "$(unreachable_url)" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "pre-apply repeatable" "stderr"
	run --separate-stderr flux goto
	assert_status 2
	assert_contains "$stderr" "goto needs the ID" "stderr"
	run --separate-stderr flux goto 0001_a 0002_b
	assert_status 2
	assert_no_history_table
}

@test "goto on a corrupt history: exit 5, nothing runs, pre-apply included" {
	steps_project
	run --separate-stderr flux apply
	assert_status 0
	write_migration 0003_c "create table c (id int); -- changed"
	run --separate-stderr flux goto 0001_a -y
	assert_status 5
	assert_contains "$stderr" "0003_c: modified" "stderr"
	assert_eq "$(history_count)" 4
	assert_eq "$(runs)" "1 1" "pre/post runs"
}

@test "goto forward stops at a failing migration: exit 1, the ones before it stay applied" {
	steps_project
	write_migration 0003_c "select * from no_such_table;"
	run --separate-stderr flux goto 0004_d
	assert_status 1
	assert_contains "$stderr" "no_such_table" "stderr"
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
}

# --- redo -----------------------------------------------------------------------

@test "redo undoes the last migration and applies it again, in one session under the lock" {
	steps_project
	run --separate-stderr flux apply --to 0003_c
	assert_status 0
	local before
	before=$(psql_q "select applied_at from _flux_migrations where id = '0003_c'")
	run --separate-stderr flux redo -y
	assert_status 0
	assert_eq "$(history_ids)" "0001_a
0002_b
0003_c" "history"
	assert_eq "$(audit)" "up a
up b
up c
undo c
up c" "audit"
	# the undo and the new up: one backend, the lock held by it both times
	assert_eq "$(psql_q "select count(distinct pid) || ' ' || min(locked) from audit where seq > 3")" "1 1" "redo session"
	[ "$(psql_q "select applied_at > '$before' from _flux_migrations where id = '0003_c'")" = t ]
	# each part with its own pre-apply/post-apply, as rollback and apply run them
	assert_eq "$(runs)" "3 3" "pre/post runs"
	assert_contains "$stderr" "redid 0003_c" "stderr"
	run --separate-stderr flux validate
	assert_status 0
}

@test "redo --dry-run prints both parts and changes nothing" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	run --separate-stderr flux redo --dry-run
	assert_status 0
	assert_eq "$output" "pre-apply 0_pre
undo 0002_b
post-apply 9_post
pre-apply 0_pre
apply 0002_b
post-apply 9_post" "stdout"
	run --separate-stderr env FLUX_APPLY_REPEATABLE_ON_UNDO=false "$FLUX_BIN" redo --dry-run
	assert_status 0
	assert_eq "$output" "undo 0002_b
pre-apply 0_pre
apply 0002_b
post-apply 9_post" "stdout"
	assert_eq "$(audit)" "up a
up b" "audit"
	assert_eq "$(runs)" "1 1" "pre/post runs"
}

@test "redo without -y and without a terminal: exit 2 before connecting; on a terminal 'n' refuses, 'y' redoes" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	run --separate-stderr flux redo --database-url "$(unreachable_url)" --wait-timeout 0
	assert_status 2
	assert_contains "$stderr" "redo refused" "stderr"
	run --separate-stderr flux redo
	assert_status 2
	assert_eq "$(audit)" "up a
up b" "audit"
	command -v script >/dev/null || skip "script(1) not installed"
	flux_on_tty n redo
	assert_status 2
	assert_contains "$output" "undo 0002_b" "terminal output"
	assert_eq "$(audit)" "up a
up b" "audit"
	flux_on_tty y redo
	assert_status 0
	assert_eq "$(audit)" "up a
up b
undo b
up b" "audit"
}

@test "redo of a last migration without .undo.sql: exit 2, nothing undone or run" {
	steps_project
	rm migrations/0002_b.undo.sql
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	run --separate-stderr flux redo -y
	assert_status 2
	assert_contains "$stderr" "cannot redo '0002_b': it has no undo migration '0002_b.undo.sql'" "stderr"
	assert_eq "$(history_ids)" "0001_a
0002_b" "history"
	assert_eq "$(audit)" "up a
up b" "audit"
	assert_eq "$(runs)" "1 1" "pre/post runs"
}

@test "redo with nothing applied: exit 0, nothing to redo, nothing created" {
	steps_project
	run --separate-stderr flux redo -y
	assert_status 0
	assert_contains "$stderr" "nothing to redo" "stderr"
	assert_no_history_table
	assert_no_relation runs
}

@test "redo whose apply part fails: exit 1, the migration stays undone" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	# an undo that leaves table b behind makes the second up fail
	write_undo 0002_b "insert into audit (what) values ('undo b');"
	run --separate-stderr flux redo -y
	assert_status 1
	assert_contains "$stderr" "0002_b" "stderr"
	assert_contains "$stderr" "already exists" "stderr"
	assert_eq "$(history_ids)" "0001_a" "history"
	assert_eq "$(audit)" "up a
up b
undo b" "audit"
	run --separate-stderr flux status --exit-code
	assert_status 9
}

@test "redo waits for the lock like rollback: another holder and a lock timeout is exit 8, nothing done" {
	steps_project
	run --separate-stderr flux apply --to 0002_b
	assert_status 0
	hold_lock 3589 30
	run --separate-stderr flux redo -y --lock-timeout 300ms
	release_lock
	assert_status 8
	assert_eq "$(audit)" "up a
up b" "audit"
}

@test "help lists goto and redo; each has its own help" {
	run --separate-stderr flux --help
	assert_status 0
	assert_match "$output" "goto +apply or undo migrations so that ID is the last applied one" "help"
	assert_match "$output" "redo +undo the last applied migration and apply it again" "help"
	run --separate-stderr flux goto --help
	assert_status 0
	assert_contains "$output" "usage: flux [global options] goto ID [--dry-run] [-y]" "goto help"
	run --separate-stderr flux apply --help
	assert_status 0
	assert_contains "$output" "--to ID" "apply help"
	run --separate-stderr flux redo --help
	assert_status 0
	assert_contains "$output" "redo [--dry-run] [-y]" "redo help"
}
