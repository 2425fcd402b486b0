# k2bd/flux: the flux binary alone in a FROM scratch image.
#
#   docker build -t k2bd/flux .            (or `make image`: k2bd/flux:dev)
#
# Stage 1 builds build/flux exactly as `make` does on a Debian bookworm host:
# musl-gcc, static, linked against OpenSSL and libpq compiled for musl from
# Debian's source packages (scripts/build-sysroot.sh). Stage 2 holds the
# stripped binary, a passwd and a group file naming the non-root user
# 65532 "flux" (libpq looks up the name of the local user), and nothing else:
# no shell, no CA bundle (libpq verifies servers against `sslrootcert`, a
# file you mount, never against a system store).
#
# The spec's ENTRYPOINT ["/flux"] and WORKDIR /flux cannot share one path:
# the project is mounted at /flux, so the binary is /usr/local/bin/flux.
#
# Multi-arch: the build stage always runs on the build machine's platform
# and cross-compiles for TARGETARCH (amd64 or arm64) as `make ARCH=...`
# does, so no emulation is needed:
#   docker buildx build --platform linux/amd64,linux/arm64 -t IMAGE --push .
# The classic builder (make image, no registry) sets no TARGETARCH: it builds
# for its own platform, or for PLATFORM=linux/arm64 as the Makefile says.

ARG DEBIAN_IMAGE=debian:bookworm-slim
# Used only when the builder sets no BUILDPLATFORM (the classic builder).
ARG HOST_PLATFORM=linux/amd64

FROM --platform=${BUILDPLATFORM:-$HOST_PLATFORM} ${DEBIAN_IMAGE} AS build

# The toolchain `make` needs for build/flux (scripts/install-deps.sh installs
# these and the test tools on a host): gcc and make, musl-gcc, inih,
# dpkg-source and the unpackers for Debian source packages, CA certificates
# for an https mirror; for another TARGETARCH Debian's cross gcc and musl
# and inih of that architecture (multiarch).
ARG TARGETARCH
RUN set -eux; \
	pkgs="build-essential musl-tools libinih-dev dpkg-dev perl xz-utils bzip2 ca-certificates"; \
	native="$(dpkg --print-architecture)"; \
	target="${TARGETARCH:-$native}"; \
	if [ "$target" != "$native" ]; then \
		case "$target" in \
		arm64) gnu=aarch64 ;; \
		amd64) gnu=x86-64 ;; \
		*) echo "unsupported TARGETARCH $target (amd64, arm64)" >&2; exit 1 ;; \
		esac; \
		dpkg --add-architecture "$target"; \
		pkgs="$pkgs gcc-$gnu-linux-gnu musl-dev:$target libinih-dev:$target"; \
	fi; \
	apt-get update; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs; \
	rm -rf /var/lib/apt/lists/*; \
	case "$target" in arm64) m=aarch64 ;; amd64) m=x86_64 ;; esac; \
	if [ "$m" = "$(uname -m)" ]; then dir=build; else dir="build/$m"; fi; \
	printf 'ARCH=%s\nSYSROOT=%s/sysroot\nBIN=%s/flux\n' "$m" "$dir" "$dir" >/etc/flux-target

WORKDIR /src

# The musl sysroot first, in a layer of its own: it depends only on
# scripts/build-sysroot.sh, the apt-sources.sh it sources (and the pinned
# source packages), so editing the
# C sources does not rebuild OpenSSL and libpq. build/deps/sr[c] matches
# the host's cached source packages when .dockerignore lets them in and
# nothing otherwise; the script, always present, keeps the COPY valid.
COPY scripts/build-sysroot.sh scripts/apt-sources.sh build/deps/sr[c] /tmp/sysroot-in/
RUN set -eux; \
	. /etc/flux-target; \
	mkdir -p scripts build/deps/src; \
	mv /tmp/sysroot-in/build-sysroot.sh /tmp/sysroot-in/apt-sources.sh scripts/; \
	find /tmp/sysroot-in -maxdepth 1 -type f -exec mv -t build/deps/src {} +; \
	rm -rf /tmp/sysroot-in; \
	FLUX_DEPS_SRC=build/deps/src JOBS="$(nproc)" \
		scripts/build-sysroot.sh "$SYSROOT" "$ARCH" \
		|| { tail -n 40 build/deps/log/*.log build/*/deps/log/*.log; exit 1; }; \
	rm -rf build/deps/src build/deps/work build/deps/apt build/*/deps/work build/*/deps/apt

COPY Makefile VERSION ./
# Only the makefile fragments the Makefile includes (.dockerignore).
COPY tests tests
COPY bench bench
COPY src src
COPY entrypoint entrypoint
RUN set -eux; \
	. /etc/flux-target; \
	make ARCH="$ARCH" "$BIN"; \
	if [ "$ARCH" = "$(uname -m)" ]; then "./$BIN" --version; fi; \
	mkdir -p /out/etc /out/usr/local/bin; \
	cp "$BIN" /out/usr/local/bin/flux; \
	echo 'flux:x:65532:65532:flux:/home/flux:/sbin/nologin' >/out/etc/passwd; \
	echo 'flux:x:65532:' >/out/etc/group

FROM scratch

# First: the classic builder's --platform (make image PLATFORM=...) keeps the
# target platform only when the first step after FROM scratch adds files.
COPY --from=build /out/ /

ARG VERSION=0.1.0
ARG SOURCE=https://github.com/k2bd/flux
LABEL org.opencontainers.image.title="flux" \
	org.opencontainers.image.description="PostgreSQL migration runner: the container edition of flux-migrations, one static binary" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.source="${SOURCE}" \
	org.opencontainers.image.licenses="MIT"

USER 65532:65532
WORKDIR /flux
ENTRYPOINT ["/usr/local/bin/flux"]
CMD ["apply"]
