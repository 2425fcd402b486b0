# shellcheck shell=bash
# Section 6: no leaks over a full cycle: LeakSanitizer on build/dev/flux,
# and valgrind's memcheck on build/rel/flux-nosan (glibc, no sanitizers:
# valgrind cannot replace malloc in the static musl binary).

# The steps of the cycle, with the exit codes they must give. Covers
# pre/post-apply, undo files, a no-transaction migration, a failing
# migration and corruption, so that error paths are checked as well.
leak_project() {
	local dir=$1
	mkdir -p "$dir/migrations/pre-apply" "$dir/migrations/post-apply"
	cd "$dir" || return 1
	printf 'create table if not exists pre_log (n int);\n' >migrations/pre-apply/001_pre.sql
	printf 'create or replace view v_t1 as select 1 as one;\n' >migrations/post-apply/001_post.sql
	printf 'create table t1 (x int);\n' >migrations/001_t1.sql
	printf 'drop table t1;\n' >migrations/001_t1.undo.sql
	printf -- '-- flux:no-transaction\ncreate table t2 (x int);\ncreate index concurrently t2_x on t2 (x);\n' >migrations/002_t2.sql
	printf 'drop table t2;\n' >migrations/002_t2.undo.sql
	printf 'insert into t1 values (1);\r\ninsert into t1 values (2);\r\n' >migrations/003_rows.sql
}

# The whole cycle (LeakSanitizer, and valgrind in soak) ...
LEAK_STEPS_FULL=(
	"0 apply"
	"0 status"
	"0 status --format json"
	"0 validate"
	"0 config"
	"0 rollback 2 -y"
	"0 apply --dry-run"
	"0 rollback --all -y"
	"0 apply 1"
	"9 status --exit-code"
	"0 apply"
	"0 rollback --to 002_t2 -y"
	"0 apply"
	"1 apply:bad"
	"5 validate:corrupt"
	"4 validate:baddir"
	"3 validate:badenv"
	"2 frobnicate"
	"6 validate:nodb"
	"7 validate:badpw"
)
# ... and the part valgrind runs in the quick run (it is slow to start).
LEAK_STEPS_SHORT=(
	"0 apply"
	"0 status --format json"
	"0 rollback 2 -y"
	"0 apply"
	"1 apply:bad"
	"5 validate:corrupt"
)

# leak_cycle STEP...: run the steps with "${LEAK_RUNNER[@]} ARGS"; each
# must give its exit code and no leak or memory error report.
leak_cycle() {
	local db dir rc step expect
	db=$(new_db leak) || return 1
	dir=$(mktemp -d "$REL_TMP/leak.XXXXXX")
	leak_project "$dir" || return 1
	export DATABASE_URL
	DATABASE_URL=$(db_url "$db")
	for step in "$@"; do
		expect=${step%% *}
		# shellcheck disable=SC2086 # the words of the step
		set -- ${step#* }
		local envx=() cmd=$1
		case $cmd in
		apply:bad)
			printf 'select * from no_such_table;\n' >migrations/004_bad.sql
			set -- apply
			;;
		validate:corrupt)
			rm -f migrations/004_bad.sql
			printf 'create table t1 (x int, y int);\n' >migrations/001_t1.sql
			set -- validate
			;;
		validate:baddir)
			printf 'select 1;\xff\n' >migrations/005_bad_utf8.sql
			set -- validate
			;;
		validate:badenv)
			rm -f migrations/005_bad_utf8.sql
			envx=(FLUX_LOCK_TIMEOUT=soon)
			set -- validate
			;;
		validate:nodb)
			envx=(DATABASE_URL=postgresql://u:p@nonexistent.invalid/db FLUX_WAIT_TIMEOUT=1s)
			set -- validate
			;;
		validate:badpw)
			envx=("DATABASE_URL=$(db_url "$db" "" wrong)")
			set -- validate
			;;
		esac
		env "${envx[@]}" "${LEAK_RUNNER[@]}" "$@" >out 2>err </dev/null
		rc=$?
		if [ "$rc" != "$expect" ]; then
			echo "flux $* (${envx[*]}): expected exit $expect, got $rc"
			tail -40 err
			return 1
		fi
		if grep -q 'LeakSanitizer\|AddressSanitizer\|runtime error:\|definitely lost: [1-9]\|indirectly lost: [1-9]\|Invalid read\|Invalid write\|uninitialised' err; then
			echo "flux $* (${envx[*]}): memory error or leak:"
			tail -60 err
			return 1
		fi
		echo "flux $*: exit $rc, clean"
	done
}

leak_lsan() {
	LEAK_RUNNER=("$REL_ROOT/build/dev/flux")
	ASAN_OPTIONS=detect_leaks=1:exitcode=66 leak_cycle "${LEAK_STEPS_FULL[@]}"
}

leak_valgrind() {
	command -v valgrind >/dev/null || fail "valgrind not installed (make deps)"
	[ -x "$REL_ROOT/build/rel/flux-nosan" ] || fail "build/rel/flux-nosan not built (make -f Makefile build/rel/flux-nosan)"
	# shellcheck disable=SC2054 # commas inside one option
	LEAK_RUNNER=(valgrind -q --leak-check=full --show-leak-kinds=definite,indirect
		--errors-for-leak-kinds=definite,indirect --error-exitcode=77
		--track-origins=no "$REL_ROOT/build/rel/flux-nosan")
	if [ "$REL_MODE" = soak ]; then
		leak_cycle "${LEAK_STEPS_FULL[@]}"
	else
		leak_cycle "${LEAK_STEPS_SHORT[@]}"
	fi
}

leaks_lsan_runs() {
	case " $REL_BINS " in *" build/dev/flux "*) return 0 ;; esac
	return 1
}

count_leaks() {
	if leaks_lsan_runs; then echo 2; else echo 1; fi
}

section_leaks() {
	if leaks_lsan_runs; then
		rel_test "leaks: apply/status/rollback cycle and error paths under LeakSanitizer (dev)" leak_lsan
	fi
	rel_test "leaks: apply/status/rollback and error paths under valgrind memcheck (glibc, no sanitizers)" leak_valgrind
}
