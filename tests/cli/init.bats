#!/usr/bin/env bats
# flux init [postgres]

load helper

# init needs no database
setup() { new_project; }

@test "init writes flux.toml that both tools read" {
	unset DATABASE_URL
	run --separate-stderr flux init
	assert_status 0
	[ -f flux.toml ]
	grep -q -E '^\[flux\]' flux.toml
	grep -q -E '^backend = "postgres"$' flux.toml
	grep -q -E '^migration_directory = "migrations"$' flux.toml
	grep -q -E '^\[backend\]' flux.toml
	# valid TOML (what flux-migrations parses)
	python3 -c 'import tomllib, sys
d = tomllib.load(open("flux.toml", "rb"))
assert d["flux"]["backend"] == "postgres", d
assert d["flux"]["migration_directory"] == "migrations", d
assert "backend" in d, d'
	# and flux reads it back
	run --separate-stderr flux config
	assert_status 0
	assert_contains "$output" "flux.toml" "stdout"
}

@test "init postgres is the same" {
	run --separate-stderr flux init postgres
	assert_status 0
	grep -q -E '^backend = "postgres"$' flux.toml
}

@test "init with an unknown backend fails and writes nothing" {
	run --separate-stderr flux init postgres-2
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "postgres-2" "stderr"
	[ ! -e flux.toml ]
}

@test "init refuses when flux.toml exists, leaving it unchanged" {
	printf '[flux]\nbackend = "postgres"\nmigration_directory = "mine"\n' >flux.toml
	cp flux.toml before
	run --separate-stderr flux init
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "flux.toml" "stderr"
	cmp flux.toml before
}

@test "init twice: the second fails" {
	run --separate-stderr flux init postgres
	assert_status 0
	run --separate-stderr flux init postgres
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "already exists" "stderr"
}

@test "init refuses when flux.ini exists" {
	printf '[flux]\nmigration_directory = "mine"\n' >flux.ini
	cp flux.ini before
	run --separate-stderr flux init
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "flux.ini" "stderr"
	[ ! -e flux.toml ]
	cmp flux.ini before
}
