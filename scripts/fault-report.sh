#!/usr/bin/env bash
# fault-report.sh: runs the fault tests of the netboot client (lossy
# networks, slow or flaky servers, broken configs, a PID 1 that must not
# die) and prints their results as one markdown table:
#
#   | fault | outcome | time | bytes verified |
#
# Every row is a line a test wrote itself (testenv.Fault) from what it
# observed:
#   FAULT | <fault> | <outcome> | <time> | <bytes verified> |
# The script adds nothing of its own but rows that say something is
# wrong: a test that failed (**FAILED**), and a test of the list below
# that wrote no FAULT line (**no FAULT line**) or did not run.
#
# Usage: scripts/fault-report.sh [-o FILE]   (needs root: PID and network
#        namespaces, dnsmasq, atftpd, nftables; about 3 minutes)
#        scripts/fault-report.sh -h | --help
# Environment: E2E=0 leaves out the end-to-end tests (scripts/e2e).
# The exit status is 1 when a test failed, wrote no FAULT line or did not
# run; the table is printed anyway. A last line on stderr gives the date,
# the CPUs, the load and the time.
set -euo pipefail

. "$(dirname "$0")/usage.sh"
out=/dev/stdout
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	-o)
		[ $# -ge 2 ] || usage_error "-o needs a FILE"
		out=$2
		shift 2
		;;
	*) usage_error "unknown argument $1" ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export CGO_ENABLED=0
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$SECONDS
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

# The fault tests: a package and the tests in it, each of which writes
# at least one FAULT line.
tests() {
	cat <<'TESTS'
./internal/pid1	TestForeverAsPID1
./cmd/pxeinit	TestLoopAsPID1 TestLoopWorkerPanic
./pxeclient/pxelinux	TestHostileConfigs TestLimits
./pxeclient	TestBadEntryOnError TestBadEntriesMenu TestHugeConfig TestSignedTypedOptions
./pxeclient/dhcp	TestRunNAK TestRunPrefersBootInfo TestRunTwoServersOneLink TestRunNoBootInfo TestRunLateServer TestRun6NoRA TestRun6Hostile
./cmd/pxeboot	TestBootUnprivileged
./pxeclient/fetch	TestTFTPErrors TestTFTPSizeLie TestTFTPLossyRelay TestTFTPServerRestart TestTFTPCancel TestHTTPErrors TestHTTPIdle TestHTTPDowngrade TestHTTPS TestConcurrentMemoryCheck TestTFTPWindow TestFetchAllPanic
./scripts/e2e	TestDHCPLateServer TestFetchLoss TestDHCPDnsmasq TestVLANDnsmasq TestVLANGuest TestIPv6Dnsmasq TestDualStackDnsmasq TestIPv6Faults TestLocalBootFaults
TESTS
}

while IFS=$'\t' read -r pkg names; do
	run="^($(tr ' ' '|' <<<"$names"))\$"
	if [ "$pkg" = ./scripts/e2e ]; then
		[ "${E2E:-1}" = 0 ] && continue
		go test -tags e2e -count=1 -v -timeout 10m -run "$run" "$pkg" >>"$log" 2>&1 || status=1
	else
		go test -count=1 -v -run "$run" "$pkg" >>"$log" 2>&1 || status=1
	fi
done < <(tests)
expected=$(tests | while IFS=$'\t' read -r pkg names; do
	[ "$pkg" = ./scripts/e2e ] && [ "${E2E:-1}" = 0 ] && continue
	echo "$names"
done | tr ' ' '\n')

# The table. go test -v heads a test's output with "=== RUN", "=== CONT"
# or "=== NAME" and its name: a FAULT line belongs to the test named last.
# Rows repeat when an e2e test in a namespace shows its copy's line too.
table=$(awk -v expected="$expected" '
	BEGIN { n = split(expected, e, "\n"); for (i = 1; i <= n; i++) if (e[i] != "") want[e[i]] = 1 }
	/^=== (RUN|CONT|NAME) / { current = $3; top = current; sub(/\/.*/, "", top); ran[top] = 1; next }
	/FAULT \|/ {
		row = substr($0, index($0, "FAULT |") + 6)
		sub(/ *\|* *$/, " |", row)
		if (!(row in seen)) { seen[row] = 1; print row }
		wrote[top] = 1
		next
	}
	/^ *--- FAIL: / {
		name = $3; secs = $4; gsub(/[()]/, "", secs)
		failed[++nf] = "| " name " | **FAILED**: see the test log | " secs " | - |"
	}
	END {
		for (i = 1; i <= nf; i++) print failed[i]
		for (t in want) {
			if (!(t in ran)) print "| " t " | **did not run** | - | - |"
			else if (!(t in wrote)) print "| " t " | **no FAULT line**: the test ran and reported no row | - | - |"
		}
	}' "$log")
{
	echo "| fault | outcome | time | bytes verified |"
	echo "|---|---|---|---|"
	echo "$table"
} >"$out"
if grep -qE '\*\*(FAILED|no FAULT line|did not run)' <<<"$table"; then
	status=1
fi
echo "fault-report.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, $((SECONDS - t0)) s" >&2
if [ $status != 0 ]; then
	echo "fault-report.sh: some tests failed or wrote no FAULT line; the log was:" >&2
	grep -E -- '--- FAIL|^FAIL|^ok' "$log" >&2 || true
fi
exit $status
