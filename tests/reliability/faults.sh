# shellcheck shell=bash
# Section 3: the server goes away mid-batch (a separate cluster, stopped
# and started here).

# 30 migrations of ~50 ms each: each creates table f_NNN.
fault_project() {
	local dir=$1 i
	mkdir -p "$dir/migrations"
	for ((i = 1; i <= 30; i++)); do
		printf 'select pg_sleep(0.05);\ncreate table f_%03d (x int);\n' "$i" \
			>"$dir/migrations/$(printf %03d "$i").sql"
	done
}

# History equals the tables that exist (as in the crash test).
fault_consistent() {
	local db=$1 hist eff
	hist=$(q "select coalesce(string_agg(id, ',' order by id), '') from _flux_migrations" \
		"$db" "$FAULT_PGPORT" 2>/dev/null) || hist=
	eff=$(q "select coalesce(string_agg(substr(relname, 3), ',' order by relname), '')
		from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace
		and relname like 'f\_%'" "$db" "$FAULT_PGPORT") || return 1
	[ "$hist" = "$eff" ] || fail "history and effects differ:
  history: $hist
  effects: $eff"
	awk -F, '{print NF}' <<<"$hist"
}

# A message that says the connection or server went away.
fault_message_ok() {
	grep -Eqi 'connection|terminat|server closed|shut ?down|lost' "$1"
}

# fault_stop BIN MODE: pg_ctl stop -m MODE while a batch runs.
fault_stop() {
	local bin=$1 mode=$2 db dir pid rc n i
	db=$(new_db stop "$FAULT_PGPORT") || return 1
	dir=$(mktemp -d "$REL_TMP/fault.XXXXXX")
	fault_project "$dir"
	cd "$dir" || return 1
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db" "$FAULT_PGPORT")
	# wait-timeout 0: the server is gone for good as far as this run knows
	"$REL_ROOT/$bin" --wait-timeout 0 apply >out 2>err &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		n=$(q "select count(*) from _flux_migrations" "$db" "$FAULT_PGPORT" 2>/dev/null) || n=0
		[ "$n" -ge 5 ] && break
		sleep 0.02
	done
	fault_pg_ctl_stop "$mode" >/dev/null || { kill "$pid"; return 1; }
	wait "$pid"
	rc=$?
	echo "flux exit $rc after pg_ctl stop -m $mode with $n applied; stderr:"
	cat err
	fault_pg_ctl_start >/dev/null || fail "cannot restart the cluster"
	[ "$rc" -eq 6 ] || fail "expected exit 6, got $rc"
	fault_message_ok err || fail "no clear message about the lost connection"
	n=$(fault_consistent "$db") || { echo "$n"; return 1; }
	echo "after restart: $n migrations applied and recorded, consistent"
	rerun_completes "$bin" 30 fault_consistent "$db" "$FAULT_PGPORT"
}

# fault_terminate BIN: pg_terminate_backend of flux's backend mid-statement.
fault_terminate() {
	local bin=$1 db dir pid rc n i victim=
	db=$(new_db term "$FAULT_PGPORT") || return 1
	dir=$(mktemp -d "$REL_TMP/term.XXXXXX")
	mkdir -p "$dir/migrations"
	cd "$dir" || return 1
	printf 'create table f_001 (x int);\n' >migrations/001.sql
	printf 'create table f_002 (x int);\n' >migrations/002.sql
	# sleeps only when the session says so (the first run)
	printf "create table f_003 (x int);\nselect pg_sleep(case when current_setting('rel.sleep', true) = 'on' then 60 else 0 end);\n" \
		>migrations/003.sql
	printf 'create table f_004 (x int);\n' >migrations/004.sql
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db" "$FAULT_PGPORT")
	PGOPTIONS="-c rel.sleep=on" "$REL_ROOT/$bin" apply >out 2>err &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		victim=$(q "select pid from pg_stat_activity where datname = '$db'
			and query like '%pg_sleep(case%' and pid <> pg_backend_pid()" \
			postgres "$FAULT_PGPORT")
		[ -n "$victim" ] && break
		sleep 0.02
	done
	[ -n "$victim" ] || { kill "$pid"; fail "flux never reached the sleeping statement"; }
	q "select pg_terminate_backend($victim)" postgres "$FAULT_PGPORT" >/dev/null
	wait "$pid"
	rc=$?
	echo "flux exit $rc after pg_terminate_backend; stderr:"
	cat err
	[ "$rc" -eq 6 ] || fail "expected exit 6, got $rc"
	fault_message_ok err || fail "no clear message about the lost connection"
	n=$(fault_consistent "$db") || { echo "$n"; return 1; }
	[ "$n" = 2 ] || fail "expected 001 and 002 applied, got $n"
	rerun_completes "$bin" 4 fault_consistent "$db" "$FAULT_PGPORT"
}

# Rounds per binary, of three tests each.
fault_rounds() {
	if [ "$REL_MODE" = soak ]; then echo 5; else echo 1; fi
}

count_faults() {
	echo $((3 * $(fault_rounds) * $(rel_bin_count)))
}

section_faults() {
	local bin label mode rounds r
	rounds=$(fault_rounds)
	if ! rel_fault_cluster; then
		rel_test "server faults: start a second cluster" false
		return
	fi
	for bin in $REL_BINS; do
		label=$(rel_bin_label "$bin")
		for ((r = 1; r <= rounds; r++)); do
			for mode in fast immediate; do
				rel_test "server fault ($label): pg_ctl stop -m $mode mid-batch is exit 6; rerun after restart completes" \
					fault_stop "$bin" "$mode"
			done
			rel_test "server fault ($label): backend terminated mid-statement is exit 6, state consistent, rerun completes" \
				fault_terminate "$bin"
		done
	done
}
