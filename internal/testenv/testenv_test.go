package testenv

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// fatalRecorder is a testing.TB whose Fatal and Fatalf record the message
// and end the calling goroutine, as the real ones do.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fatalOf runs f with a fatalRecorder and returns what it failed with,
// "" when it did not fail.
func fatalOf(t *testing.T, f func(testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "module github.com/s390netboot/s390netboot\n") {
		t.Errorf("%s/go.mod is not this project's:\n%.80s", root, b)
	}
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "s390x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "s390x", completeMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// An unfinished download: the directory is there, the marker not.
	if err := os.MkdirAll(filepath.Join(dir, "amd64", "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(CacheEnv, dir)

	var got string
	if msg := fatalOf(t, func(tb testing.TB) { got = Cache(tb, "s390x") }); msg != "" {
		t.Fatalf("Cache(s390x) failed: %s", msg)
	}
	if want := filepath.Join(dir, "s390x"); got != want {
		t.Errorf("Cache(s390x) = %q, want %q", got, want)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		msg := fatalOf(t, func(tb testing.TB) { Cache(tb, arch) })
		if !strings.Contains(msg, "run scripts/fetch-kernels.sh "+arch) || !strings.Contains(msg, filepath.Join(dir, arch)) {
			t.Errorf("Cache(%s) failed with %q, want the directory and scripts/fetch-kernels.sh", arch, msg)
		}
	}
}

// pid1Env marks the copy of the test binary that TestReexecPID1 starts.
const pid1Env = "S390NETBOOT_TESTENV_PID1"

// TestReexecPID1: the copy runs as PID 1, its lines arrive in order, and
// Kill says whether it was still running.
func TestReexecPID1(t *testing.T) {
	switch os.Getenv(pid1Env) {
	case "stay":
		fmt.Printf("pid=%d\n", os.Getpid())
		select {}
	case "exit":
		fmt.Println("leaving")
		os.Exit(3)
	}
	for _, tt := range []struct{ mode, line, killErr string }{
		{"stay", "pid=1", ""},
		{"exit", "leaving", "exited before it was killed: exit status 3"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			p := ReexecPID1(t, pid1Env+"="+tt.mode)
			if l, err := p.Next(time.Now().Add(20 * time.Second)); err != nil || l != tt.line {
				t.Fatalf("Next = %q, %v, want %q\n%s", l, err, tt.line, p.Output())
			}
			if tt.mode == "exit" {
				<-p.Ended()
				if _, err := p.Next(time.Now().Add(time.Second)); err == nil || !strings.Contains(err.Error(), "the init ended (exit status 3)") {
					t.Errorf("Next after the end = %v", err)
				}
			}
			err := p.Kill()
			if tt.killErr == "" && err != nil || tt.killErr != "" && (err == nil || !strings.Contains(err.Error(), tt.killErr)) {
				t.Errorf("Kill = %v, want %q", err, tt.killErr)
			}
		})
	}
}

// TestTFTPServer reads a file whose size is announced, one whose size is
// not, and one that is not there.
func TestTFTPServer(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	addr := TFTPServer{Open: func(name string) (io.Reader, int64, bool) {
		switch name {
		case "sized":
			return bytes.NewReader(data), int64(len(data)), true
		case "unsized":
			return io.MultiReader(bytes.NewReader(data)), -1, true // no Seek: pin/tftp cannot see the length
		}
		return nil, 0, false
	}}.Start(t)
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.RequestTSize(true)
	for name, wantSize := range map[string]bool{"sized": true, "unsized": false} {
		wt, err := c.Receive(name, "octet")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n, ok := wt.(tftp.IncomingTransfer).Size(); (ok && n == int64(len(data))) != wantSize {
			t.Errorf("%s: size %d, %v", name, n, ok)
		}
		var got bytes.Buffer
		if _, err := wt.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Errorf("%s: %d bytes, %v", name, got.Len(), err)
		}
	}
	if _, err := c.Receive("missing", "octet"); err == nil || !strings.Contains(err.Error(), "missing: file not found") {
		t.Errorf("missing file: %v", err)
	}
}
