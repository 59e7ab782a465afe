package testenv

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Fault writes the fault report's row for a fault the test injected, as
// a line of t's log that scripts/fault-report.sh collects into
// docs/faults.md:
//
//	FAULT | fault | outcome | time | verified |
//
// fault says what the test did to the client; outcome what the test saw
// happen (the error it got, a count it measured), never text written in
// advance, so that the report cannot drift from the tests; took is how
// long that took (0: not timed, shown as "-"); verified what the test
// compared ("" shows "-"). A '|' or a line break inside a field becomes
// '/' or a space, so that a row stays one row.
func Fault(t testing.TB, fault, outcome string, took time.Duration, verified string) {
	t.Helper()
	secs := "-"
	if took > 0 {
		secs = fmt.Sprintf("%.3fs", took.Seconds())
	}
	if verified == "" {
		verified = "-"
	}
	t.Logf("FAULT | %s | %s | %s | %s |", cell(fault), cell(outcome), secs, cell(verified))
}

// cell makes s one cell of a markdown table row.
var cell = strings.NewReplacer("|", "/", "\r\n", " ", "\n", " ", "\r", " ").Replace
