# shellcheck shell=bash
# Section 4: the bad-input corpus, tests/reliability/corpus/NNN-name/.
#
# A case is a small project directory:
#   flux.ini, migrations/...  the project files (copied to a scratch dir)
#   args     flux's arguments, one per line
#   env      VAR=value lines (the only environment flux gets besides PATH,
#            HOME and the sanitizer options); @DB@ is a fresh database's
#            URL, @DB_BADPW@ the same with a wrong password, @DB_MISSING@ a
#            database that does not exist
#   expect   line 1: the exit code; every other line a fragment that must
#            appear in stdout+stderr, or with a leading '!' must not
#   setup    optional executable run in the scratch dir first (generated
#            files: binary bytes, huge files, symlinks, FIFOs, modes); it
#            gets DATABASE_URL and PG* for the case's database, if any
# With FLUX_LOG_FORMAT=json in env, every stderr line must also be a JSON
# object in valid UTF-8 (RFC 8259).
# flux runs without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so that a
# chmod 000 file is unreadable even though the tests run as root, with
# stdin from /dev/null, under a 20 s timeout (a hang fails).

corpus_subst() {
	local s=$1
	s=${s//@DB_BADPW@/$(db_url "${CASE_DB:-postgres}" "" wrongpassword)}
	s=${s//@DB_MISSING@/$(db_url does_not_exist)}
	s=${s//@DB@/$(db_url "${CASE_DB:-postgres}")}
	printf '%s' "$s"
}

# corpus_case BIN CASEDIR
corpus_case() {
	local bin=$1 case=$2 work line rc expect_code out
	local -a envv=() argv=() nocap=()
	if [ "$(id -u)" = 0 ]; then
		# shellcheck disable=SC2054 # commas inside one option
		nocap=(setpriv --bounding-set=-dac_override,-dac_read_search --)
	fi
	work=$(mktemp -d "$REL_TMP/case.XXXXXX")
	(cd "$case" && tar cf - --exclude=./args --exclude=./env --exclude=./expect \
		--exclude=./setup .) | (cd "$work" && tar xf -)
	CASE_DB=
	if grep -q '@DB@\|@DB_BADPW@' "$case/env" 2>/dev/null; then
		CASE_DB=$(new_db case) || return 1
	fi
	if [ -f "$case/env" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in '' | '#'*) continue ;; esac
			envv+=("$(corpus_subst "$line")")
		done <"$case/env"
	fi
	if [ -f "$case/args" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			argv+=("$(corpus_subst "$line")")
		done <"$case/args"
	fi
	if [ -x "$case/setup" ]; then
		(
			cd "$work" || exit 1
			if [ -n "$CASE_DB" ]; then
				export DATABASE_URL PGHOST=127.0.0.1 PGPORT=$FLUX_TEST_PGPORT \
					PGUSER=$FLUX_TEST_PGUSER PGPASSWORD=$FLUX_TEST_PGPASSWORD \
					PGDATABASE=$CASE_DB
				DATABASE_URL=$(db_url "$CASE_DB")
			fi
			"$case/setup"
		) || fail "setup failed"
	fi
	(
		cd "$work" || exit 1
		exec env -i PATH=/usr/bin:/bin HOME="$work" \
			ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
			"${envv[@]}" \
			timeout -k 5 20 \
			"${nocap[@]}" \
			"$REL_ROOT/$bin" "${argv[@]}"
	) </dev/null >"$work/.stdout" 2>"$work/.stderr"
	rc=$?
	out=$(cat "$work/.stdout" "$work/.stderr")
	printf -- '--- exit %s; output:\n%s\n---\n' "$rc" "$out" | head -c 4000
	echo
	expect_code=$(head -n 1 "$case/expect")
	local json_bad=
	if printf '%s\n' "${envv[@]}" | grep -qx 'FLUX_LOG_FORMAT=json'; then
		json_bad=$(python3 -c '
import json, sys
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    try:
        obj = json.loads(raw.decode("utf-8"))
        assert isinstance(obj, dict) and "msg" in obj and "level" in obj
    except Exception as e:
        print("stderr line %d is not a JSON log object in UTF-8 (%s): %r" % (n, e, raw[:200]))
' "$work/.stderr")
	fi
	chmod -R u+rwX "$work" 2>/dev/null
	rm -rf "$work"
	[ -n "$CASE_DB" ] && q "drop database if exists $CASE_DB with (force)" >/dev/null
	case $rc in
	66) fail "sanitizer report (exit 66)" ;;
	124 | 137) fail "timed out (hang)" ;;
	13[0-9] | 1[4-9][0-9]) fail "killed by a signal (exit $rc)" ;;
	esac
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error:' <<<"$out"; then
		fail "sanitizer report in the output"
	fi
	[ "$rc" = "$expect_code" ] || fail "expected exit $expect_code, got $rc"
	[ -z "$json_bad" ] || fail "$json_bad"
	local bad=0
	while IFS= read -r line || [ -n "$line" ]; do
		[ -z "$line" ] && continue
		if [ "${line:0:1}" = '!' ]; then
			if [[ $out == *"${line:1}"* ]]; then
				echo "output must not contain: ${line:1}"
				bad=1
			fi
		elif [[ $out != *"$line"* ]]; then
			echo "output lacks: $line"
			bad=1
		fi
	done < <(tail -n +2 "$case/expect")
	# An error exit must say something.
	if [ "$rc" != 0 ] && [ -z "$(tr -d '[:space:]' <<<"$out")" ]; then
		echo "exit $rc without any message"
		bad=1
	fi
	return $bad
}

# The case directories to run (REL_CORPUS_FILTER applied), one a line.
corpus_cases() {
	local case name
	for case in "$REL_DIR"/corpus/*/; do
		case=${case%/}
		name=$(basename "$case")
		[ -n "${REL_CORPUS_FILTER:-}" ] && [[ $name != *$REL_CORPUS_FILTER* ]] && continue
		echo "$case"
	done
}

count_corpus() {
	echo $(($(corpus_cases | wc -l) * $(rel_bin_count)))
}

section_corpus() {
	local bin label case name expect_code
	for bin in $REL_BINS; do
		label=$(rel_bin_label "$bin")
		while IFS= read -r case; do
			name=$(basename "$case")
			expect_code=$(head -n 1 "$case/expect")
			rel_test "corpus ($label): $name: exit $expect_code" corpus_case "$bin" "$case"
		done < <(corpus_cases)
	done
}
