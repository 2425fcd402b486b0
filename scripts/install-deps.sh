#!/bin/sh
# Install every Debian package that building and testing flux needs.
# Idempotent: packages already present are left alone, so a second run costs
# one dpkg query. Run as root (CI and the development machines are root).
set -eu

# The arm64 build (make ARCH=aarch64) and its test run: Debian's cross gcc,
# musl and inih for arm64 (multiarch: dpkg --add-architecture arm64 below),
# qemu-user-static. debootstrap makes the base images (scripts/images.sh).
# clang-format and shellcheck: make format-check, make shellcheck.
PKGS="build-essential musl-tools libpq-dev libinih-dev libssl-dev libcmocka-dev
pkg-config bats postgresql-15 postgresql-client-15 dpkg-dev perl xz-utils bzip2
iptables iproute2
ca-certificates file openssl
clang libclang-rt-14-dev valgrind time
clang-format shellcheck
pgbouncer
debootstrap gcc-aarch64-linux-gnu qemu-user-static musl-dev:arm64 libinih-dev:arm64"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	echo "install-deps: dpkg --add-architecture arm64" >&2
	dpkg --add-architecture arm64
fi
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
