#!/usr/bin/env bash
# test.sh: the project's whole test suite, from a fresh Debian/Ubuntu
# machine with Go. It installs what is missing, then runs every stage and
# stops at the first failure:
#
#   1. install-deps.sh      qemu, qemu-user-static, dnsmasq, iproute2, cpio...
#   2. fetch-kernels.sh     Debian s390x/amd64 kernels + busybox, cached in .cache/
#   3. gofmt                every .go file formatted
#   4. go vet               for linux/amd64 and linux/s390x, e2e files included
#   5. go test ./...        unit tests, with the race detector
#   6. big-endian           GOARCH=s390x go test -exec qemu-s390x-static ./...
#   7. fuzz (short)         each fuzz target for FUZZTIME (default 5s)
#   8. e2e                  go test -tags e2e ./scripts/e2e/: QEMU guests
#                           (s390x through the firmware's network boot,
#                           x86-64) and dnsmasq in network namespaces
#
# Environment: FUZZTIME=30s to fuzz longer, STAGES="vet unit" to run only
# some stages (names: deps kernels fmt vet unit bigendian fuzz e2e).
# Needs root (or sudo) for apt-get, network namespaces and raw sockets.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CGO_ENABLED=0
stages=${STAGES:-deps kernels fmt vet unit bigendian fuzz e2e}
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

fuzz() {
	local pkg target
	for pkg in $(go list ./...); do
		for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
			echo "fuzz $pkg $target for $fuzztime" >&2
			go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
		done
	done
}

e2e() {
	go test -tags e2e -count=1 -timeout 40m -v ./scripts/e2e/ 2>&1 | tee "${TMPDIR:-/tmp}/s390netboot-e2e.log" |
		grep -E '^(=== RUN|--- |\s+--- |PASS|FAIL|ok|panic)|\.go:[0-9]+:' || true
	# the pipeline hides go test's status: read it back from the log
	grep -qE '^(FAIL|panic|--- FAIL)' "${TMPDIR:-/tmp}/s390netboot-e2e.log" && return 1
	grep -qE '^ok ' "${TMPDIR:-/tmp}/s390netboot-e2e.log"
}

run deps scripts/install-deps.sh
run kernels scripts/fetch-kernels.sh
run fmt fmt_check
run vet vet
run unit unit
run bigendian bigendian
run fuzz fuzz
run e2e e2e
echo "=== test.sh: all stages passed in $((SECONDS - t0)) s" >&2
