#!/usr/bin/env bats
# The arm64 image (`make image PLATFORM=linux/arm64`: k2bd/flux:dev-arm64,
# cross-built by the Dockerfile's build stage with TARGETARCH=arm64): what
# `docker inspect` says, what it holds, and that its binary is the static
# aarch64 flux (run under qemu-aarch64-static: this machine has no binfmt
# handler, so `docker run` of an arm64 image is not tried). FLUX_TEST_ARM64=0
# skips the file, as it skips the arm64 CLI run.

# $(dk_labels) splits into --label options on purpose.
# shellcheck disable=SC2046

load helper

ARM64_IMAGE=${FLUX_IMAGE_ARM64:-k2bd/flux:dev-arm64}

setup_file() {
	[ "${FLUX_TEST_ARM64:-1}" = 0 ] && return 0
	dk_setup_file || return 1
	[ -n "$DK_SKIP" ] && return 0
	# scripts/run-tests.sh builds it first; a bats run of its own builds it
	# when missing.
	if ! docker image inspect "$ARM64_IMAGE" >/dev/null 2>&1; then
		make -C "$DK_ROOT" image PLATFORM=linux/arm64 IMAGE="$ARM64_IMAGE" >&3 2>&1 || {
			echo "cannot build $ARM64_IMAGE (make image PLATFORM=linux/arm64)" >&2
			return 1
		}
	fi
}
setup() {
	[ "${FLUX_TEST_ARM64:-1}" = 0 ] && skip "FLUX_TEST_ARM64=0"
	dk_setup
}
teardown() { dk_teardown; }
teardown_file() { [ "${FLUX_TEST_ARM64:-1}" = 0 ] || dk_teardown_file; }

@test "arm64 image: linux/arm64, FROM scratch with the binary, passwd and group only" {
	run docker image inspect -f '{{.Os}}/{{.Architecture}}' "$ARM64_IMAGE"
	[ "$output" = linux/arm64 ]
	local size c files
	size=$(docker image inspect -f '{{.Size}}' "$ARM64_IMAGE")
	echo "image size: $size bytes"
	[ "$size" -le 5000000 ]
	c=$(docker create $(dk_labels) "$ARM64_IMAGE")
	files=$(docker export "$c" | tar -t | grep -v -E '^(\.dockerenv|dev/.*|proc/|sys/|etc/(hostname|hosts|resolv\.conf|mtab)|etc/|usr/|usr/local/|usr/local/bin/|flux/)$' | sort | tr '\n' ' ')
	docker rm "$c" >/dev/null
	echo "files: $files"
	[ "$files" = "etc/group etc/passwd usr/local/bin/flux " ]
}

@test "arm64 image: the amd64 image's user, workdir, entrypoint, command and labels" {
	local f='{{.Config.User}}|{{.Config.WorkingDir}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{json .Config.Labels}}'
	local arm amd
	arm=$(docker image inspect -f "$f" "$ARM64_IMAGE")
	amd=$(docker image inspect -f "$f" "$DK_FLUX_IMAGE")
	printf 'arm64: %s\namd64: %s\n' "$arm" "$amd"
	[ "$arm" = "$amd" ]
	[[ $arm == '65532:65532|/flux|["/usr/local/bin/flux"]|["apply"]|'* ]]
	[ "$(docker image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$ARM64_IMAGE")" = "$(cat "$DK_ROOT/VERSION")" ]
}

@test "arm64 image: its binary is static aarch64, at most 4 MB, and runs under qemu" {
	local c bin="$BATS_TEST_TMPDIR/flux"
	c=$(docker create $(dk_labels) "$ARM64_IMAGE")
	docker cp "$c:/usr/local/bin/flux" "$bin"
	docker rm "$c" >/dev/null
	run file -b "$bin"
	echo "file: $output"
	[[ $output == *"ARM aarch64"* ]]
	[[ $output == *"statically linked"* ]]
	[[ $output == *", stripped"* ]]
	echo "size: $(stat -c %s "$bin") bytes"
	[ "$(stat -c %s "$bin")" -le 4194304 ]
	run qemu-aarch64-static "$bin" --version
	echo "flux --version: $output"
	[ "$status" -eq 0 ]
	[ "$output" = "flux $(cat "$DK_ROOT/VERSION")" ]
}
