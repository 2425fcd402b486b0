#!/usr/bin/env bats
# scripts/apt-sources.sh, the apt-source parsing scripts/build-sysroot.sh and
# scripts/images.sh share: apt_sources_deb on synthetic /etc/apt trees
# (one-line and deb822 files), checked line by line and against apt's own
# reading of the same tree. No database, no network (the URIs are .invalid
# names apt is never asked to fetch).

setup() {
	# shellcheck source=scripts/apt-sources.sh
	. "$BATS_TEST_DIRNAME/../../scripts/apt-sources.sh"
	T=$BATS_TEST_TMPDIR/etc-apt
	mkdir -p "$T/sources.list.d"
}

# entries: apt_sources_deb on the tree, tabs shown as '|'.
entries() {
	run apt_sources_deb "$T/sources.list" "$T/sources.list.d"
	[ "$status" -eq 0 ]
	output=${output//$'\t'/|}
}

# apt_view TREE-LIST TREE-PARTS: the deb index targets apt itself derives
# from the given files (no download: --no-release-info).
# shellcheck disable=SC2016 # apt's own $(FIELD) format
apt_view() {
	apt-get -q -o Dir::Etc::SourceList="$1" -o Dir::Etc::SourceParts="$2" \
		-o Dir::State::Lists="$BATS_TEST_TMPDIR/lists" \
		-o Dir::Cache="$BATS_TEST_TMPDIR/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		indextargets --no-release-info \
		--format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT) $(ARCHITECTURE) $(CREATED_BY)' |
		sort
}

@test "one-line entries: [options], comments, deb-src, flat repositories" {
	cat >"$T/sources.list" <<'EOF'
# the main archive
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://m.example.invalid/debian bookworm main contrib # trailing
deb-src http://m.example.invalid/debian bookworm main
#deb http://old.example.invalid/debian bookworm main
   deb	[ arch=amd64 ]   http://s.example.invalid/debian-security   bookworm-security main

deb http://flat.example.invalid/repo ./
EOF
	entries
	[ "$output" = "deb|http://m.example.invalid/debian|bookworm|main contrib|arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg|$T/sources.list:2
deb|http://s.example.invalid/debian-security|bookworm-security|main|arch=amd64|$T/sources.list:5
deb|http://flat.example.invalid/repo|./|||$T/sources.list:7" ]
}

@test "deb822: Enabled: no, two URIs and suites, comments, options as one-line options" {
	cat >"$T/sources.list.d/debian.sources" <<'EOF'
# disabled
Types: deb
URIs: http://off.example.invalid/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb deb-src
# a comment inside the stanza
URIs: http://a.example.invalid/debian http://b.example.invalid/debian
Suites: bookworm bookworm-updates
Components: main
  non-free-firmware
Architectures: amd64 i386
signed-by: /usr/share/keyrings/debian-archive-keyring.gpg
X-Repolib-Name: ignored

Types: deb-src
URIs: http://src.example.invalid/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://v.example.invalid/apt
Suites: stable
Components: main
Enabled: yes
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 xyz
 -----END PGP PUBLIC KEY BLOCK-----
EOF
	entries
	local o="arch=amd64,i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
	local f="$T/sources.list.d/debian.sources"
	[ "$output" = "deb|http://a.example.invalid/debian|bookworm|main non-free-firmware|$o|$f:8
deb|http://a.example.invalid/debian|bookworm-updates|main non-free-firmware|$o|$f:8
deb|http://b.example.invalid/debian|bookworm|main non-free-firmware|$o|$f:8
deb|http://b.example.invalid/debian|bookworm-updates|main non-free-firmware|$o|$f:8
deb|http://v.example.invalid/apt|stable|main|signed-by=<inline>|$f:23" ]
}

@test "files in apt's order: sources.list, parts/*.list, parts/*.sources; none is no entry" {
	entries
	[ -z "$output" ]
	printf 'Types: deb\nURIs: http://c.example.invalid/d\nSuites: s3\nComponents: main\n' \
		>"$T/sources.list.d/a.sources"
	printf 'deb http://b.example.invalid/d s2 main\n' >"$T/sources.list.d/z.list"
	printf 'deb-src http://x.example.invalid/d s0 main\n' >"$T/sources.list.d/y.list"
	printf 'deb http://b.example.invalid/d s2 main\n' >"$T/sources.list.d/ignored.disabled"
	printf 'deb http://a.example.invalid/d s1 main\n' >"$T/sources.list"
	entries
	[ "$output" = "deb|http://a.example.invalid/d|s1|main||$T/sources.list:1
deb|http://b.example.invalid/d|s2|main||$T/sources.list.d/z.list:1
deb|http://c.example.invalid/d|s3|main||$T/sources.list.d/a.sources:1" ]
}

@test "without arguments: the files apt-config names" {
	printf 'deb http://a.example.invalid/d s1 main\n' >"$T/sources.list"
	printf 'Dir::Etc::SourceList "%s";\nDir::Etc::SourceParts "%s/";\n' \
		"$T/sources.list" "$T/sources.list.d" >"$BATS_TEST_TMPDIR/apt.conf"
	APT_CONFIG=$BATS_TEST_TMPDIR/apt.conf run apt_sources_deb
	[ "$status" -eq 0 ]
	[ "$output" = "deb	http://a.example.invalid/d	s1	main		$T/sources.list:1" ]
}

@test "the entries, written back as one-line entries, are what apt reads from the tree" {
	cat >"$T/sources.list" <<'EOF'
deb [arch=amd64] http://m.example.invalid/debian bookworm main contrib # c
deb-src http://m.example.invalid/debian bookworm main
EOF
	cat >"$T/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://off.example.invalid/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb deb-src
URIs: http://a.example.invalid/debian http://b.example.invalid/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Architectures: amd64 i386
EOF
	run apt_sources_deb "$T/sources.list" "$T/sources.list.d"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | awk -F '\t' '{
		printf "deb %s%s %s %s\n", ($5 != "" ? "[" $5 "] " : ""), $2, $3, $4 }' \
		>"$BATS_TEST_TMPDIR/back.list"
	mkdir "$BATS_TEST_TMPDIR/empty.d"
	want=$(apt_view "$T/sources.list" "$T/sources.list.d" | grep '^deb ')
	got=$(apt_view "$BATS_TEST_TMPDIR/back.list" "$BATS_TEST_TMPDIR/empty.d")
	[[ $want == *"deb http://m.example.invalid/debian/ bookworm contrib amd64 Packages"* ]]
	[[ $want == *"deb http://b.example.invalid/debian/ bookworm-updates non-free-firmware i386 Packages"* ]]
	[[ $want != *off.example.invalid* ]]
	[ "$got" = "$want" ]
}
