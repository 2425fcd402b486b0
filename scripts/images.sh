#!/bin/bash
# Build the base images the container tests need, without any registry.
#
#   scripts/images.sh [--rebuild] [base|postgres|all]    (default: all)
#
#   debian:bookworm-slim   a minimal bookworm root (debootstrap --variant=minbase)
#                          `docker import`ed, apt configured with the mirror of
#                          this machine's own apt configuration (read at run time)
#   flux-test/postgres:15  PostgreSQL 15 server from docker/postgres/, built FROM
#                          the image above; behaves like the official postgres
#                          image where the tests need it
#
# Images are cached: each is built only when `docker image inspect` does not
# find it (flux-test/postgres:15 also when docker/postgres/ or the base image
# changed since it was built: it carries a hash of both as a label). --rebuild
# builds them again anyway. A debian:bookworm-slim pulled from a registry is
# used as it is. Concurrent runs wait for each other (flock). Run as root
# (debootstrap needs it); debootstrap is installed with apt-get if missing.
# Prints one line per image; exits non-zero when an image cannot be built.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE=debian:bookworm-slim
PG_IMAGE=flux-test/postgres:15
SUITE=bookworm
LABEL_HASH=org.flux-test.source-hash

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

rebuild=0
what=all
for a in "$@"; do
	case $a in
	--rebuild) rebuild=1 ;;
	base | postgres | all) what=$a ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument: $a (usage: $0 [--rebuild] [base|postgres|all])" ;;
	esac
done

command -v docker >/dev/null || die "docker not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# One build at a time on this machine: a second caller waits, then finds the
# images built by the first.
exec 9>"${TMPDIR:-/tmp}/flux-images.lock"
flock 9

# --- the Debian mirror, from this machine's apt configuration ---------------
# Prints "URI<TAB>suites<TAB>components" of the first enabled `deb` entry whose
# suites include plain bookworm (the main archive, not -security/-updates), and
# the same for bookworm-security when there is one. deb822 files first, then
# one-line sources.list files.
apt_entry() { # $1 = suite to look for
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v want="$1" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && enabled != "no" && uri != "") {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++) if (s[i] == want) {
						printf "%s\t%s\t%s\n", uri, suites, comps; found = 1; exit
					}
				}
				types = ""; uri = ""; suites = ""; comps = ""; enabled = ""; key = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { next }            # continuation lines (multi-line keys)
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val); gsub(/[ \t]+/, " ", val)
				if (key == "types") types = val
				else if (key == "uris") { split(val, u, " "); uri = u[1] }
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { if (!found) flush() }
		' "$f" | head -n1 | grep . && return 0
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v want="$1" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == want) {
					comps = ""
					for (j = i + 2; j <= NF && $j !~ /^#/; j++) comps = comps (comps ? " " : "") $j
					printf "%s\t%s\t%s\n", $i, want, comps; exit
				}
			}
		' "$f" | head -n1 | grep . && return 0
	done
	return 1
}

# --- debian:bookworm-slim ------------------------------------------------------
build_base() {
	local entry mirror suites comps sec_entry sec_uri rootfs t0
	entry=$(apt_entry "$SUITE") ||
		die "no 'deb' entry for suite $SUITE in /etc/apt/sources.list or /etc/apt/sources.list.d/"
	IFS=$'\t' read -r mirror suites comps <<<"$entry"
	mirror=${mirror%/}
	comps=${comps:-main}
	sec_entry=$(apt_entry "$SUITE-security" || true)
	sec_uri=$(printf '%s' "$sec_entry" | cut -f1)
	sec_uri=${sec_uri%/}

	if ! command -v debootstrap >/dev/null; then
		log "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			debootstrap >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
			die "cannot install debootstrap"
	fi

	t0=$SECONDS
	log "building $BASE_IMAGE: debootstrap --variant=minbase $SUITE from $mirror"
	rootfs=$(mktemp -d "${TMPDIR:-/tmp}/flux-rootfs.XXXXXX")
	# shellcheck disable=SC2064
	trap "cleanup_rootfs '$rootfs'" EXIT
	if ! debootstrap --variant=minbase --components="${comps// /,}" \
		"$SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1; then
		tail -n 20 "$rootfs.log" >&2
		die "debootstrap failed (log: $rootfs.log)"
	fi
	umount_under "$rootfs"

	# apt sources: the mirror this machine uses, as the official image does it.
	rm -f "$rootfs/etc/apt/sources.list"
	{
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n' \
			"$mirror" "$suites" "$comps"
		printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$sec_uri" ]; then
			printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: %s\n' \
				"$sec_uri" "$SUITE" "$comps"
			printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$rootfs/etc/apt/sources.list.d/debian.sources"
	# A mirror serving an archive snapshot has expired Release files.
	if apt-config dump 2>/dev/null | grep -qi '^Acquire::Check-Valid-Until "\(false\|0\)"'; then
		echo 'Acquire::Check-Valid-Until "false";' >"$rootfs/etc/apt/apt.conf.d/99check-valid-until"
	fi

	# The slim image's tweaks: no caches, lists, docs, man pages, translations.
	cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
	echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
	echo 'APT::Install-Recommends "false";' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
	cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
	find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	(
		cd "${rootfs:?}" &&
			rm -rf ./usr/share/man/* ./usr/share/info/* ./usr/share/locale/* \
				./var/lib/apt/lists/* ./var/cache/apt/*.bin \
				./var/cache/apt/archives/*.deb ./var/cache/debconf/*-old \
				./var/log/*.log ./var/log/apt/* ./dev/* ./proc/* ./sys/* ./run/* \
				./tmp/* ./etc/machine-id ./etc/hostname
	)
	mkdir -p "$rootfs/var/lib/apt/lists/partial"

	tar --numeric-owner -C "$rootfs" -c . |
		docker import \
			--change 'CMD ["bash"]' \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change "LABEL org.flux-test.built-by=scripts/images.sh org.flux-test.mirror=$mirror" \
			--message "debootstrap --variant=minbase $SUITE (scripts/images.sh)" \
			- "$BASE_IMAGE" >/dev/null || die "docker import failed"
	cleanup_rootfs "$rootfs"
	trap - EXIT
	log "built $BASE_IMAGE ($(image_size "$BASE_IMAGE")) in $((SECONDS - t0)) s"
}

umount_under() { # unmount anything debootstrap left mounted inside $1
	local m
	awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

cleanup_rootfs() {
	umount_under "$1"
	if ! awk -v d="$1/" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
		rm -rf "$1" "$1.log"
	fi
}

image_size() {
	docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.0f MB", $1 / 1000000 }'
}

# --- flux-test/postgres:15 -------------------------------------------------------
# The sources in docker/postgres/ and the base image it was built from.
pg_source_hash() {
	{
		docker image inspect -f '{{.Id}}' "$BASE_IMAGE" 2>/dev/null || true
		cd "$ROOT/docker/postgres" && find . -type f -print0 | sort -z | xargs -0 sha256sum
	} | sha256sum | cut -c1-16
}

build_postgres() {
	local hash t0 old
	hash=$(pg_source_hash)
	old=$(docker image inspect -f '{{.Id}}' "$PG_IMAGE" 2>/dev/null || true)
	t0=$SECONDS
	log "building $PG_IMAGE from docker/postgres/"
	# The classic builder uses the local $BASE_IMAGE; BuildKit would ask a
	# registry for it.
	if ! DOCKER_BUILDKIT=0 docker build -q \
		--label "$LABEL_HASH=$hash" -t "$PG_IMAGE" "$ROOT/docker/postgres" \
		>"${TMPDIR:-/tmp}/flux-images-pg.log" 2>&1; then
		tail -n 30 "${TMPDIR:-/tmp}/flux-images-pg.log" >&2
		die "docker build of $PG_IMAGE failed"
	fi
	# The previous build, now untagged (kept if a container still uses it).
	if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$PG_IMAGE")" ]; then
		docker rmi "$old" >/dev/null 2>&1 || true
	fi
	log "built $PG_IMAGE ($(image_size "$PG_IMAGE")) in $((SECONDS - t0)) s"
}

pg_current() {
	have_image "$PG_IMAGE" || return 1
	[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL_HASH\"}}" "$PG_IMAGE")" = "$(pg_source_hash)" ]
}

# --- main ------------------------------------------------------------------------
if [ "$what" != postgres ]; then
	if [ "$rebuild" = 0 ] && have_image "$BASE_IMAGE"; then
		log "found $BASE_IMAGE"
	else
		build_base
	fi
fi
if [ "$what" != base ]; then
	have_image "$BASE_IMAGE" || build_base
	if [ "$rebuild" = 0 ] && pg_current; then
		log "found $PG_IMAGE"
	else
		build_postgres
	fi
fi
