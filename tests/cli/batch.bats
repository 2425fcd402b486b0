#!/usr/bin/env bats
# Consecutive transactional migrations travel together, one round trip per
# chunk (src/run.c: 1000 migrations or 1 MiB of text). Everything that held
# for one migration at a time holds per migration inside a chunk: order,
# one transaction each with its history row, stop at the first failure with
# the earlier ones committed, the error at file:line:col, NOTICE attribution.

load helper

teardown() {
	teardown_bg TERM
}

# many N: N migrations m0001..mNNNN, each creating a table and counting.
many() {
	local i
	mkdir -p migrations
	for i in $(seq 1 "$1"); do
		printf 'create table t_%04d (id int);\ninsert into runs values (%d);\n' "$i" "$i" \
			>"migrations/m$(printf %04d "$i").sql"
	done
	write_pre 000_runs "create table if not exists runs (n int);"
}

@test "batch: 2100 migrations (three chunks) apply in order, each logged once, each run once" {
	many 2100
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 2100
	assert_eq "$(psql_q 'select count(*), count(distinct n), min(n), max(n) from runs')" "2100|2100|1|2100"
	assert_eq "$(printf '%s\n' "$stderr" | grep -c 'applied m[0-9]* in')" 2100
	# The log lines come in the order of the ids.
	assert_eq "$(printf '%s\n' "$stderr" | sed -n 's/.*applied \(m[0-9]*\) in.*/\1/p' | sort -c && echo sorted)" sorted
	assert_match "$stderr" "applied 2100 migrations in" "stderr"
	# applied_at follows the order of application, chunk boundaries
	# included, and each migration has its own although a chunk's
	# transactions share one start time.
	assert_eq "$(psql_q "select count(*) from (select id, applied_at <= lag(applied_at) over (order by id) as back from _flux_migrations) x where back")" 0
}

@test "batch: a migration larger than a chunk's text limit goes alone, between chunks" {
	many 5
	# 1.5 MiB of comments around one statement.
	{
		echo "create table big (id int);"
		head -c 1600000 /dev/zero | tr '\0' 'x' | fold -w 100 | sed 's/^/-- /'
		echo
		echo "insert into runs values (100);"
	} >migrations/m0003_big.sql
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 6
	relation_exists big
	assert_eq "$(psql_q 'select count(*) from runs')" 6
}

# While the server runs a chunk, flux reads the next chunk's files: here
# chunks of three (each file about 310 KiB, the limit 1 MiB), the first of
# each sleeping, so the next three are surely read meanwhile. Each runs its
# own text, in order.
@test "batch: the files of the next chunk, read while a chunk runs, run as themselves" {
	local i
	mkdir -p migrations
	write_pre 000_runs "create table if not exists runs (n int);"
	for i in 01 02 03 04 05 06 07 08 09 10; do
		{
			case $i in 01 | 04 | 07) echo "select pg_sleep(0.3);" ;; esac
			echo "insert into runs values ($i);"
			head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 100 | sed 's/^/-- /'
			echo
			echo "create table t_$i (id int);"
		} >"migrations/m$i.sql"
	done
	run --separate-stderr flux --log-level debug apply
	assert_status 0
	assert_eq "$(psql_q 'select string_agg(n::text, $$,$$ order by n), count(*) from runs')" "1,2,3,4,5,6,7,8,9,10|10"
	assert_eq "$(psql_q "select count(*) from pg_class where relname like 't\_%'")" 10
	assert_eq "$(history_ids | tr '\n' ' ')" "m01 m02 m03 m04 m05 m06 m07 m08 m09 m10 "
	assert_contains "$stderr" "sending 3 migrations from 'm01' (0 read while the chunk before ran)" "stderr"
	assert_contains "$stderr" "sending 3 migrations from 'm04' (3 read while the chunk before ran)" "stderr"
	assert_contains "$stderr" "sending 3 migrations from 'm07' (3 read while the chunk before ran)" "stderr"
	assert_contains "$stderr" "sending 1 migration from 'm10' (1 read while the chunk before ran)" "stderr"
}

# The server sends a chunk's results when its buffer fills or the string
# ends, not as each migration commits: each duration is the server's own.
@test "batch: each migration of a chunk is logged with its own duration" {
	write_migration m1 "select pg_sleep(0.6);"
	write_migration m2 "select 1;"
	write_migration m3 "select pg_sleep(0.3);"
	run --separate-stderr flux --log-format json apply
	assert_status 0
	printf '%s\n' "$stderr" | python3 -c '
import json, sys
ms = {}
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") == "applied":
        ms[e["id"]] = e["ms"]
assert 590 <= ms["m1"] < 1500, ms
assert ms["m2"] < 200, ms
assert 290 <= ms["m3"] < 1200, ms
' || { echo "$stderr" >&2; false; }
}

@test "batch: a large migration runs in pieces in one transaction; a failure in a late piece points at its line" {
	local i
	write_migration m1 "create table a (id int);"
	{
		echo "create table big (id int, pad text);"
		for i in $(seq 1 3000); do
			printf "insert into big values (%d, '%s');\n" "$i" "$(printf '%01000d' 0)"
		done
	} >migrations/m2.sql
	write_migration m3 "create table c (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q 'select count(*) from big')" 3000
	# The same, failing near the end: line 2802 of the file.
	reset_db
	sed -i '2802s/.*/select * from missing_big;/' migrations/m2.sql
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids)" m1
	assert_no_relation big
	assert_contains "$stderr" "migration 'm2' failed at migrations/m2.sql:2802:15: relation \"missing_big\" does not exist" "stderr"
	assert_contains "$stderr" "2802 | select * from missing_big;" "stderr"
}

# A runtime failure at each position of a chunk of five: the ones before it
# stay applied, it and the ones after do not run, post-apply still runs, and
# the error points at the failing file's line and column.
@test "batch: a failure in each position of a chunk stops exactly there" {
	local k i
	for k in 1 2 3 4 5; do
		reset_db
		rm -rf migrations
		mkdir -p migrations
		write_pre 000_runs "create table if not exists runs (n int);"
		write_post 999_post "insert into runs values (-1);"
		for i in 1 2 3 4 5; do
			if [ "$i" = "$k" ]; then
				printf -- '-- fails\ninsert into runs values (%d);\nselect * from missing_%d;\n' "$i" "$i" \
					>"migrations/m$i.sql"
			else
				printf 'insert into runs values (%d);\n' "$i" >"migrations/m$i.sql"
			fi
		done
		run --separate-stderr flux apply
		assert_status 1
		assert_eq "$(history_ids | tr '\n' ' ')" "$(seq -f 'm%g' 1 $((k - 1)) | tr '\n' ' ')"
		assert_eq "$(psql_q 'select string_agg(n::text, $$,$$ order by n) from runs where n > 0')" \
			"$(seq -s, 1 $((k - 1)))"
		assert_eq "$(psql_q 'select count(*) from runs where n = -1')" 1
		assert_contains "$stderr" "migration 'm$k' failed at migrations/m$k.sql:3:15" "stderr"
		assert_contains "$stderr" "relation \"missing_$k\" does not exist (SQLSTATE 42P01)" "stderr"
		assert_contains "$stderr" "3 | select * from missing_$k;" "stderr"
		if [ "$k" -gt 1 ]; then
			assert_match "$stderr" "applied $((k - 1)) of 5 migrations before the failure" "stderr"
		fi
	done
}

# The count limit puts an edge after m1000.
@test "batch: a failure at the last migration of a chunk and at the first of the next" {
	local k id
	for k in 1000 1001; do
		reset_db
		rm -rf migrations
		many 1030
		id=m$(printf %04d "$k")
		printf 'select 1/0;\n' >>"migrations/$id.sql"
		run --separate-stderr flux --log-level debug apply
		assert_status 1
		assert_contains "$stderr" "sending 1000 migrations from 'm0001'" "stderr"
		assert_eq "$(history_count)" $((k - 1))
		assert_eq "$(psql_q 'select max(n) from runs')" $((k - 1))
		assert_contains "$stderr" "migration '$id' failed (migrations/$id.sql): division by zero (SQLSTATE 22012)" "stderr"
		assert_no_relation "t_$(printf %04d "$k")"
	done
}

@test "batch: a syntax error in the middle of a chunk leaves the ones before it applied and reports it exactly" {
	mkdir -p migrations
	write_pre 000_runs "create table if not exists runs (n int);"
	write_migration m1 "insert into runs values (1);"
	write_migration m2 "insert into runs values (2);"
	printf 'insert into runs values (3);\n\n  selec 42;\n' >migrations/m3.sql
	write_migration m4 "insert into runs values (4);"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids | tr '\n' ' ')" "m1 m2 "
	assert_eq "$(psql_q 'select string_agg(n::text, $$,$$ order by n) from runs')" "1,2"
	assert_contains "$stderr" "migration 'm3' failed at migrations/m3.sql:3:3: syntax error at or near \"selec\" (SQLSTATE 42601)" "stderr"
	assert_contains "$stderr" "3 |   selec 42;" "stderr"
	# A second run picks up at m3 once it is fixed.
	write_migration m3 "insert into runs values (3);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q 'select string_agg(n::text, $$,$$ order by n) from runs')" "1,2,3,4"
}

@test "batch: a syntax error deep in a chunk is found by halving, in a handful of round trips" {
	many 200
	printf 'insert into runs values (0);\nselec 42;\n' >migrations/m0150.sql
	run --separate-stderr flux --log-level debug apply
	assert_status 1
	assert_eq "$(history_count)" 149
	assert_eq "$(psql_q 'select count(*), max(n) from runs')" "149|149"
	assert_contains "$stderr" "migration 'm0150' failed at migrations/m0150.sql:2:1: syntax error at or near \"selec\" (SQLSTATE 42601)" "stderr"
	# 200, then 100 (parses), 50 (not), 25, 12, 6, 3, 2, 1, 1: nine chunks
	# rejected or sent, not 150 one at a time.
	assert_eq "$(printf '%s\n' "$stderr" | grep -c 'did not parse; sending half of them')" 2
	assert_eq "$(printf '%s\n' "$stderr" | grep -c 'applied m[0-9]* in')" 149
	# Fixed, the rest applies.
	printf 'insert into runs values (150);\n' >migrations/m0150.sql
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(psql_q 'select count(*), count(distinct n) from runs')" "200|200"
}

# A text that ends inside a comment, quote, dollar quote or BEGIN ATOMIC
# body would swallow the migrations sent after it in the same string; here
# a later '*/' closes m1's comment so that the whole chunk would parse, and
# m2's table would be created with m1's history row and none of its own.
# Such a text goes in a chunk of its own and fails as it did alone.
@test "batch: a migration ending inside a comment goes alone and cannot swallow the next one" {
	write_migration m0 "create table z (id int);"
	printf 'create table a (id int); /* unfinished\n' >migrations/m1.sql
	printf 'select 1; */ create table b (id int);\n' >migrations/m2.sql
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids)" m0
	assert_contains "$stderr" "migration 'm1' failed" "stderr"
	assert_contains "$stderr" "unterminated /* comment" "stderr"
	assert_no_relation a
	assert_no_relation b
	assert_eq "$(psql_q "select count(*) from pg_class where relname = 'z'")" 1
}

@test "batch: an unterminated quote swallowing the rest of the chunk is reported in its own file" {
	write_migration m1 "create table a (id int);"
	printf "select 'oops;\n" >migrations/m2.sql
	write_migration m3 "create table c (id int);"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids)" m1
	assert_contains "$stderr" "migration 'm2' failed" "stderr"
	assert_contains "$stderr" "unterminated quoted string" "stderr"
	assert_no_relation c
}

@test "batch: NOTICEs are logged with the migration that raised them" {
	local i
	mkdir -p migrations
	for i in 1 2 3 4 5 6; do
		printf "do \$\$ begin raise notice 'notice of %s'; end \$\$;\ndo \$\$ begin raise warning 'warning of %s'; end \$\$;\n" "m$i" "m$i" \
			>"migrations/m$i.sql"
	done
	write_pre p1 "do \$\$ begin raise notice 'notice of p1'; end \$\$;"
	write_post q1 "do \$\$ begin raise notice 'notice of q1'; end \$\$;"
	run --separate-stderr flux --log-format json apply
	assert_status 0
	# Every notice line names the migration whose text it quotes.
	printf '%s\n' "$stderr" | python3 -c '
import json, sys
seen = 0
for line in sys.stdin:
    e = json.loads(line)
    if e.get("event") != "notice":
        continue
    seen += 1
    who = e["msg"].rsplit(" of ", 1)[1]
    assert e.get("id") == who, (e.get("id"), e["msg"])
assert seen == 14, seen
'
}

@test "batch: a failure to record the history row names the migration, which is rolled back" {
	write_migration m1 "create table a (id int);"
	write_migration m2 "create table b (id int);"
	write_migration m3 "create table c (id int);"
	run --separate-stderr flux apply 1
	assert_status 0
	psql_q "create function no_m3() returns trigger language plpgsql as \$\$
		begin if new.id = 'm3' then raise exception 'history refuses m3'; end if; return new; end \$\$;
		create trigger no_m3 before insert on _flux_migrations for each row execute function no_m3();"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids | tr '\n' ' ')" "m1 m2 "
	assert_contains "$stderr" "cannot record migration 'm3' in the history table: history refuses m3" "stderr"
	relation_exists b
	assert_no_relation c
}

@test "batch: rollback undoes in chunks and stops at a failing undo" {
	local i
	for i in 1 2 3 4 5; do
		write_migration "m$i" "create table t$i (id int);"
		write_undo "m$i" "drop table t$i;"
	done
	write_undo m2 "select * from nosuch_t2;"
	run --separate-stderr flux apply
	assert_status 0
	run --separate-stderr flux rollback --all -y
	assert_status 1
	assert_eq "$(history_ids | tr '\n' ' ')" "m1 m2 "
	assert_contains "$stderr" "migration 'm2' failed at migrations/m2.undo.sql:1:15" "stderr"
	relation_exists t2
	assert_no_relation t3
}

@test "batch: a migration selecting many rows and a column named like the marker" {
	write_migration m1 "select g from generate_series(1, 200000) g;"
	write_migration m2 "select 'not an id' as \"flux:id\"; create table b (id int);"
	write_migration m3 "create table c (id int);"
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 3
	relation_exists c
}

@test "batch: COPY FROM STDIN in a migration fails clearly; COPY TO STDOUT runs" {
	write_migration m1 "create table a (id int); copy a to stdout;"
	write_migration m2 "copy a from stdin;"
	run --separate-stderr flux apply
	assert_status 1
	assert_eq "$(history_ids)" m1
	assert_contains "$stderr" "migration 'm2' failed" "stderr"
	assert_contains "$stderr" "cannot read COPY data from flux" "stderr"
}

@test "batch: a file changed after it was read is refused, not run" {
	write_migration m1 "create table a (id int);"
	printf -- '-- flux:no-transaction\nselect pg_sleep(30);\n' >migrations/m2.sql
	write_migration m3 "create table c (id int);"
	# m2 runs alone (no transaction), so m3 is read again after it.
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(30)%'
	write_migration m3 "create table changed (id int);"
	psql_q "select pg_cancel_backend(pid) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()" >/dev/null
	local rc=0
	wait "$BG_PID" || rc=$?
	BG_PIDS=
	# The cancelled statement fails m2; with a short sleep instead, m3's
	# change is caught: run that case for the message.
	assert_eq "$rc" 1
	reset_db
	rm -rf migrations
	write_migration m1 "create table a (id int);"
	printf -- '-- flux:no-transaction\nselect pg_sleep(2);\n' >migrations/m2.sql
	write_migration m3 "create table c (id int);"
	bg_flux flux apply
	wait_for_flux_query '%pg_sleep(2)%'
	write_migration m3 "create table changed (id int);"
	rc=0
	wait "$BG_PID" || rc=$?
	# shellcheck disable=SC2034 # read by teardown_bg in helper.bash
	BG_PIDS=
	assert_eq "$rc" 4
	assert_contains "$(cat "$BATS_TEST_TMPDIR/flux.err")" "migration 'migrations/m3.sql' changed while flux was running"
	assert_eq "$(history_ids | tr '\n' ' ')" "m1 m2 "
	assert_no_relation changed
	assert_no_relation c
}
