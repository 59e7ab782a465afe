package testenv

import (
	"fmt"
	"testing"
	"time"
)

// logRecorder is a testing.TB whose Logf records the line.
type logRecorder struct {
	testing.TB
	line string
}

func (r *logRecorder) Helper() {}

func (r *logRecorder) Logf(format string, args ...any) { r.line = fmt.Sprintf(format, args...) }

func TestFault(t *testing.T) {
	for _, tt := range []struct {
		fault, outcome string
		took           time.Duration
		verified       string
		want           string
	}{
		{"TFTP: file not found", "ErrNotFound after 1 attempt", 1500 * time.Microsecond, "",
			"FAULT | TFTP: file not found | ErrNotFound after 1 attempt | 0.002s | - |"},
		{"config: a|b", "line 1\nline 2", 0, "4 B (compared)",
			"FAULT | config: a/b | line 1 line 2 | - | 4 B (compared) |"},
	} {
		r := &logRecorder{TB: t}
		Fault(r, tt.fault, tt.outcome, tt.took, tt.verified)
		if r.line != tt.want {
			t.Errorf("Fault wrote\n%q, want\n%q", r.line, tt.want)
		}
	}
}
