#!/usr/bin/env bash
# test.sh: the project's whole test suite, from a fresh Debian/Ubuntu
# machine with Go. It installs what is missing, then runs every stage and
# stops at the first failure:
#
#   1. install-deps.sh      qemu, qemu-user-static, dnsmasq, atftpd, iproute2, cpio...
#   2. fetch-kernels.sh     Debian 12 s390x/amd64/arm64 kernels + busybox and Debian 13's
#                           s390x kernel (no kexec), cached in .cache/
#      fetch-qemu.sh        QEMU 10.0 from bookworm-backports, unpacked in .cache/
#   3. gofmt                every .go file formatted
#   4. go vet               for linux/amd64 and linux/s390x, e2e files included
#   5. go test ./...        unit tests, with the race detector
#   6. big-endian           GOARCH=s390x go test -exec qemu-s390x-static ./...
#   7. fuzz (short)         each fuzz target for FUZZTIME (default 5s)
#   8. e2e                  go test -tags e2e ./scripts/e2e/: QEMU guests
#                           (s390x through the firmware's network boot,
#                           x86-64) and dnsmasq in network namespaces; then
#                           the s390x network boot and the bench once more
#                           on QEMU 10.0 (S390NETBOOT_QEMU=the fetched one)
#
# Environment: FUZZTIME=30s to fuzz longer, STAGES="vet unit" to run only
# some stages (names: deps kernels qemu fmt vet unit bigendian fuzz e2e).
# Needs root (or sudo) for apt-get, network namespaces and raw sockets.
# A fuzz run that ends in Go 1.26's coordinator deadline race
# (golang/go#75804) without a failing input is run once more, not failed.
set -euo pipefail
. "$(dirname "$0")/usage.sh"
no_args "select stages with STAGES=..." "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CGO_ENABLED=0
stages=${STAGES:-deps kernels qemu fmt vet unit bigendian fuzz e2e}
fuzztime=${FUZZTIME:-5s}
t0=$SECONDS

run() { # run STAGE: runs the stage when selected and reports its time
	local name=$1; shift
	case " $stages " in *" $name "*) ;; *) return 0;; esac
	local s=$SECONDS
	echo "=== test.sh: $name" >&2
	"$@"
	echo "=== test.sh: $name done in $((SECONDS - s)) s" >&2
}

fmt_check() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
	if [ -n "$bad" ]; then
		echo "gofmt would change:" >&2
		echo "$bad" >&2
		return 1
	fi
}

vet() {
	GOOS=linux GOARCH=amd64 go vet -tags e2e ./...
	GOOS=linux GOARCH=s390x go vet -tags e2e ./...
	GOOS=linux GOARCH=arm64 go build ./...
}

unit() {
	CGO_ENABLED=1 go test -race -count=1 ./...
}

bigendian() {
	# qemu-user cannot do raw sockets or network namespaces: the tests
	# that need them check S390NETBOOT_EMULATED and say why they skip.
	S390NETBOOT_EMULATED=1 GOARCH=s390x go test -count=1 -exec qemu-s390x-static ./...
}

# fuzz_one PKG TARGET: fuzz one target for $fuzztime. A failure counts only
# when it comes with a failing input: Go 1.26's fuzz coordinator can end a
# clean run with a bare "context deadline exceeded" at the -fuzztime
# boundary, when a worker is still busy (golang/go#75804, fixed in Go
# 1.27); that is reported and retried once, not counted.
fuzz_one() {
	local pkg=$1 target=$2 dir out status try
	dir=$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target
	for try in 1 2; do
		local before
		before=$(ls "$dir" 2>/dev/null | sort || true)
		out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1) && status=0 || status=$?
		printf '%s\n' "$out" | grep -v '^fuzz: elapsed' >&2
		[ $status = 0 ] && return 0
		if [ "$(ls "$dir" 2>/dev/null | sort || true)" != "$before" ] || ! grep -q 'context deadline exceeded' <<<"$out"; then
			return 1 # a failing input, or another failure
		fi
		echo "fuzz $target: the Go fuzz coordinator's deadline race (golang/go#75804), no failing input; running it again" >&2
	done
	return 1
}

fuzz() {
	local pkg target
	for pkg in $(go list ./...); do
		for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
			echo "fuzz $pkg $target for $fuzztime" >&2
			fuzz_one "$pkg" "$target"
		done
	done
}

# e2e_run LOG GO-TEST-ARGS...: go test -tags e2e on ./scripts/e2e/, the
# whole log in LOG and its summary on the terminal.
e2e_run() {
	local log=$1; shift
	go test -tags e2e -count=1 -v "$@" ./scripts/e2e/ 2>&1 | tee "$log" |
		grep -E '^(=== RUN|--- |\s+--- |PASS|FAIL|ok|panic)|\.go:[0-9]+:' || true
	# the pipeline hides go test's status: read it back from the log
	grep -qE '^(FAIL|panic|--- FAIL)' "$log" && return 1
	grep -qE '^ok ' "$log"
}

e2e() {
	e2e_run "${TMPDIR:-/tmp}/s390netboot-e2e.log" -timeout 40m
	# The s390x guests once more on the newer QEMU (scripts/qemu-s390x.sh
	# picks its settings): the network boot and the bench.
	local qemu
	qemu=$(scripts/fetch-qemu.sh)
	echo "e2e: the s390x network boot and the bench on $("$qemu" --version | head -n1)" >&2
	S390NETBOOT_QEMU=$qemu e2e_run "${TMPDIR:-/tmp}/s390netboot-e2e-qemu10.log" -timeout 20m \
		-run '^(TestNetboot|TestBenchNetboot)$/^s390x$'
}

run deps scripts/install-deps.sh
run kernels scripts/fetch-kernels.sh s390x amd64 arm64 s390x-trixie
run qemu scripts/fetch-qemu.sh
run fmt fmt_check
run vet vet
run unit unit
run bigendian bigendian
run fuzz fuzz
run e2e e2e
echo "=== test.sh: all stages passed in $((SECONDS - t0)) s" >&2
