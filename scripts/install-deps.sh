#!/bin/sh
# Install every Debian package that building and testing flux needs.
# Idempotent: packages already present are left alone, so a second run costs
# one dpkg query. Run as root (CI and the development machines are root).
set -eu

PKGS="build-essential musl-tools libpq-dev libinih-dev libssl-dev libcmocka-dev
pkg-config bats postgresql-15 postgresql-client-15 dpkg-dev perl xz-utils bzip2
iptables
ca-certificates file openssl
clang libclang-rt-14-dev valgrind time"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
