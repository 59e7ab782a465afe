package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/platform"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// loopEnv marks the copy of the test binary that TestLoopAsPID1 starts as
// the first process of a new PID namespace.
const loopEnv = "S390NETBOOT_PXEINIT_LOOP"

// emulatedEnv is set by scripts/test.sh for the qemu-user run, which can
// neither create PID namespaces nor execute a second s390x binary.
const emulatedEnv = "S390NETBOOT_EMULATED"

// serveTFTP serves files from a real pin/tftp server on 127.0.0.1 and
// returns its address.
func serveTFTP(files map[string]string) (string, error) {
	srv := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		data, ok := files[strings.TrimPrefix(name, "/")]
		if !ok {
			return fmt.Errorf("%s: file not found", name)
		}
		_, err := rf.ReadFrom(strings.NewReader(data))
		return err
	}, nil)
	srv.SetBackoff(func(int) time.Duration { return 0 })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", err
	}
	go srv.Serve(conn)
	return conn.LocalAddr().String(), nil
}

// loopChild is the init with faults injected through the Client's seams:
// the network step panics in round 1, the kexec step panics in round 2,
// and from round 3 on the "kexec" returns, which ends Client.Run and
// sends the outer loop round again. It runs pxeinit's loop and never
// returns.
func loopChild() {
	h := pxeclient.NewConsoleHandler(os.Stdout, "pxeinit", slog.LevelInfo)
	log := slog.New(h)
	log.Info(fmt.Sprintf("starting, pid %d", os.Getpid()))
	addr, err := serveTFTP(map[string]string{
		"pxelinux.cfg/default": "DEFAULT k\nLABEL k\n  KERNEL vmlinuz\n",
		"vmlinuz":              "not really a kernel",
	})
	if err != nil {
		log.Error(err.Error())
		os.Exit(1)
	}
	var networks, boots atomic.Int32
	c := &pxeclient.Client{
		Log:      log,
		Console:  os.Stdout,
		LogLines: h.Lines,
		Settings: platform.Settings{Retry: time.Second, RetrySet: true},
		Arch:     "s390x",
		Fetch:    fetch.Options{Attempts: 1},
		Network: func(ctx context.Context) (*pxeclient.Lease, error) {
			if networks.Add(1) == 1 {
				panic("injected panic in the network step")
			}
			return &pxeclient.Lease{
				Interface: "eth0",
				Facts: pxelinux.Facts{HWType: 1, RebootTime: -1,
					MAC:    net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56},
					Server: netip.MustParseAddr("127.0.0.1")},
				Source: pxeclient.Source{Base: "tftp://" + addr + "/"},
			}, nil
		},
		Boot: func(img kexec.Image, log *slog.Logger) error {
			if boots.Add(1) == 1 {
				var m map[string]int
				m["kernel"] = len(img.Kernel) // a runtime error in the boot path
			}
			log.Info("test booter: booted", "bytes", len(img.Kernel))
			return nil
		},
	}
	loop(context.Background(), log, c)
}

// TestLoopAsPID1 runs pxeinit's boot loop as PID 1 of a new PID
// namespace with panics injected in the network and kexec steps: each
// must be reported with its value and the stack, the flow must start
// again, and the process must stay alive until it is killed.
func TestLoopAsPID1(t *testing.T) {
	if os.Getenv(loopEnv) == "1" {
		loopChild()
		return
	}
	if os.Getenv(emulatedEnv) == "1" {
		t.Skip("user-mode emulation (qemu-user) cannot create PID namespaces or run a second s390x binary")
	}
	start := time.Now()
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestLoopAsPID1$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), loopEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start in a new PID namespace (needs root): %v", err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 1000)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()

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
	var console strings.Builder
	i, then := 0, ""
	timeout := time.After(30 * time.Second)
	for i < len(steps) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the init ended (%v) at step %d (%q):\n%s%s", <-exited, i, steps[i].line, console.String(), stderr.String())
			}
			console.WriteString(l + "\n")
			switch {
			case then != "" && strings.Contains(l, then):
				then = ""
			case then == "" && strings.Contains(l, steps[i].line):
				then = steps[i].then
				i++
			case then != "" && strings.Contains(l, steps[min(i, len(steps)-1)].line):
				t.Fatalf("no %q after step %d:\n%s", then, i-1, console.String())
			}
		case <-timeout:
			t.Fatalf("stuck at step %d (%q):\n%s%s", i, steps[i].line, console.String(), stderr.String())
		}
	}
	select {
	case err := <-exited:
		t.Fatalf("the init exited: %v\n%s", err, console.String())
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
	t.Logf("FAULT | pxeinit as PID 1: panic in the network step, runtime error in the kexec step | both reported with value and stack (main_test.go:N), flow retried after 1 s, booted on round 3, loop went on, alive until SIGKILL | %.2fs | 19 B (stand-in kernel, twice) |", elapsed.Seconds())
}
