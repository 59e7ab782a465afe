#!/usr/bin/env bash
# fault-report.sh: runs the fault tests of the netboot client (lossy
# networks, slow or flaky servers, broken configs, a PID 1 that
# must not die) and prints their results as one markdown table:
#
#   | fault | outcome | time | bytes verified |
#
# Tests report their row themselves with a line
#   FAULT | <fault> | <outcome> | <time> | <bytes verified> |
# in their -v log. Most pxeclient/fetch tests and the older e2e tests log
# no such line: their rows are made here from the test name (see rows()
# below), the PASS/FAIL line and the test's own duration.
#
# Usage: scripts/fault-report.sh [-o FILE]   (needs root: PID and network
#        namespaces, dnsmasq, nftables; about 2 minutes)
# Environment: E2E=0 leaves out the end-to-end tests (scripts/e2e).
# The exit status is 1 when a test failed; the table is printed anyway.
# A last line on stderr gives the date, the CPUs, the load and the time.
set -euo pipefail
. "$(dirname "$0")/usage.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CGO_ENABLED=0
out=/dev/stdout
case $# in
0) ;;
1) case $1 in -h|--help) usage; exit 0;; *) usage_error "unknown argument $1";; esac;;
2) [ "$1" = -o ] || usage_error "unknown argument $1"; out=$2;;
*) usage_error "too many arguments";;
esac
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# The unit tests: packages and the fault tests in them.
go test -count=1 -v -run '^(TestForeverAsPID1|TestRecover)$' ./internal/pid1 >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^(TestLoopAsPID1|TestLoopWorkerPanic)$' ./cmd/pxeinit >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^(TestHostileConfigs|TestLimits)$' ./pxeclient/pxelinux >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^(TestBadEntryOnError|TestBadEntriesMenu|TestHugeConfig|TestSignedTypedOptions)$' ./pxeclient >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^TestRun(NAK|PrefersBootInfo|TwoServersOneLink|NoBootInfo|LateServer)$' ./pxeclient/dhcp >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^TestBootUnprivileged$' ./cmd/pxeboot >>"$log" 2>&1 || status=1
go test -count=1 -v -run '^(TestTFTPErrors|TestTFTPSizeLie|TestTFTPLossyRelay|TestTFTPServerRestart|TestTFTPCancel|TestHTTPErrors|TestHTTPIdle|TestHTTPDowngrade|TestHTTPS|TestConcurrentMemoryCheck|TestTFTPWindow|TestFetchAllPanic)$' \
	./pxeclient/fetch >>"$log" 2>&1 || status=1
if [ "${E2E:-1}" != 0 ]; then
	go test -tags e2e -count=1 -v -timeout 10m -run '^(TestDHCPLateServer|TestFetchLoss|TestDHCPDnsmasq)$' ./scripts/e2e/ >>"$log" 2>&1 || status=1
fi

# rows: test name (as in "--- PASS: NAME"), the fault it stands for and
# what the test asserts, for the tests that log no FAULT line.
rows() {
	cat <<'ROWS'
TestTFTPErrors/not_found	TFTP: file not found (error packet 1)	ErrNotFound, 1 attempt, message names the file
TestTFTPErrors/access	TFTP: access violation (error packet 2)	ErrAccess, 1 attempt
TestTFTPErrors/server_error	TFTP: server error 0 "disk on fire"	ErrServer after 3 attempts, server's text in the message
TestTFTPErrors/options_refused	TFTP: server refuses the options (error 8)	asked again without options, then its ErrNotFound
TestTFTPErrors/no_answer	TFTP: nobody answers the request	ErrNetwork after the 300 ms stall budget, not retried
TestTFTPErrors/no_memory	TFTP: file larger than free memory (tsize)	ErrNoMemory before the transfer, 1 attempt
TestTFTPErrors/bad_URL	TFTP: URL with a ?query	ErrBadURL, nothing sent
TestTFTPSizeLie	TFTP: server announces 15000 bytes (tsize), sends 10000	ErrTruncated naming both sizes
TestTFTPServerRestart	TFTP: server stopped mid-transfer, restarted on the same port	whole file fetched again, content compared
TestTFTPCancel	TFTP: transfer cancelled (context)	returns at once with the context error
TestHTTPErrors//missing	HTTP: 404 Not Found	ErrNotFound, 1 attempt
TestHTTPErrors//forbidden	HTTP: 403 Forbidden	ErrAccess, 1 attempt
TestHTTPErrors//teapot	HTTP: unexpected status 418	error "418 I'm a teapot, want 200 OK", 1 attempt
TestHTTPErrors//broken	HTTP: 500 Internal Server Error	ErrServer after 3 attempts
TestHTTPErrors//truncated	HTTP: connection closed after 500 of 1000 bytes	ErrTruncated after 3 attempts
TestHTTPErrors//toolong	HTTP: Content-Length of 93 GiB	ErrNoMemory before the body, 1 attempt
TestHTTPErrors/recovers_after_503	HTTP: 503 once, then the file	file on the 2nd attempt
TestHTTPIdle	HTTP: server stalls mid-body; another sends slowly	stalled one given up at the idle timeout, slow one completes
TestHTTPDowngrade	HTTPS: redirect to http	ErrDowngrade
TestHTTPS/wrong_CA	HTTPS: certificate from an unknown CA	ErrCertificate
TestHTTPS/wrong_host	HTTPS: certificate for another host	ErrCertificate
TestHTTPS/missing_bundle	HTTPS: CA bundle file missing	ErrCertificate "reading CA bundle"
TestHTTPS/empty_bundle	HTTPS: CA bundle without certificates	ErrCertificate "holds no PEM certificates"
TestConcurrentMemoryCheck	memory: two files that each fit but not together	one fetched, the other ErrNoMemory
TestTFTPWindow/window_16,_block_20_lost_mid-window	TFTP windowsize 16: block lost in the middle of a window	recovered by the client's ACK at the gap, no server timeout
TestTFTPWindow/window_16,_block_32_lost_at_the_end_of_a_window	TFTP windowsize 16: last block of a window lost	recovered by the client's timeout ACK, no server timeout
TestFetchAllPanic	a panic in a fetch worker (progress callback)	that file fails with "panic while fetching", the other arrives
TestLoopWorkerPanic	pxeinit as PID 1: panic in a fetch worker goroutine	reported, PID 1 alive
TestFetchLoss/http_loss=5%	e2e: busybox httpd, nftables drops 5 % of TCP packets	complete, SHA-256 compared
TestFetchLoss/http_loss=20%	e2e: busybox httpd, nftables drops 20 % of TCP packets	complete, SHA-256 compared
TestDHCPDnsmasq	e2e: dnsmasq gives boot info only to option 93 = s390x	s390x gets it, x86-64 a plain lease
ROWS
}

{
	echo "| fault | outcome | time | bytes verified |"
	echo "|---|---|---|---|"
	# Rows the tests wrote, in the order they ran, without repeats (an
	# e2e test in a namespace may show its child's line too).
	grep -o 'FAULT |.*' "$log" | sed 's/^FAULT //; s/ *|* *$/ |/' | awk '!seen[$0]++'
	# Rows for the tests without FAULT lines.
	rows | while IFS=$'\t' read -r name fault expected; do
		line=$(grep -m1 -E -- "--- (PASS|FAIL|SKIP): ${name//\//\\/} \(" "$log" || true)
		[ -z "$line" ] && continue
		result=$(sed -E 's/.*--- (PASS|FAIL|SKIP).*/\1/' <<<"$line")
		secs=$(sed -E 's/.*\(([0-9.]+s)\).*/\1/' <<<"$line")
		case $result in
		PASS) outcome="$expected (test passed)" ;;
		FAIL) outcome="**FAILED**: see the test log" ;;
		*) outcome="skipped" ;;
		esac
		echo "| $fault | $outcome | $secs | - |"
	done
	# Failures that wrote no FAULT line and have no row above.
	grep -E -- '--- FAIL: ' "$log" | sed -E 's/^ *--- FAIL: ([^ ]+) \(([0-9.]+s)\)/\1 \2/' | awk '!seen[$1]++' |
		while read -r name secs; do
			rows | cut -f1 | grep -qE "^${name}(/|\$)" && continue
			echo "| $name | **FAILED** (no FAULT line) | $secs | - |"
		done
} >"$out"
echo "fault-report.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, $((SECONDS - t0)) s" >&2
if [ $status != 0 ]; then
	echo "fault-report.sh: some tests failed; the log was:" >&2
	grep -E -- '--- FAIL|^FAIL|^ok' "$log" >&2 || true
fi
exit $status
