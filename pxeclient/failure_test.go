package pxeclient

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

const twoBrokenCfg = `DEFAULT broken
ONERROR rescue
LABEL broken
  KERNEL images/missing
  INITRD images/missing.img
LABEL rescue
  KERNEL images/gone
`

// runTyped starts c.Run with the console input from the returned pipe.
// At the end of the test the run is cancelled and must end.
func runTyped(t *testing.T, c *Client, out *testenv.Buffer) *io.PipeWriter {
	t.Helper()
	pr, pw := io.Pipe()
	c.UI = menu.New(pr, out, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		pw.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not end with its context")
		}
	})
	return pw
}

// runToPrompt is runTyped that waits for the command prompt.
func runToPrompt(t *testing.T, c *Client, out *testenv.Buffer) *io.PipeWriter {
	t.Helper()
	pw := runTyped(t, c, out)
	waitCount(t, out, "pxeinit> ", 1)
	return pw
}

// linesWith returns the console lines containing s.
func linesWith(out *testenv.Buffer, s string) []string {
	var found []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, s) {
			found = append(found, l)
		}
	}
	return found
}

// TestFailureLoggedOnce: an entry whose two files are missing fails,
// then ONERROR's entry, twice (ONERROR applies to it too, with the failed
// command appended, as in PXELINUX), and the prompt follows. Each failure
// is on the console once, every line of it marked as an error, each
// saying what happens next; so again when the entry is typed at the
// prompt.
func TestFailureLoggedOnce(t *testing.T) {
	c, out := newClient(t, map[string][]byte{"pxelinux.cfg/default": []byte(twoBrokenCfg)}, &booted{})
	pw := runToPrompt(t, c, out)

	check := func(round int, lastNext string) {
		t.Helper()
		if n := len(linesWith(out, "pxeinit: error: boot ")); n != 3*round {
			t.Errorf("round %d: %d failures on the console, want %d:\n%s", round, n, 3*round, out)
		}
		for _, f := range []struct{ command, next string }{
			{"broken", "ONERROR rescue broken"},
			{"rescue broken", "ONERROR rescue rescue broken"},
			{"rescue rescue broken", lastNext},
		} {
			ls := linesWith(out, `pxeinit: error: boot "`+f.command+`": entry `)
			if len(ls) != round {
				t.Fatalf("round %d: %d lines about the failure of %q, want %d:\n%s", round, len(ls), f.command, round, out)
			}
			if l := ls[round-1]; !strings.Contains(l, "file not found") || !strings.HasSuffix(l, ` next="`+f.next+`"`) {
				t.Errorf("round %d: failure of %q:\n%s\nwant next=%q", round, f.command, l, f.next)
			}
		}
		if ls := linesWith(out, "giving up"); len(ls) != round {
			t.Errorf("round %d: %d lines say it gives up, want %d", round, len(ls), round)
		}
		// Both missing files of "broken", each on a line of its own
		// marked as an error.
		for _, f := range []string{"images/missing from", "images/missing.img from"} {
			ls := linesWith(out, f)
			if len(ls) != round {
				t.Errorf("round %d: %d lines name %s, want %d:\n%s", round, len(ls), f, round, out)
			}
			for _, l := range ls {
				if !strings.HasPrefix(l, "pxeinit: error: ") || !strings.Contains(l, "file not found") {
					t.Errorf("line %q is not marked as an error", l)
				}
			}
		}
	}
	check(1, "command prompt, starting over in 60 s")

	pw.Write([]byte("broken\n"))
	waitCount(t, out, "pxeinit> ", 2)
	check(2, "command prompt, starting over in 60 s")
}

// TestPromptChoiceStage: an entry typed at the command prompt gets its
// stage=choice line with via=typed (the package doc's list), before the
// attempt and its ONERROR lines.
func TestPromptChoiceStage(t *testing.T) {
	c, out := newClient(t, map[string][]byte{"pxelinux.cfg/default": []byte(twoBrokenCfg)}, &booted{})
	pw := runToPrompt(t, c, out)
	pw.Write([]byte("rescue quiet\n"))
	waitCount(t, out, "pxeinit> ", 2)
	pw.Write([]byte("boot broken\n"))
	waitCount(t, out, "pxeinit> ", 3)
	// Not anchored at the line's start: the test's console input is not
	// echoed, so the line after the prompt starts with "pxeinit> ".
	re := regexp.MustCompile(`(?m)pxeinit: stage=choice t=\d+\.\d{3}s dt=\d+\.\d{3}s label=(\S+) via=(.*)$`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(out.String(), -1) {
		got = append(got, m[1]+" "+m[2])
	}
	want := []string{
		"broken DEFAULT", "rescue ONERROR", "rescue ONERROR", // the pass
		"rescue typed", "rescue ONERROR", "rescue ONERROR", // rescue quiet
		"broken typed", "rescue ONERROR", "rescue ONERROR", // boot broken
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("choice stage lines:\n%q\nwant\n%q\n%s", got, want, out)
	}
}

// nilMapWrite is a runtime error in the boot step.
func nilMapWrite(img kexec.Image) {
	var m map[string]int
	m["kernel"] = len(img.Kernel)
}

// TestPanicWhere: a panic in a pass (here in the Booter) and in a boot
// typed at the prompt is logged once, with where it happened as
// pid1.Forever says it, the stack on lines marked as the error's, and
// what happens next.
func TestPanicWhere(t *testing.T) {
	files := map[string][]byte{"pxelinux.cfg/default": []byte("DEFAULT a\nLABEL a\nKERNEL k\n"), "k": []byte("kernel")}
	c, out := newClient(t, files, &booted{})
	c.Target = funcTarget(func(img kexec.Image) error { nilMapWrite(img); return nil })
	pw := runToPrompt(t, c, out)
	pw.Write([]byte("a\n"))
	waitCount(t, out, "pxeinit> ", 2)

	lines := linesWith(out, "panic: assignment to entry in nil map")
	if len(lines) != 2 {
		t.Fatalf("%d panic lines, want 2 (pass, typed boot):\n%s", len(lines), out)
	}
	where := regexp.MustCompile(`^pxeinit: error: panic: assignment to entry in nil map where="github.com/s390netboot/s390netboot/pxeclient.nilMapWrite \S+/pxeclient/failure_test.go:\d+" next="command prompt, starting over in 60 s"$`)
	for _, l := range lines {
		if !where.MatchString(strings.TrimPrefix(l, "pxeinit> ")) {
			t.Errorf("panic line:\n%s\nwant it to match %s", l, where)
		}
	}
	// The stack: each line marked and indented.
	stack := linesWith(out, "/pxeclient/failure_test.go:")
	if len(stack) < 4 { // the where= lines and at least one stack line each
		t.Errorf("%d lines name failure_test.go, want the stack too:\n%s", len(stack), out)
	}
	for _, l := range stack {
		if !strings.Contains(l, "pxeinit: error: ") {
			t.Errorf("stack line %q is not marked", l)
		}
	}
}
