package main

// A panic in a goroutine that the boot path starts (fetch.FetchAll's
// workers) cannot be caught by the loop's recover; FetchAll turns it into
// that file's error, so PID 1 lives on and reports it.

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

type panicProgress struct{}

func (panicProgress) Update(s fetch.Status) {
	if strings.HasSuffix(s.URL, "vmlinuz") {
		panic("injected panic in a fetch worker's progress report")
	}
}

func workerChild() {
	h := pxeclient.NewConsoleHandler(os.Stdout, "pxeinit", slog.LevelInfo)
	log := slog.New(h)
	addr, _ := serveTFTP(map[string]string{"pxelinux.cfg/default": "DEFAULT k\nLABEL k\n  KERNEL vmlinuz\n", "vmlinuz": "kernel"})
	c := &pxeclient.Client{Log: log, Console: os.Stdout, Arch: "s390x",
		Fetch: fetch.Options{Attempts: 1, Progress: panicProgress{}},
		Network: func(ctx context.Context) (*pxeclient.Lease, error) {
			return &pxeclient.Lease{Facts: pxelinux.Facts{HWType: 1, RebootTime: -1, MAC: net.HardwareAddr{0x52, 0x54, 0, 0x12, 0x34, 0x56},
				Server: netip.MustParseAddr("127.0.0.1")}, Source: pxeclient.Source{Base: "tftp://" + addr + "/"}}, nil
		},
		Boot: func(img kexec.Image, log *slog.Logger) error { return nil },
	}
	loop(context.Background(), log, c)
}

func TestLoopWorkerPanic(t *testing.T) {
	if os.Getenv(loopEnv) == "worker" {
		workerChild()
		return
	}
	if os.Getenv(emulatedEnv) == "1" {
		t.Skip("user-mode emulation (qemu-user) cannot create PID namespaces or run a second s390x binary")
	}
	cmd := exec.Command("/proc/self/exe", "-test.run=^TestLoopWorkerPanic$", "-test.timeout=1m")
	cmd.Env = append(os.Environ(), loopEnv+"=worker")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("PID 1 died (%v) from a panic in a fetch worker goroutine:\n%s", err, firstLines(out.String(), 12))
	case <-time.After(4 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	if !strings.Contains(out.String(), "injected panic") {
		t.Errorf("panic not reported:\n%s", out.String())
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
