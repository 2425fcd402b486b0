#!/bin/bash
# Build the base images the container tests need, without any registry.
#
#   scripts/images.sh [--rebuild] [WHAT...]
#
# WHAT: base, postgres (= 15), 13, 15, 17, versions (= 13 17), all (= base 15,
# what the container tests need; the default).
#
#   debian:bookworm-slim   a minimal bookworm root (debootstrap --variant=minbase)
#                          `docker import`ed, apt configured with the mirror of
#                          this machine's own apt configuration (read at run time)
#   flux-test/postgres:15  PostgreSQL 15 server from docker/postgres/, built FROM
#                          the image above; behaves like the official postgres
#                          image where the tests need it
#   flux-test/postgres:13  the same with PostgreSQL 13 FROM debian:bullseye-slim,
#   flux-test/postgres:17  and with PostgreSQL 17 FROM debian:trixie-slim: each
#                          Debian release's own PostgreSQL (bullseye carries 13,
#                          bookworm 15, trixie 17), its base image made as
#                          bookworm's, from the same mirror
#
# Images are cached: each is built only when `docker image inspect` does not
# find it (flux-test/postgres:N also when docker/postgres/ or its base image
# changed since it was built: it carries a hash of both as a label). --rebuild
# builds them again anyway. A debian:*-slim pulled from a registry is used as
# it is. Concurrent runs wait for each other (flock). Run as root
# (debootstrap needs it); debootstrap is installed with apt-get if missing.
# Prints one line per image; exits non-zero when an image cannot be built.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABEL_HASH=org.flux-test.source-hash

# PostgreSQL major -> the Debian release that carries it.
pg_suite() {
	case $1 in
	13) echo bullseye ;;
	15) echo bookworm ;;
	17) echo trixie ;;
	*) return 1 ;;
	esac
}

log() { printf 'images: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

rebuild=0
want_base=0
majors=()
for a in "$@"; do
	case $a in
	--rebuild) rebuild=1 ;;
	base) want_base=1 ;;
	postgres | 15) majors+=(15) ;;
	13 | 17) majors+=("$a") ;;
	versions) majors+=(13 17) ;;
	all) want_base=1; majors+=(15) ;;
	-h | --help) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) die "unknown argument: $a (usage: $0 [--rebuild] [base|postgres|13|15|17|versions|all]...)" ;;
	esac
done
if [ "$want_base" = 0 ] && [ ${#majors[@]} -eq 0 ]; then
	want_base=1
	majors=(15)
fi

command -v docker >/dev/null || die "docker not found"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# One build at a time on this machine: a second caller waits, then finds the
# images built by the first.
exec 9>"${TMPDIR:-/tmp}/flux-images.lock"
flock 9

# --- the Debian mirror, from this machine's apt configuration ---------------
# Prints "URI<TAB>suites<TAB>components" of the first enabled `deb` entry whose
# suites include the given one: this machine's release (the main archive, not
# -security/-updates), or its -security suite. deb822 files first (a stanza's
# first URI and all its suites), then one-line sources.list files (that one
# suite). Images of other releases use the same URIs with their own suite
# names. scripts/apt-sources.sh parses /etc/apt.
# shellcheck source=scripts/apt-sources.sh
. "$ROOT/scripts/apt-sources.sh"
apt_entry() { # $1 = suite to look for
	local entries
	entries=$(apt_sources_deb /etc/apt/sources.list /etc/apt/sources.list.d) || return 1
	printf '%s\n' "$entries" | awk -F '\t' -v want="$1" '
		NF < 6 { next }
		$6 ~ /\.sources:[0-9]+$/ {
			n++; o[n] = $6; u[n] = $2; s[n] = $3
			# the first URI of the first deb822 stanza with the suite
			if (origin == "" && $3 == want) { origin = $6; uri = $2; comps = $4 }
			next
		}
		line == "" && $3 == want { line = $2 "\t" want "\t" $4 }
		END {
			if (origin != "") {
				for (i = 1; i <= n; i++)
					if (o[i] == origin && u[i] == uri)
						suites = suites (suites != "" ? " " : "") s[i]
				printf "%s\t%s\t%s\n", uri, suites, comps
			} else if (line != "") print line
			else exit 1
		}'
}

# This machine's Debian release (its apt entries name it).
host_suite() {
	local VERSION_CODENAME=
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && . /etc/os-release
	[ -n "$VERSION_CODENAME" ] || die "cannot tell this machine's Debian release (/etc/os-release)"
	echo "$VERSION_CODENAME"
}

# --- debian:SUITE-slim -----------------------------------------------------------
build_base() { # $1 = suite
	local SUITE=$1 BASE_IMAGE=debian:$1-slim host entry mirror suites comps sec_entry sec_uri rootfs t0 s out
	host=$(host_suite)
	entry=$(apt_entry "$host") ||
		die "no 'deb' entry for suite $host in /etc/apt/sources.list or /etc/apt/sources.list.d/"
	IFS=$'\t' read -r mirror suites comps <<<"$entry"
	mirror=${mirror%/}
	comps=${comps:-main}
	# bookworm bookworm-updates -> SUITE SUITE-updates
	if [ "$SUITE" != "$host" ]; then
		out=
		for s in $suites; do out="$out $SUITE${s#"$host"}"; done
		suites=${out# }
	fi
	sec_entry=$(apt_entry "$host-security" || true)
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

# --- flux-test/postgres:N -------------------------------------------------------
# The sources in docker/postgres/, the major and the base image it was built from.
pg_source_hash() { # $1 = major
	{
		echo "PG_MAJOR=$1"
		docker image inspect -f '{{.Id}}' "debian:$(pg_suite "$1")-slim" 2>/dev/null || true
		cd "$ROOT/docker/postgres" && find . -type f -print0 | sort -z | xargs -0 sha256sum
	} | sha256sum | cut -c1-16
}

build_postgres() { # $1 = major
	local major=$1 image=flux-test/postgres:$1 base hash t0 old log
	base=debian:$(pg_suite "$major")-slim
	hash=$(pg_source_hash "$major")
	old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
	log=${TMPDIR:-/tmp}/flux-images-pg$major.log
	t0=$SECONDS
	log "building $image from docker/postgres/ on $base"
	# The classic builder uses the local base image; BuildKit would ask a
	# registry for it.
	if ! DOCKER_BUILDKIT=0 docker build -q \
		--build-arg "DEBIAN_IMAGE=$base" --build-arg "PG_MAJOR=$major" \
		--label "$LABEL_HASH=$hash" -t "$image" "$ROOT/docker/postgres" \
		>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "docker build of $image failed"
	fi
	# The previous build, now untagged (kept if a container still uses it).
	if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$image")" ]; then
		docker rmi "$old" >/dev/null 2>&1 || true
	fi
	log "built $image ($(image_size "$image")) in $((SECONDS - t0)) s"
}

pg_current() { # $1 = major
	local image=flux-test/postgres:$1
	have_image "$image" || return 1
	[ "$(docker image inspect -f "{{index .Config.Labels \"$LABEL_HASH\"}}" "$image")" = "$(pg_source_hash "$1")" ]
}

# --- main ------------------------------------------------------------------------
seen=" "
# ensure_base SUITE: debian:SUITE-slim exists (built once per run with --rebuild).
ensure_base() {
	case $seen in *" base-$1 "*) return 0 ;; esac
	seen="${seen}base-$1 "
	if [ "$rebuild" = 0 ] && have_image "debian:$1-slim"; then
		log "found debian:$1-slim"
	else
		build_base "$1"
	fi
}

if [ "$want_base" = 1 ]; then
	ensure_base bookworm
fi
for major in "${majors[@]}"; do
	case $seen in *" pg-$major "*) continue ;; esac
	seen="${seen}pg-$major "
	ensure_base "$(pg_suite "$major")"
	if [ "$rebuild" = 0 ] && pg_current "$major"; then
		log "found flux-test/postgres:$major"
	else
		build_postgres "$major"
	fi
done
