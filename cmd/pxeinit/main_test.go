package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// loopEnv marks the copy of the test binary that loopAsPID1 starts as
// the first process of a new PID namespace; its value names the test's
// mode.
const loopEnv = "S390NETBOOT_PXEINIT_LOOP"

// loopAsPID1 starts the calling test again as PID 1 of a new PID
// namespace (testenv.ReexecPID1) and returns that copy. In the copy,
// which sees loopEnv=mode, it runs pxeinit's loop with the Client that
// client makes, and never returns.
func loopAsPID1(t *testing.T, mode string, client func(*testing.T) *pxeclient.Client) *testenv.PID1 {
	if os.Getenv(loopEnv) == mode {
		c := client(t)
		loop(context.Background(), c.Log, c)
		t.Fatal("pxeinit's loop returned")
	}
	return testenv.ReexecPID1(t, loopEnv+"="+mode)
}

// faultyClient is the init with faults injected through the Client's
// seams: the network step panics in round 1, the kexec step panics in
// round 2, and from round 3 on the "kexec" returns, which ends
// Client.Run and sends the outer loop round again.
func faultyClient(t *testing.T) *pxeclient.Client {
	c := childClient(t, "not really a kernel")
	c.Log.Info(fmt.Sprintf("starting, pid %d", os.Getpid()))
	c.Settings = settings.Settings{Retry: time.Second, RetrySet: true}
	var networks, boots atomic.Int32
	network := c.Network
	c.Network = func(ctx context.Context) (*pxeclient.Lease, error) {
		if networks.Add(1) == 1 {
			panic("injected panic in the network step")
		}
		return network(ctx)
	}
	c.Target = loadFunc(func(img *pxeclient.Image) error {
		if boots.Add(1) == 1 {
			var m map[string]int
			m["kernel"] = len(img.Kernel.Data) // a runtime error in the boot path
		}
		c.Log.Info("test booter: booted", "bytes", len(img.Kernel.Data))
		return nil
	})
	return c
}

// childClient is the Client of the PID 1 tests' children: the console
// on standard output, a network step that finds a TFTP server on
// 127.0.0.1 whose config boots kernel, and a Target that does nothing.
func childClient(t *testing.T, kernel string) *pxeclient.Client {
	h := pxeclient.NewConsoleHandler(os.Stdout, "pxeinit", slog.LevelInfo)
	addr := testenv.TFTPServer{Open: testenv.TFTPFiles(map[string][]byte{
		"pxelinux.cfg/default": []byte("DEFAULT k\nLABEL k\n  KERNEL vmlinuz\n"),
		"vmlinuz":              []byte(kernel),
	})}.Start(t)
	return &pxeclient.Client{
		Log:      slog.New(h),
		Console:  os.Stdout,
		LogLines: h.Lines,
		Arch:     "s390x",
		Fetch:    fetch.Options{Attempts: 1},
		Network: func(ctx context.Context) (*pxeclient.Lease, error) {
			return &pxeclient.Lease{
				Interface: "eth0",
				Facts: pxelinux.Facts{HWType: 1, RebootTime: -1,
					MAC:    net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56},
					Server: netip.MustParseAddr("127.0.0.1")},
				Source: pxeclient.Source{Base: "tftp://" + addr + "/"},
			}, nil
		},
		Target: loadFunc(func(*pxeclient.Image) error { return nil }),
	}
}

// loadFunc is a Target for the tests: Load calls the function, Execute
// returns nil as if the kernel had started (which ends Client.Run).
type loadFunc func(*pxeclient.Image) error

func (f loadFunc) Load(img *pxeclient.Image) error { return f(img) }
func (f loadFunc) Execute() error                  { return nil }

// TestLoopAsPID1 runs pxeinit's boot loop as PID 1 of a new PID
// namespace with panics injected in the network and kexec steps: each
// must be reported with its value and the stack, the flow must start
// again, and the process must stay alive until it is killed.
func TestLoopAsPID1(t *testing.T) {
	start := time.Now()
	p := loopAsPID1(t, "faults", faultyClient)

	// Each step: a line to wait for, in order, and what must follow it
	// before the next step's line (the stack, naming this file).
	steps := []struct{ line, then string }{
		{"pxeinit: starting, pid 1", ""},
		{"pxeinit: error: panic: injected panic in the network step", "cmd/pxeinit/main_test.go:"},
		{"pxeinit: starting over in 1 s", ""},
		{"pxeinit: stage=config", ""},
		{"panic: assignment to entry in nil map", "cmd/pxeinit/main_test.go:"},
		{"pxeinit: starting over in 1 s", ""},
		{"pxeinit: test booter: booted bytes=19", ""},
		{"pxeinit: error: boot loop returned; starting again round=1", ""},
		{"pxeinit: test booter: booted bytes=19", ""},
		{"pxeinit: error: boot loop returned; starting again round=2", ""},
	}
	i, then := 0, ""
	var matched []string // the lines of the steps, as the console showed them
	deadline := time.Now().Add(30 * time.Second)
	for i < len(steps) {
		l, err := p.Next(deadline)
		if err != nil {
			t.Fatalf("%v at step %d (%q):\n%s", err, i, steps[i].line, p.Output())
		}
		switch {
		case then != "" && strings.Contains(l, then):
			then = ""
		case then == "" && strings.Contains(l, steps[i].line):
			then = steps[i].then
			matched = append(matched, strings.ReplaceAll(strings.TrimSpace(l), testenv.RepoRoot(t)+"/", ""))
			i++
		case then != "" && strings.Contains(l, steps[min(i, len(steps)-1)].line):
			t.Fatalf("no %q after step %d:\n%s", then, i-1, p.Output())
		}
	}
	elapsed := time.Since(start)
	if err := p.Kill(); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	testenv.Fault(t, "pxeinit as PID 1: panic in the network step, runtime error in the kexec step",
		fmt.Sprintf("the console, in order (each panic with its stack in main_test.go): %s; alive until SIGKILL", strings.Join(matched[1:], "; ")),
		elapsed, "19 B (stand-in kernel, twice)")
}

// TestNotInit: outside PID 1, --help prints the usage and anything else is
// refused before the init touches the machine.
func TestNotInit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // where the usage goes
	}{
		{[]string{"--help"}, 0, "stdout"},
		{[]string{"-h"}, 0, "stdout"},
		{nil, 2, "stderr"},
		{[]string{"--bogus"}, 2, "stderr"},
	} {
		var stdout, stderr bytes.Buffer
		code := notInit(tc.args, &stdout, &stderr)
		got := map[string]string{"stdout": stdout.String(), "stderr": stderr.String()}
		if code != tc.code || !strings.Contains(got[tc.out], "Usage: pxeinit") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d and the usage on %s", tc.args, code, &stdout, &stderr, tc.code, tc.out)
		}
		if tc.code == 2 && !strings.Contains(stderr.String(), "runs only as process 1") {
			t.Errorf("%q: the refusal does not say why: %q", tc.args, &stderr)
		}
	}
}
