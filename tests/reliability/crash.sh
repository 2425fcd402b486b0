# shellcheck shell=bash
# Section 2: kill -9 of flux at random moments during a batch, then a rerun.

# 100 migrations: odd ones create table c_NNN, even ones insert marker NNN;
# each sleeps a millisecond so that most kills land inside the batch.
crash_project() {
	local dir=$1 i
	mkdir -p "$dir/migrations"
	for ((i = 1; i <= 100; i++)); do
		if ((i % 2)); then
			printf 'create table c_%03d (x int);\nselect pg_sleep(0.001);\n' "$i" >"$dir/migrations/$(printf %03d "$i").sql"
		else
			printf "select pg_sleep(0.001);\ninsert into markers (id) values ('%03d');\n" "$i" >"$dir/migrations/$(printf %03d "$i").sql"
		fi
	done
}

crash_reset() {
	q "drop schema public cascade; create schema public;
		create table markers (id text not null)" "$1" >/dev/null
}

# History equals the set of migrations whose effects exist, and is a
# prefix of the directory (one connection applies in order).
crash_consistent() {
	local db=$1 hist eff dup
	hist=$(q "select coalesce(string_agg(id, ',' order by id), '')
		from _flux_migrations" "$db" 2>/dev/null) || hist=
	eff=$(q "select coalesce(string_agg(id, ',' order by id), '') from (
			select substr(relname, 3) as id from pg_class
			where relkind = 'r' and relnamespace = 'public'::regnamespace
			and relname like 'c\_%'
			union all select id from markers) e" "$db") || return 1
	dup=$(q "select count(*) - count(distinct id) from markers" "$db")
	[ "$dup" = 0 ] || fail "markers applied twice: $dup duplicates"
	[ "$hist" = "$eff" ] || fail "history and effects differ:
  history: $hist
  effects: $eff"
	local expect i n
	n=$(awk -F, '{print NF}' <<<"$hist")
	expect=
	for ((i = 1; i <= n; i++)); do
		expect+=$(printf '%s%03d' "${expect:+,}" "$i")
	done
	[ "$hist" = "$expect" ] || fail "history is not a prefix of the directory: $hist"
	echo "$n"
}

# crash_trial BIN DB DIR DELAY_MS
crash_trial() {
	local bin=$1 db=$2 dir=$3 delay=$4 pid rc n killed=killed
	crash_reset "$db" || return 1
	cd "$dir" || return 1
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db")
	"$REL_ROOT/$bin" apply >out 2>err &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 "$pid" 2>/dev/null || killed="finished first"
	wait "$pid"
	rc=$?
	[ "$killed" = killed ] && [ "$rc" -ne 137 ] && [ "$rc" -ne 0 ] &&
		fail "flux exited $rc before the kill: $(cat err)"
	wait_no_sessions "$db" || return 1
	n=$(crash_consistent "$db") || { echo "$n"; return 1; }
	echo "after kill -9 at ${delay} ms ($killed, exit $rc): $n migrations applied and recorded"
	rerun_completes "$bin" 100 crash_consistent "$db"
}

# Trials per binary; the quick run kills the shipped binary only, the soak
# both.
crash_trials() {
	if [ "$REL_MODE" = soak ]; then echo 200; else echo 20; fi
}
crash_skips() {
	[ "$REL_MODE" = quick ] && [ "$(rel_bin_label "$1")" = dev ]
}

count_crash() {
	local bin n=0
	for bin in $REL_BINS; do
		crash_skips "$bin" || n=$((n + $(crash_trials)))
	done
	echo "$n"
}

section_crash() {
	local bin label trials db dir t0 t1 dur t delay
	trials=$(crash_trials)
	echo "# crash: seed $REL_SEED (REL_SEED=$REL_SEED tests/reliability/run.sh $REL_MODE to repeat)"
	RANDOM=$REL_SEED
	for bin in $REL_BINS; do
		label=$(rel_bin_label "$bin")
		crash_skips "$bin" && continue
		db=$(new_db crash) || { rel_test "crash ($label): setup" false; continue; }
		dir=$(mktemp -d "$REL_TMP/crash.XXXXXX")
		crash_project "$dir"
		# How long does a whole batch take? Kill times spread over it.
		crash_reset "$db"
		t0=$(now_ms)
		(cd "$dir" && DATABASE_URL=$(db_url "$db") "$REL_ROOT/$bin" apply >/dev/null 2>&1)
		t1=$(now_ms)
		dur=$((t1 - t0 + 20))
		echo "# crash ($label): a full batch takes $((t1 - t0)) ms; kills spread over 0-$dur ms"
		for ((t = 1; t <= trials; t++)); do
			delay=$((RANDOM % dur))
			rel_test "crash ($label): kill -9 at ${delay} ms, trial $t/$trials (seed $REL_SEED), then rerun" \
				crash_trial "$bin" "$db" "$dir" "$delay"
		done
	done
}
