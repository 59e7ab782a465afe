package pid1

import (
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// foreverEnv marks the copy of the test binary that TestForeverAsPID1
// starts as the first process of a new PID namespace.
const foreverEnv = "S390NETBOOT_PID1_FOREVER"

// foreverChild is the init stand-in: Forever with a step that panics,
// fails and hits a runtime error in turn. It never returns.
func foreverChild() {
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	fmt.Printf("child pid=%d\n", os.Getpid())
	n := 0
	Forever(log, 20*time.Millisecond, func() error {
		n++
		switch n % 3 {
		case 1:
			panic(fmt.Sprintf("injected fault %d", n))
		case 2:
			return fmt.Errorf("injected error %d", n)
		}
		var m map[string]int
		m["x"] = n // a runtime error: assignment to entry in nil map
		return nil
	})
}

// TestForeverAsPID1 runs Forever as PID 1 of a new PID namespace with a
// step that panics: every panic must be reported with its value and
// where it happened, the loop must go on, and the process must stay
// alive until it is killed.
func TestForeverAsPID1(t *testing.T) {
	if os.Getenv(foreverEnv) == "1" {
		foreverChild()
		return
	}
	start := time.Now()
	p := testenv.ReexecPID1(t, foreverEnv+"=1")

	// What the console must show, in this order.
	want := []string{
		"child pid=1",
		`panic: injected fault 1`,
		`injected error 2`,
		`panic: assignment to entry in nil map`,
		`panic: injected fault 4`,
	}
	// Where each panic happened: the step's closure in this file.
	wantWhere := "where=\"github.com/s390netboot/s390netboot/internal/pid1.foreverChild.func1 "
	var seen []string
	deadline := time.Now().Add(20 * time.Second)
	for len(seen) < len(want) {
		l, err := p.Next(deadline)
		if err != nil {
			t.Fatalf("%v: saw %d of %d lines:\n%s\nall output:\n%s", err, len(seen), len(want), strings.Join(seen, "\n"), p.Output())
		}
		if !strings.Contains(l, want[len(seen)]) {
			continue
		}
		if strings.Contains(l, "panic:") && (!strings.Contains(l, wantWhere) || !strings.Contains(l, "forever_test.go:")) {
			t.Errorf("panic reported without where it happened:\n%s", l)
		}
		if len(seen) > 0 && !strings.Contains(l, "starting again") {
			t.Errorf("no retry announced:\n%s", l)
		}
		seen = append(seen, l)
	}
	elapsed := time.Since(start)
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	var reported []string
	for i, l := range seen[1:] {
		r := want[i+1]
		if m := regexp.MustCompile(`forever_test\.go:\d+`).FindString(l); m != "" {
			r += " (where=..." + m + ")"
		}
		reported = append(reported, r)
	}
	testenv.Fault(t, "PID 1: panics and a runtime error in the boot step",
		fmt.Sprintf("reported in turn, each followed by starting again: %s; alive until SIGKILL", strings.Join(reported, ", ")), elapsed, "")
}
