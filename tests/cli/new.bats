#!/usr/bin/env bats
# flux new [--pre|--post] NAME
# shellcheck disable=SC2010 # ls | grep -E: the names flux wrote, against a pattern

load helper

# The date flux used: UTC or local (they differ around midnight).
date_of() {
	local f
	for f in "$@"; do
		case $f in
		*"$(today_utc)"_* | *"$(today_local)"_*) return 0 ;;
		esac
	done
	return 1
}

@test "new NAME creates YYYYMMDD_001_slug.sql and .undo.sql, prints the paths" {
	run --separate-stderr flux new "Add Users  Table"
	assert_status 0
	local up undo d
	for d in "$(today_utc)" "$(today_local)"; do
		if [ -f "migrations/${d}_001_add-users-table.sql" ]; then
			up="migrations/${d}_001_add-users-table.sql"
			undo="migrations/${d}_001_add-users-table.undo.sql"
		fi
	done
	[ -n "$up" ] || { ls -R migrations >&2; show_run; false; }
	[ -f "$undo" ]
	[ ! -s "$up" ] || [ -z "$(grep -v '^--' "$up")" ]
	assert_contains "$output" "$up" "stdout"
	assert_contains "$output" "$undo" "stdout"
}

@test "new numbers from the first free NNN of the day" {
	run --separate-stderr flux new "first"
	assert_status 0
	run --separate-stderr flux new "second one"
	assert_status 0
	local n
	n=$(ls migrations | grep -c -E '^[0-9]{8}_00[12]_(first|second-one)\.sql$')
	assert_eq "$n" 2 "number of migrations"
	ls migrations | grep -q -E '^[0-9]{8}_002_second-one\.sql$'
	ls migrations | grep -q -E '^[0-9]{8}_002_second-one\.undo\.sql$'
}

@test "new skips numbers already used today" {
	local d
	d=$(today_utc)
	: >"migrations/${d}_001_x.sql"
	: >"migrations/${d}_002_y.sql"
	if [ "$(today_local)" != "$d" ]; then
		: >"migrations/$(today_local)_001_x.sql"
		: >"migrations/$(today_local)_002_y.sql"
	fi
	run --separate-stderr flux new "third"
	assert_status 0
	ls migrations | grep -q -E '^[0-9]{8}_003_third\.sql$' || { ls migrations >&2; false; }
}

@test "new --pre and --post create repeatables without undo" {
	run --separate-stderr flux new --pre "Refresh Grants"
	assert_status 0
	run --separate-stderr flux new --post "recreate views"
	assert_status 0
	ls migrations/pre-apply | grep -q -E '^[0-9]{8}_001_refresh-grants\.sql$'
	ls migrations/post-apply | grep -q -E '^[0-9]{8}_001_recreate-views\.sql$'
	[ -z "$(ls migrations/pre-apply migrations/post-apply | grep undo)" ]
	assert_contains "$output" "post-apply/" "stdout"
	# the main directory got nothing
	[ -z "$(ls migrations | grep '\.sql$')" ]
}

@test "new writes where migration_directory points" {
	mkdir -p db/migrations
	printf '[flux]\nmigration_directory = "db/migrations"\n' >flux.ini
	run --separate-stderr flux new "configured"
	assert_status 0
	ls db/migrations | grep -q -E '^[0-9]{8}_001_configured\.sql$'
}

@test "a new migration applies (empty) and is recorded" {
	run --separate-stderr flux new "noop"
	assert_status 0
	run --separate-stderr flux apply
	assert_status 0
	assert_eq "$(history_count)" 1
}

@test "new without a name is a usage error" {
	run --separate-stderr flux new
	assert_status 2
	[ -z "$(ls migrations)" ]
}

@test "new --pre --post together is a usage error" {
	run --separate-stderr flux new --pre --post x
	assert_status 2
}
