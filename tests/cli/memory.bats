#!/usr/bin/env bats
# Memory does not grow with the size of all files or of a result set: each
# file is hashed and let go, only the running migration's text is held, and
# the rows a migration's SELECT returns are dropped as they arrive. Peak
# RSS (GNU time) stays under twice the largest file + 16 MB.

load helper

setup_file() {
	flux_setup_file
	if [ ! -x /usr/bin/time ]; then
		echo "GNU time (/usr/bin/time) is needed: scripts/install-deps.sh installs it" >&2
		return 1
	fi
}

# big_file PATH MB N: a migration of about MB megabytes: a statement, MB-1
# MB of comment lines (cheap for the server to skip), and a last MB of
# statements.
big_file() {
	{
		echo "insert into runs values ($3);"
		head -c $((($2 - 1) * 1024 * 1024)) /dev/zero | tr '\0' 'x' | fold -w 200 | sed 's/^/-- /'
		echo
		yes "select 'padding padding padding padding padding padding padding padding';" |
			head -c $((1024 * 1024)) | sed '$d'
	} >"$1"
}

# peak_kb CMD...: run flux under GNU time; sets status and PEAK_KB.
peak_kb() {
	local out="$BATS_TEST_TMPDIR/time.out"
	run --separate-stderr /usr/bin/time -f 'peak_kb=%M' -o "$out" "$FLUX_BIN" "$@"
	PEAK_KB=$(sed -n 's/^peak_kb=//p' "$out")
	echo "peak RSS of flux $*: $PEAK_KB kB" >&3
}

# Skipped for the sanitized build: ASan's shadow memory is not flux's.
skip_sanitized() {
	case $FLUX_BIN in
	*/dev/*) skip "ASan's shadow memory would be measured, not flux's" ;;
	esac
}

@test "memory: six 60 MB migrations: status, apply and a no-op apply stay under 2 x 60 MB + 16 MB" {
	skip_sanitized
	local i limit=$(((2 * 60 + 16) * 1024))
	write_pre 000_runs "create table if not exists runs (n int);"
	for i in 1 2 3 4 5 6; do
		big_file "migrations/m$i.sql" 60 "$i"
	done
	peak_kb status
	assert_status 0
	[ "$PEAK_KB" -lt "$limit" ] || { echo "status: $PEAK_KB kB >= $limit kB" >&2; false; }
	peak_kb apply
	assert_status 0
	assert_eq "$(psql_q 'select count(*) from runs')" 6
	[ "$PEAK_KB" -lt "$limit" ] || { echo "apply: $PEAK_KB kB >= $limit kB" >&2; false; }
	peak_kb apply
	assert_status 0
	[ "$PEAK_KB" -lt "$limit" ] || { echo "no-op apply: $PEAK_KB kB >= $limit kB" >&2; false; }
	# The figure is about one file, not six: the bound can fail.
	[ "$PEAK_KB" -gt $((40 * 1024)) ]
}

@test "memory: a migration selecting 5 million rows holds none of them" {
	skip_sanitized
	write_migration m1 "select g, repeat('x', 20) from generate_series(1, 5000000) g;"
	write_migration m2 "create table after_rows (id int);"
	peak_kb apply
	assert_status 0
	relation_exists after_rows
	# 5 million rows of ~30 bytes would be well over 150 MB if buffered.
	[ "$PEAK_KB" -lt $((16 * 1024)) ] || { echo "apply: $PEAK_KB kB" >&2; false; }
}

@test "memory: the same SELECT in a no-transaction migration holds none of them" {
	skip_sanitized
	printf -- '-- flux:no-transaction\nselect g, repeat($$x$$, 20) from generate_series(1, 5000000) g;\n' >migrations/m1.sql
	peak_kb apply
	assert_status 0
	[ "$PEAK_KB" -lt $((16 * 1024)) ] || { echo "apply: $PEAK_KB kB" >&2; false; }
}
