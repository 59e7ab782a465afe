package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// unprivEnv marks the copy of the test binary that TestBootUnprivileged
// runs as an unprivileged user; its value is the pxeboot argument list,
// one a line.
const unprivEnv = "S390NETBOOT_PXEBOOT_UNPRIV_ARGS"

// nobody is the user and group the child runs as (Debian's nobody and
// nogroup): no capabilities after setuid from root.
const nobody = 65534

// TestBootUnprivileged runs `pxeboot boot` as user nobody against a TFTP
// server that holds a complete entry: it must refuse at once, naming
// CAP_SYS_BOOT, before anything is fetched (the server sees no request).
func TestBootUnprivileged(t *testing.T) {
	if args := os.Getenv(unprivEnv); args != "" {
		os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
	}
	testenv.SkipEmulated(t, "run a second s390x binary")
	if os.Geteuid() != 0 {
		t.Fatal("this test drops from root to nobody: run it as root")
	}
	var requests atomic.Int32
	addr := testenv.TFTPServer{Open: tftpFiles(fetchFiles, &requests)}.Start(t)

	// The test binary lives in a directory only root may enter: copy it
	// where nobody can execute it.
	dir, err := os.MkdirTemp("", "pxeboot-unpriv-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "pxeboot.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	// Without -o: boot would keep nothing on disk.
	args := fetchArgs(addr, "")
	args[0] = "boot"
	args = args[:len(args)-2] // drop "-o" ""
	cmd := exec.Command(bin, "-test.run=^TestBootUnprivileged$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivEnv+"="+strings.Join(args, "\n"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	code := cmd.ProcessState.ExitCode()
	if code != exitFail {
		t.Fatalf("pxeboot boot as uid %d: %v (exit %d), want exit %d\nstdout: %s\nstderr: %s", nobody, err, code, exitFail, &stdout, &stderr)
	}
	msg := strings.TrimSpace(stderr.String())
	if !strings.HasPrefix(msg, "pxeboot boot: ") || !strings.Contains(msg, "CAP_SYS_BOOT") || strings.Count(msg, "\n") != 0 {
		t.Errorf("stderr %q, want one line naming CAP_SYS_BOOT", msg)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the server saw %d requests before the refusal", n)
	}
	testenv.Fault(t, fmt.Sprintf("pxeboot boot as uid %d (no CAP_SYS_BOOT)", nobody),
		fmt.Sprintf("exit %d before any request (server saw %d): %s", code, requests.Load(), msg), elapsed, "0 B (nothing fetched)")
}
