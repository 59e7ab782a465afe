package pid1

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestRecover(t *testing.T) {
	sentinel := errors.New("boom")
	tests := []struct {
		name      string
		fn        func() error
		wantPanic bool
		wantIs    error
	}{
		{"nil", func() error { return nil }, false, nil},
		{"error", func() error { return sentinel }, false, sentinel},
		{"panic string", func() error { panic("oops") }, true, ErrPanic},
		{"panic error", func() error { panic(sentinel) }, true, sentinel},
		{"nil map", func() error { var m map[string]int; m["x"] = 1; return nil }, true, ErrPanic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Recover(tt.fn)
			var pe *PanicError
			if got := errors.As(err, &pe); got != tt.wantPanic {
				t.Fatalf("Recover: %v, panic=%v, want %v", err, got, tt.wantPanic)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Recover: %v is not %v", err, tt.wantIs)
			}
			if tt.wantIs == nil && err != nil {
				t.Errorf("Recover: %v, want nil", err)
			}
			if tt.wantPanic && !strings.Contains(err.Error(), "pid1_test.go") {
				t.Errorf("panic error without stack: %v", err)
			}
			if tt.wantPanic && !strings.Contains(pe.Where(), "pid1.TestRecover.func") || tt.wantPanic && !strings.Contains(pe.Where(), "pid1_test.go:") {
				t.Errorf("Where() = %q, want the test's closure and line", pe.Where())
			}
		})
	}
}

func TestWhereWithoutPanicFrame(t *testing.T) {
	if w := (&PanicError{Value: "x", Stack: []byte("goroutine 1 [running]:\nmain.main()\n")}).Where(); w != "" {
		t.Errorf("Where() = %q, want \"\"", w)
	}
}

func TestReapOnce(t *testing.T) {
	self, err := exec.LookPath("true")
	if err != nil {
		t.Fatal("true(1) is not installed: apt-get install coreutils")
	}
	// A child started without os/exec's Wait: only ReapOnce collects it.
	p, err := os.StartProcess(self, []string{self}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// WNOWAIT: see whether it has exited without collecting it.
		var info unix.Siginfo
		if err := waitid(p.Pid, &info); err != nil {
			t.Fatal(err)
		}
		if info.Signo != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child did not exit")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := ReapOnce(nil); n != 1 {
		t.Errorf("ReapOnce = %d, want 1", n)
	}
	if n := ReapOnce(nil); n != 0 {
		t.Errorf("second ReapOnce = %d, want 0", n)
	}
}

func waitid(pid int, info *unix.Siginfo) error {
	return unix.Waitid(unix.P_PID, pid, info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
}

func TestMountAll(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root (CAP_SYS_ADMIN); run the tests as root")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "run", "x")
	ms := []Mount{{"tmpfs", target, "tmpfs", tmpFlags, "mode=0700"}}
	if err := MountAll(nil, ms); err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
			t.Skipf("mount refused here (container or qemu-user): %v", err)
		}
		t.Fatal(err)
	}
	defer unix.Unmount(target, 0)
	var st unix.Statfs_t
	if err := unix.Statfs(target, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != unix.TMPFS_MAGIC {
		t.Errorf("%s has fs type %#x, want tmpfs", target, st.Type)
	}
	bad := []Mount{{"nosuch", filepath.Join(dir, "bad"), "nosuchfs", 0, ""}}
	if err := MountAll(nil, bad); err == nil || !strings.Contains(err.Error(), "nosuchfs") {
		t.Errorf("MountAll(nosuchfs) = %v, want an error naming it", err)
	}
}

// TestConsole runs Console on a regular file standing in for
// /dev/console, saving and restoring the test's own descriptors 0-2.
func TestConsole(t *testing.T) {
	var saved [3]int
	for fd := range saved {
		s, err := unix.Dup(fd)
		if err != nil {
			t.Fatal(err)
		}
		saved[fd] = s
	}
	restore := func() {
		for fd, s := range saved {
			unix.Dup3(s, fd, 0)
		}
	}
	defer func() {
		for _, s := range saved {
			unix.Close(s)
		}
	}()
	path := filepath.Join(t.TempDir(), "console")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Console(nil, path)
	if err == nil {
		unix.Write(1, []byte("out\n"))
		unix.Write(2, []byte("err\n"))
	}
	restore()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "out\nerr\n" {
		t.Errorf("console got %q", b)
	}
	if err := Console(nil, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Console(missing) succeeded")
	}
}
