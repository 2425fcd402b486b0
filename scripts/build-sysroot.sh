#!/bin/sh
# Build the musl sysroot the shipped static binary links against:
#   scripts/build-sysroot.sh build/sysroot
#   scripts/build-sysroot.sh build/aarch64/sysroot aarch64   (cross, see below)
# leaves in build/sysroot:
#   lib/     libpq.a libpgcommon.a libpgport.a libssl.a libcrypto.a libinih.a
#   include/ libpq-fe.h libpq-events.h postgres_ext.h pg_config_ext.h openssl/ ini.h
# and touches build/sysroot/.stamp. Link with
#   musl-gcc -static -Wl,--gc-sections ... -Lbuild/sysroot/lib -lpq -lpgcommon -lpgport -lssl -lcrypto -linih
# (OpenSSL and libpq are compiled for size, a section per function: see
# DEP_CFLAGS).
#
# OpenSSL and libpq are compiled with musl-gcc from Debian's source packages,
# pinned below, fetched with apt-get through a private apt configuration that
# is derived at run time from this machine's own apt sources (the deb entries,
# as scripts/apt-sources.sh reads them, turned into deb-src); /etc/apt is
# never written. inih is the installed libinih-dev: one small glibc-built
# object whose only glibc-specific references (__ctype_b_loc, fopen64) musl's
# libc.a provides for compatibility.
#
# Cross builds: the optional ARCH (uname -m spelling: x86_64, aarch64) names
# the target when it is not this machine's. The compiler is Debian's cross
# gcc (gcc-ARCH-linux-gnu) with musl for ARCH (musl-dev:DPKGARCH, multiarch)
# through a musl-gcc-like wrapper the script writes to SYSROOT/bin/musl-gcc
# (and its specs file next to it), as the Makefile's ARCH=... expects; inih
# is libinih-dev:DPKGARCH. scripts/install-deps.sh installs these for aarch64.
# A cross sysroot keeps its own work tree in SYSROOT/../deps but may share the
# source packages (FLUX_DEPS_SRC; the Makefile passes build/deps/src).
#
# Cached: sources stay in build/deps/src, each library is rebuilt only when its
# stamp in the sysroot is missing or records another recipe (the unpacked build trees under
# build/deps/work are deleted once installed), and a complete sysroot makes the
# script return at once. Build logs go to build/deps/log/*.log; on failure the
# tail of the failing log is printed. Tools come from scripts/install-deps.sh.
set -eu

PG_PKG=postgresql-15
PG_VER=15.18-0+deb12u1
SSL_PKG=openssl
SSL_VER=3.0.20-1~deb12u2
# Bump when a build recipe below changes, so cached builds are redone.
RECIPE=2
JOBS=${JOBS:-2}
CC=${MUSL_CC:-musl-gcc}
# Compiler flags for OpenSSL and libpq, chosen for the size of the static
# binary (SPEC 6: at most 4 MB): -Os, as the hot paths of OpenSSL (AES, SHA,
# P-256, bignum) are its assembly, which -Os leaves alone; a section per
# function and per object, so the final link with --gc-sections (Makefile)
# drops what flux never calls; no unwind tables, as nothing unwinds through C
# here (no exceptions, musl does not unwind on thread cancellation).
DEP_CFLAGS="-Os -ffunction-sections -fdata-sections \
-fno-asynchronous-unwind-tables -fno-unwind-tables"

die() { echo "build-sysroot: $*" >&2; exit 1; }

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: $0 SYSROOT [ARCH]"
HOST_ARCH=$(uname -m)
ARCH=${2:-$HOST_ARCH}
case $ARCH in
x86_64 | aarch64) ;;
*) die "unsupported ARCH '$ARCH' (x86_64 or aarch64)" ;;
esac
mkdir -p "$1"
SYSROOT=$(cd "$1" && pwd)
DEPS=${FLUX_DEPS_DIR:-$(dirname "$SYSROOT")/deps}
mkdir -p "$DEPS"
DEPS=$(cd "$DEPS" && pwd)
SRC=${FLUX_DEPS_SRC:-$DEPS/src}
WORK=$DEPS/work
LOG=$DEPS/log
APTDIR=$DEPS/apt
STAMP_TEXT="pg=$PG_VER ssl=$SSL_VER recipe=$RECIPE"
CONFIGURE_HOST=
if [ "$ARCH" != "$HOST_ARCH" ]; then
	STAMP_TEXT="$STAMP_TEXT arch=$ARCH"
	CONFIGURE_HOST=--host=$ARCH-linux-gnu
fi

SYSROOT_FILES="lib/libpq.a lib/libpgcommon.a lib/libpgport.a lib/libssl.a
lib/libcrypto.a lib/libinih.a include/libpq-fe.h include/postgres_ext.h
include/pg_config_ext.h include/openssl/ssl.h include/openssl/evp.h include/ini.h"

# stamp_ok FILE: FILE exists and records the current versions and recipe.
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$STAMP_TEXT" ]; }

sysroot_complete() {
	stamp_ok "$SYSROOT/.openssl.stamp" && stamp_ok "$SYSROOT/.libpq.stamp" || return 1
	for f in $SYSROOT_FILES; do [ -f "$SYSROOT/$f" ] || return 1; done
}

# run NAME CMD...: run CMD with output appended to $LOG/NAME.log; on failure
# show the end of that log and stop.
run() {
	name=$1; shift
	if ! "$@" >>"$LOG/$name.log" 2>&1; then
		echo "build-sysroot: failed: $*" >&2
		echo "build-sysroot: last lines of $LOG/$name.log:" >&2
		tail -n 25 "$LOG/$name.log" >&2
		exit 1
	fi
}

if sysroot_complete && [ -f "$SYSROOT/.stamp" ]; then
	# Also reached when make reruns us because this script is newer than the
	# stamp: refresh the stamp so make stops asking.
	touch "$SYSROOT/.stamp"
	exit 0
fi

# One build at a time (several make runs may share this tree); whoever waited
# finds the work done.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$DEPS/lock"
	flock 9
	if sysroot_complete && [ -f "$SYSROOT/.stamp" ]; then
		touch "$SYSROOT/.stamp"
		exit 0
	fi
fi

mkdir -p "$SRC" "$WORK" "$LOG" "$SYSROOT/lib" "$SYSROOT/include"

# --- cross compiler: Debian's ARCH-linux-gnu-gcc made to use musl -------------
# The wrapper and specs file are musl-tools' musl-gcc and musl-gcc.specs with
# the target's paths: musl's headers and crt files from musl-dev:DPKGARCH.
if [ "$ARCH" != "$HOST_ARCH" ]; then
	cross=$ARCH-linux-gnu-gcc
	musl_lib=/usr/lib/$ARCH-linux-musl
	musl_inc=/usr/include/$ARCH-linux-musl
	command -v "$cross" >/dev/null 2>&1 ||
		die "missing $cross; run scripts/install-deps.sh"
	[ -f "$musl_lib/libc.a" ] && [ -d "$musl_inc" ] ||
		die "musl for $ARCH is not installed ($musl_lib/libc.a); run scripts/install-deps.sh"
	mkdir -p "$SYSROOT/bin"
	cat >"$SYSROOT/bin/musl-gcc.specs" <<EOF
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $musl_inc -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $musl_inc -isystem include%s

*link_libgcc:
-L$musl_lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{!shared: $musl_lib/Scrt1.o} $musl_lib/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $musl_lib/crtn.o

*link:
-dynamic-linker /lib/ld-musl-$ARCH.so.1 -nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}

EOF
	# aarch64: gcc's default outline atomics call libgcc helpers that
	# read the CPU's features with glibc's __getauxval, which musl lacks;
	# inline atomics instead (baseline ARMv8.0 instructions).
	extra=
	[ "$ARCH" = aarch64 ] && extra=-mno-outline-atomics
	printf '#!/bin/sh\nexec %s %s "$@" -specs "%s"\n' "$cross" "$extra" \
		"$SYSROOT/bin/musl-gcc.specs" >"$SYSROOT/bin/musl-gcc"
	chmod 755 "$SYSROOT/bin/musl-gcc"
	CC=${MUSL_CC:-$SYSROOT/bin/musl-gcc}
	# The archives need a symbol index the host's binutils cannot write.
	export AR=$ARCH-linux-gnu-ar RANLIB=$ARCH-linux-gnu-ranlib
fi

for t in "$CC" apt-get dpkg-source perl make ar; do
	command -v "$t" >/dev/null 2>&1 || die "missing $t; run scripts/install-deps.sh"
done

# --- private apt configuration for source packages -------------------------
# This machine's enabled deb entries (scripts/apt-sources.sh parses them), as
# deb-src entries of a private sources.list. Entries signed by a keyring
# other than Debian's archive keyring are skipped (third-party repositories
# publish no matching sources anyway).
# shellcheck source=scripts/apt-sources.sh
. "$(dirname "$0")/apt-sources.sh"
AWK_DEBSRC='
{
	n = split($5, o, " ")
	for (i = 1; i <= n; i++)
		if (o[i] ~ /^signed-by=/ && o[i] !~ /debian-archive-/) next
	printf "deb-src %s%s %s%s\n", ($5 != "" ? "[" $5 "] " : ""), $2, $3,
	    ($4 != "" ? " " $4 : "")
}'

derive_apt_sources() {
	rm -rf "$APTDIR/sources.list.d"
	mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" \
		"$APTDIR/cache/archives/partial"
	apt_sources_deb >"$APTDIR/deb.entries" ||
		die "cannot read the apt sources $apt_sources_list and $apt_sources_parts"
	awk -F '\t' "$AWK_DEBSRC" "$APTDIR/deb.entries" >"$APTDIR/sources.list"
	[ -s "$APTDIR/sources.list" ] ||
		die "no enabled deb entries in $apt_sources_list or $apt_sources_parts"
}

apt_private() {
	apt-get -q \
		-o Dir::Etc::SourceList="$APTDIR/sources.list" \
		-o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
		-o Dir::State::Lists="$APTDIR/lists" \
		-o Dir::Cache="$APTDIR/cache" \
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= \
		-o APT::Sandbox::User=root \
		"$@"
}

# fetch PKG VERSION: download PKG's Debian source package into $SRC once.
fetch() {
	dsc="$SRC/${1}_$(echo "$2" | sed 's/^[0-9]*://').dsc"
	[ -f "$dsc" ] && return 0
	if ! [ -f "$APTDIR/updated" ]; then
		derive_apt_sources
		# A failing third-party source must not stop us: the pinned
		# versions are checked by apt-get source itself.
		apt_private update >"$LOG/apt.log" 2>&1 || true
		touch "$APTDIR/updated"
	fi
	if ! (cd "$SRC" && apt_private source --download-only "$1=$2") \
	    >>"$LOG/apt.log" 2>&1; then
		rm -f "$APTDIR/updated"
		echo "build-sysroot: cannot download source $1=$2" >&2
		tail -n 20 "$LOG/apt.log" >&2
		exit 1
	fi
}

# unpack PKG VERSION DIR: fresh copy of the patched source tree in DIR.
unpack() {
	v=$(echo "$2" | sed 's/^[0-9]*://')
	rm -rf "$3"
	run unpack dpkg-source --no-check -x "$SRC/${1}_$v.dsc" "$3"
	# dpkg-source copies the upstream tarballs next to DIR; $SRC has them.
	rm -f "$(dirname "$3")"/*.orig.tar.*
}

# --- OpenSSL ----------------------------------------------------------------
if ! stamp_ok "$SYSROOT/.openssl.stamp"; then
	echo "build-sysroot: OpenSSL $SSL_VER (musl, static); log in $LOG/openssl.log" >&2
	fetch "$SSL_PKG" "$SSL_VER"
	: >"$LOG/openssl.log"
	d="$WORK/openssl"
	unpack "$SSL_PKG" "$SSL_VER" "$d"
	# Static libraries only, nothing loaded at run time (no engines, no
	# provider modules), and nothing that needs Linux kernel headers, which
	# musl-gcc does not see (AF_ALG engine, KTLS).
	base="no-shared no-module no-engine no-afalgeng no-secure-memory no-ktls
		no-tests no-ui-console"
	# Ciphers, digests, MACs and KDFs that neither TLS 1.2/1.3 with current
	# servers nor libpq use, DSA keys and binary-field curves. Kept on
	# purpose: AES, ChaCha20-Poly1305 (TLS suites), DES (3DES-encrypted PEM
	# client keys from `openssl genrsa -des3`, read with sslpassword), MD5
	# (flux's migration checksums), SHA-1/2/3, HMAC and PBKDF2 (SCRAM), RSA,
	# DH (DHE suites, FFDHE groups), prime-field EC, X25519/X448 and
	# Ed25519/Ed448.
	algos="no-aria no-bf no-blake2 no-camellia no-cast no-idea no-md4
		no-mdc2 no-rc2 no-rc4 no-rmd160 no-seed no-siphash no-sm2 no-sm3
		no-sm4 no-whirlpool no-ocb no-siv no-cmac no-scrypt
		no-dsa no-ec2m"
	# Protocols, formats and extensions libpq 15 never uses: it is a TLS
	# client over a stream socket that verifies X.509 chains against
	# sslrootcert (and sslcrl), nothing more. no-legacy: the legacy provider
	# (single DES, RC4, PBKDF1, ...), which OpenSSL 3 never loads unless
	# asked to and libpq does not ask; no-multiblock: multi-buffer writes
	# for TLS 1.2 CBC-HMAC suites; no-filenames: source file names in the
	# error queue, which libpq never prints.
	protos="no-dtls no-dgram no-srp no-psk no-srtp no-nextprotoneg
		no-ssl-trace no-comp no-ct no-ocsp no-cms no-ts no-cmp no-rfc3779
		no-async no-legacy no-multiblock no-filenames"
	# Given last, -Os overrides the -O3 of OpenSSL's linux-$ARCH target.
	# $base $algos $protos $DEP_CFLAGS are split into words on purpose.
	# shellcheck disable=SC2086
	(cd "$d" && run openssl env CC="$CC" ./Configure "linux-$ARCH" \
		$base $algos $protos $DEP_CFLAGS \
		--prefix="$SYSROOT" --openssldir=/etc/ssl --libdir=lib)
	# Libraries and headers only: no openssl program, no docs.
	run openssl make -C "$d" -j"$JOBS" build_libs
	run openssl make -C "$d" install_dev
	rm -rf "$SYSROOT/lib/pkgconfig"
	echo "$STAMP_TEXT" >"$SYSROOT/.openssl.stamp"
	rm -rf "$d"
	rm -f "$SYSROOT/.libpq.stamp"
fi

# --- libpq ------------------------------------------------------------------
if ! stamp_ok "$SYSROOT/.libpq.stamp"; then
	echo "build-sysroot: libpq $PG_VER (musl, static); log in $LOG/libpq.log" >&2
	fetch "$PG_PKG" "$PG_VER"
	: >"$LOG/libpq.log"
	d="$WORK/postgresql"
	unpack "$PG_PKG" "$PG_VER" "$d"
	(cd "$d" && run libpq env CC="$CC" CFLAGS="$DEP_CFLAGS" \
		CPPFLAGS="-I$SYSROOT/include" LDFLAGS="-L$SYSROOT/lib" \
		./configure --without-readline --without-zlib --without-icu \
		--without-llvm --without-gssapi --without-ldap --without-pam \
		--without-libxml --without-lz4 --without-zstd --without-systemd \
		--with-openssl $CONFIGURE_HOST)
	# Headers generated from the backend's tables (errcodes.h, ...), which
	# src/common needs; the tarball's pregenerated parser files are used.
	run libpq make -C "$d/src/backend" generated-headers
	run libpq make -C "$d/src/port" -j"$JOBS" libpgport.a
	run libpq make -C "$d/src/common" -j"$JOBS" libpgcommon.a
	run libpq make -C "$d/src/interfaces/libpq" -j"$JOBS" all-static-lib
	cp "$d/src/interfaces/libpq/libpq.a" "$d/src/common/libpgcommon.a" \
		"$d/src/port/libpgport.a" "$SYSROOT/lib/"
	cp "$d/src/interfaces/libpq/libpq-fe.h" \
		"$d/src/interfaces/libpq/libpq-events.h" \
		"$d/src/include/postgres_ext.h" "$d/src/include/pg_config_ext.h" \
		"$SYSROOT/include/"
	echo "$STAMP_TEXT" >"$SYSROOT/.libpq.stamp"
	rm -rf "$d"
fi

# --- inih -------------------------------------------------------------------
inih_a=/usr/lib/$ARCH-linux-gnu/libinih.a
[ -f /usr/include/ini.h ] && [ -f "$inih_a" ] ||
	die "libinih-dev for $ARCH is not installed ($inih_a); run scripts/install-deps.sh"
cp /usr/include/ini.h "$SYSROOT/include/"
cp "$inih_a" "$SYSROOT/lib/"

sysroot_complete || die "sysroot incomplete after build"
touch "$SYSROOT/.stamp"
