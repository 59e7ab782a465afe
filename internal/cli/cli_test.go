package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestParse(t *testing.T) {
	const usage = "usage: tool -o OUT\n"
	for _, tc := range []struct {
		args     []string
		code     int
		done     bool
		out, err string // substrings; "" = must be empty
	}{
		{args: []string{"--help"}, code: ExitOK, done: true, out: "usage: tool -o OUT"},
		{args: []string{"-h"}, code: ExitOK, done: true, out: "--output"},
		{args: []string{"--bogus"}, code: ExitUsage, done: true, err: "tool: unknown flag: --bogus"},
		{args: []string{"-o"}, code: ExitUsage, done: true, err: "usage: tool -o OUT"},
		{args: []string{"-o", "x", "arg"}, done: false},
	} {
		fs := pflag.NewFlagSet("tool", pflag.ContinueOnError)
		fs.StringP("output", "o", "", "output file")
		var stdout, stderr bytes.Buffer
		code, done := Parse(fs, tc.args, usage, &stdout, &stderr)
		if code != tc.code || done != tc.done {
			t.Errorf("%q: Parse = %d, %v; want %d, %v", tc.args, code, done, tc.code, tc.done)
		}
		for _, c := range []struct {
			name, got, want string
		}{{"stdout", stdout.String(), tc.out}, {"stderr", stderr.String(), tc.err}} {
			if c.want == "" && c.got != "" {
				t.Errorf("%q: %s = %q, want nothing", tc.args, c.name, c.got)
			}
			if !strings.Contains(c.got, c.want) {
				t.Errorf("%q: %s = %q, want it to contain %q", tc.args, c.name, c.got, c.want)
			}
		}
	}
}

func TestUsageError(t *testing.T) {
	fs := pflag.NewFlagSet("tool", pflag.ContinueOnError)
	fs.Bool("json", false, "print JSON")
	var stderr bytes.Buffer
	if code := UsageError(fs, "usage: tool\n", &stderr, "unexpected argument %q", "x"); code != ExitUsage {
		t.Errorf("code %d, want %d", code, ExitUsage)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "tool: unexpected argument \"x\"\n") || !strings.Contains(got, "--json") {
		t.Errorf("stderr = %q", got)
	}
}
