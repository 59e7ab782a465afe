// Package scripts holds the project's shell scripts; this test holds them
// to the command-line conventions of package internal/cli.
package scripts

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: every script prints its usage on standard output for --help
// and -h and exits 0, and refuses an unknown option with the usage on
// standard error and exit status 2, before doing anything.
func TestHelp(t *testing.T) {
	scripts, err := filepath.Glob("*.sh")
	if err != nil || len(scripts) < 5 {
		t.Fatalf("scripts: %v, %v", scripts, err)
	}
	for _, s := range scripts {
		if s == "usage.sh" { // sourced, not run
			continue
		}
		// qemu-s390x.sh passes its arguments on to qemu-system-s390x:
		// an unknown option is QEMU's to refuse.
		forwards := s == "qemu-s390x.sh"
		t.Run(s, func(t *testing.T) {
			for _, tc := range []struct {
				arg  string
				code int
			}{{"--help", 0}, {"-h", 0}, {"--no-such-option", 2}} {
				if forwards && tc.code != 0 {
					continue
				}
				var stdout, stderr bytes.Buffer
				cmd := exec.Command("bash", s, tc.arg)
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				usage, other := &stdout, &stderr
				if tc.code != 0 {
					usage, other = &stderr, &stdout
				}
				if code != tc.code || !strings.HasPrefix(usage.String(), s+": ") && !strings.Contains(usage.String(), "\n\n"+s+": ") {
					t.Errorf("%s %s: exit %d, stdout %.200q, stderr %.200q; want exit %d and the usage on %s",
						s, tc.arg, code, &stdout, &stderr, tc.code, map[bool]string{true: "stdout", false: "stderr"}[tc.code == 0])
				}
				if tc.code == 0 && other.Len() != 0 {
					t.Errorf("%s %s wrote to standard error: %q", s, tc.arg, other)
				}
			}
		})
	}
}
