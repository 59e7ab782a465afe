package pid1

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// foreverEnv marks the copy of the test binary that TestForeverAsPID1
// starts as the first process of a new PID namespace.
const foreverEnv = "S390NETBOOT_PID1_FOREVER"

// emulatedEnv is set by scripts/test.sh for the qemu-user run, which can
// neither create PID namespaces nor execute a second s390x binary.
const emulatedEnv = "S390NETBOOT_EMULATED"

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
	if os.Getenv(emulatedEnv) == "1" {
		t.Skip("user-mode emulation (qemu-user) cannot create PID namespaces or run a second s390x binary")
	}
	start := time.Now()
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestForeverAsPID1$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), foreverEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start in a new PID namespace (needs root): %v", err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	defer cmd.Process.Kill()

	// What the console must show, in this order.
	want := []string{
		"child pid=1",
		`panic: injected fault 1`,
		`injected error 2`,
		`panic: assignment to entry in nil map`,
		`panic: injected fault 4`,
	}
	// Where each panic happened: the step's closure in this file.
	wantWhere := "where=\"github.com/s390netboot/s390netboot/pxeclient/pid1.foreverChild.func1 "
	var seen []string
	timeout := time.After(20 * time.Second)
	for len(seen) < len(want) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the init ended (%v) after:\n%s", <-exited, strings.Join(seen, "\n"))
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
		case <-timeout:
			t.Fatalf("saw %d of %d lines:\n%s", len(seen), len(want), strings.Join(seen, "\n"))
		}
	}
	// Still running: Wait has not returned and the process takes signal 0.
	select {
	case err := <-exited:
		t.Fatalf("the init exited: %v", err)
	default:
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the init is gone: %v", err)
	}
	elapsed := time.Since(start)
	cmd.Process.Kill()
	go func() {
		for range lines {
		}
	}()
	err = <-exited
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the init ended with %v, want killed by SIGKILL", err)
	}
	t.Logf("FAULT | PID 1: panics and a runtime error in the boot step | each reported with value and where=...forever_test.go:N, loop went on (4 rounds), alive until SIGKILL | %.2fs | - |", elapsed.Seconds())
}
