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

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build

# The toolchain `make` needs for build/flux (scripts/install-deps.sh installs
# these and the test tools on a host): gcc and make, musl-gcc, inih,
# dpkg-source and the unpackers for Debian source packages, CA certificates
# for an https mirror.
RUN set -eux; \
	apt-get update; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		build-essential musl-tools libinih-dev dpkg-dev perl xz-utils bzip2 \
		ca-certificates; \
	rm -rf /var/lib/apt/lists/*

WORKDIR /src

# The musl sysroot first, in a layer of its own: it depends only on
# scripts/build-sysroot.sh (and the pinned source packages), so editing the
# C sources does not rebuild OpenSSL and libpq. build/deps/sr[c] matches
# the host's cached source packages when .dockerignore lets them in and
# nothing otherwise; the script, always present, keeps the COPY valid.
COPY scripts/build-sysroot.sh build/deps/sr[c] /tmp/sysroot-in/
RUN set -eux; \
	mkdir -p scripts build/deps/src; \
	mv /tmp/sysroot-in/build-sysroot.sh scripts/; \
	find /tmp/sysroot-in -maxdepth 1 -type f -exec mv -t build/deps/src {} +; \
	rm -rf /tmp/sysroot-in; \
	JOBS="$(nproc)" scripts/build-sysroot.sh build/sysroot \
		|| { tail -n 40 build/deps/log/*.log; exit 1; }; \
	rm -rf build/deps/src build/deps/work build/deps/apt

COPY Makefile VERSION ./
# Only the makefile fragments the Makefile includes (.dockerignore).
COPY tests tests
COPY bench bench
COPY src src
COPY entrypoint entrypoint
RUN set -eux; \
	make build/flux; \
	./build/flux --version; \
	mkdir -p /out/etc /out/usr/local/bin; \
	cp build/flux /out/usr/local/bin/flux; \
	echo 'flux:x:65532:65532:flux:/home/flux:/sbin/nologin' >/out/etc/passwd; \
	echo 'flux:x:65532:' >/out/etc/group

FROM scratch

ARG VERSION=0.1.0
ARG SOURCE=https://github.com/k2bd/flux
LABEL org.opencontainers.image.title="flux" \
	org.opencontainers.image.description="PostgreSQL migration runner: the container edition of flux-migrations, one static binary" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.source="${SOURCE}" \
	org.opencontainers.image.licenses="MIT"

COPY --from=build /out/ /

USER 65532:65532
WORKDIR /flux
ENTRYPOINT ["/usr/local/bin/flux"]
CMD ["apply"]
