# shellcheck shell=bash
# Section 1: many flux processes against one database at once.

# A project of N migrations; each creates its own table (so a second run
# of one fails loudly) and inserts its ID into the counter table, which has
# no unique constraint (so a double run also shows as a duplicate row).
conc_project() {
	local dir=$1 n=$2 i id
	mkdir -p "$dir/migrations"
	for ((i = 1; i <= n; i++)); do
		printf -v id '%03d_step' "$i"
		printf 'create table m_%03d (x int);\ninsert into counter (id) values (%s);\n' \
			"$i" "'$id'" >"$dir/migrations/$id.sql"
	done
}

# Check the database after everything ran: every ID once, every counter
# row once, nothing else.
conc_check() {
	local db=$1 n=$2 got
	got=$(q "select count(*) || ' ' || count(distinct id) from _flux_migrations" "$db") || return 1
	[ "$got" = "$n $n" ] || fail "history: expected $n rows, $n distinct; got $got"
	got=$(q "select count(*) || ' ' || count(distinct id) from counter" "$db") || return 1
	[ "$got" = "$n $n" ] || fail "counter: expected $n rows, $n distinct; got $got"
	got=$(q "select count(*) from _flux_migrations h join counter c using (id)" "$db")
	[ "$got" = "$n" ] || fail "history and counter disagree: $got common ids"
}

# conc_apply BIN PROCS MIGRATIONS
conc_apply() {
	local bin=$1 procs=$2 n=$3 db dir i rc failed=0
	db=$(new_db conc) || return 1
	q "create table counter (id text not null)" "$db" || return 1
	dir=$(mktemp -d "$REL_TMP/conc.XXXXXX")
	conc_project "$dir" "$n"
	cd "$dir" || return 1
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db")
	local pids=()
	for ((i = 0; i < procs; i++)); do
		"$REL_ROOT/$bin" apply >"out.$i" 2>"err.$i" &
		pids+=($!)
	done
	for ((i = 0; i < procs; i++)); do
		wait "${pids[$i]}"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "process $i exited $rc:"
			cat "err.$i"
			failed=1
		fi
	done
	[ "$failed" = 0 ] || return 1
	conc_check "$db" "$n" || return 1
	# Exactly one process applied each migration (the log says so).
	local applied
	applied=$(cat err.* | grep -c "applied [0-9]*_step in")
	[ "$applied" = "$n" ] || fail "logs report $applied migrations applied, expected $n"
	assert_no_lock 3589 || return 1
	echo "$procs processes, $n migrations: all exit 0, each applied once"
	# A replica that starts after them finds nothing to do and writes
	# nothing: it succeeds on a read-only session (any CREATE or INSERT
	# would fail with SQLSTATE 25006).
	PGOPTIONS="-c default_transaction_read_only=on" "$REL_ROOT/$bin" apply >late.out 2>late.err ||
		fail "apply on the up-to-date database, read-only session: exit $?: $(cat late.err)"
	grep -q "no pending migrations" late.err || fail "late apply: $(cat late.err)"
	conc_check "$db" "$n" || return 1
	echo "a late apply: nothing to do, exit 0 on a read-only session"
}

# Status output (table) is consistent: only applied/pending, the applied
# ones a prefix of the sorted IDs.
status_consistent() {
	awk 'NR > 1 { st[NR] = $2 }
		NR > 1 && $2 != "applied" && $2 != "pending" { print "bad state: " $0; bad = 1 }
		NR > 1 && $2 == "applied" && seen_pending { print "applied after pending: " $0; bad = 1 }
		NR > 1 && $2 == "pending" { seen_pending = 1 }
		END { exit bad }' "$1"
}

# conc_mix BIN: appliers, status and validate readers together.
conc_mix() {
	local bin=$1 n=40 db dir i rc failed=0 k
	db=$(new_db mix) || return 1
	q "create table counter (id text not null)" "$db" || return 1
	dir=$(mktemp -d "$REL_TMP/mix.XXXXXX")
	conc_project "$dir" "$n"
	# slow each migration down a little so that the readers see a batch in flight
	for f in "$dir"/migrations/*.sql; do
		echo 'select pg_sleep(0.01);' >>"$f"
	done
	cd "$dir" || return 1
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db")
	local apids=() rpids=()
	for ((i = 0; i < 6; i++)); do
		"$REL_ROOT/$bin" apply >"a.out.$i" 2>"a.err.$i" &
		apids+=($!)
	done
	for ((i = 0; i < 6; i++)); do
		(
			k=0
			while [ $k -lt 8 ]; do
				if ((i % 2)); then
					"$REL_ROOT/$bin" validate >"v.out.$i.$k" 2>"v.err.$i.$k"
					rc=$?
					[ $rc -eq 0 ] || { echo "validate exited $rc:"; cat "v.err.$i.$k"; exit 1; }
				else
					"$REL_ROOT/$bin" status >"s.out.$i.$k" 2>"s.err.$i.$k"
					rc=$?
					[ $rc -eq 0 ] || { echo "status exited $rc:"; cat "s.err.$i.$k"; exit 1; }
					status_consistent "s.out.$i.$k" || { cat "s.out.$i.$k"; exit 1; }
				fi
				k=$((k + 1))
				sleep 0.0$((RANDOM % 10))
			done
		) &
		rpids+=($!)
	done
	for ((i = 0; i < ${#apids[@]}; i++)); do
		wait "${apids[$i]}" || {
			echo "apply $i failed:"
			cat "a.err.$i"
			failed=1
		}
	done
	for ((i = 0; i < ${#rpids[@]}; i++)); do
		wait "${rpids[$i]}" || failed=1
	done
	[ "$failed" = 0 ] || return 1
	conc_check "$db" "$n" || return 1
	"$REL_ROOT/$bin" status --exit-code >final.out 2>final.err ||
		fail "final status --exit-code: $(cat final.out final.err)"
	assert_no_lock 3589 || return 1
	echo "6 apply + 3 status loops + 3 validate loops: all exit 0, consistent"
}

# count_concurrency: the number of tests section_concurrency reports.
count_concurrency() {
	local per=2
	[ "$REL_MODE" = soak ] && per=3
	echo $((per * $(rel_bin_count)))
}

section_concurrency() {
	local bin label procs=16 n=50
	for bin in $REL_BINS; do
		label=$(rel_bin_label "$bin")
		rel_test "concurrency ($label): $procs processes apply $n migrations at once; a late one writes nothing" \
			conc_apply "$bin" $procs $n
		rel_test "concurrency ($label): apply, status and validate together" conc_mix "$bin"
	done
	if [ "$REL_MODE" = soak ]; then
		for bin in $REL_BINS; do
			label=$(rel_bin_label "$bin")
			rel_test "concurrency soak ($label): 48 processes apply 200 migrations" \
				conc_apply "$bin" 48 200
		done
	fi
}
