package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fatalRecorder is a testing.TB whose Fatal, Fatalf and Skipf record the
// message (and whether it was a skip) and end the calling goroutine, as
// the real ones do.
type fatalRecorder struct {
	testing.TB
	msg     string
	skipped bool
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

func (r *fatalRecorder) Errorf(format string, args ...any) {
	r.msg += fmt.Sprintf(format, args...)
}

func (r *fatalRecorder) Skipf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	r.skipped = true
	runtime.Goexit()
}

// fatalOf runs f with a fatalRecorder and returns what it failed or
// skipped with, "" when it did neither.
func fatalOf(t *testing.T, f func(testing.TB)) string {
	msg, _ := endOf(t, f)
	return msg
}

// endOf is fatalOf that also says whether f skipped.
func endOf(t *testing.T, f func(testing.TB)) (string, bool) {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg, r.skipped
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
	// Without CI a missing kernel skips; under CI it fails.
	for _, ci := range []string{"", "false", "true"} {
		t.Setenv("CI", ci)
		wantSkip := ci != "true"
		for _, arch := range []string{"amd64", "arm64"} {
			msg, skipped := endOf(t, func(tb testing.TB) { Cache(tb, arch) })
			if !strings.Contains(msg, "run scripts/fetch-kernels.sh "+arch) || !strings.Contains(msg, filepath.Join(dir, arch)) {
				t.Errorf("CI=%q: Cache(%s) ended with %q, want the directory and scripts/fetch-kernels.sh", ci, arch, msg)
			}
			if skipped != wantSkip {
				t.Errorf("CI=%q: Cache(%s) skipped=%v, want %v", ci, arch, skipped, wantSkip)
			}
		}
	}
}
