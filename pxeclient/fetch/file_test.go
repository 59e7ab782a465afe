package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fileURL is the file:// URL of the local file name.
func fileURL(name string) string {
	return (&url.URL{Scheme: "file", Path: name}).String()
}

// recordProgress keeps every report.
type recordProgress struct {
	mu   sync.Mutex
	seen []Status
}

func (p *recordProgress) Update(s Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, s)
}

// TestFetchFile reads real files of a temporary directory, one with a
// space in its name, together with FetchAll: data, digest, size and the
// progress report as for the network schemes.
func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	kernel := bytes.Repeat([]byte("kernel "), 200_000) // 1.4 MB
	files := map[string][]byte{"vmlinuz": kernel, "initrd dir/initrd.img": []byte("initrd"), "empty": {}}
	var urls []string
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, fileURL(p))
	}
	var prog recordProgress
	f := New(fast(Options{Progress: &prog}))
	got, err := f.FetchAll(context.Background(), urls)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range urls {
		p, _ := url.Parse(u)
		name, _ := filepath.Rel(dir, p.Path)
		want := files[name]
		if !bytes.Equal(got[i].Data, want) || got[i].SHA256 != sha256.Sum256(want) || got[i].URL != u || got[i].Attempts != 1 {
			t.Errorf("%s: %d bytes, attempts %d, digest ok %v", u, len(got[i].Data), got[i].Attempts, got[i].SHA256 == sha256.Sum256(want))
		}
		if cap(got[i].Data) != len(want) {
			t.Errorf("%s: buffer of %d bytes for %d: want one exact allocation", u, cap(got[i].Data), len(want))
		}
	}
	finished := 0
	for _, s := range prog.seen {
		if s.Finished && s.Err == nil {
			finished++
		}
	}
	if finished != len(urls) {
		t.Errorf("%d finished reports, want %d", finished, len(urls))
	}
	if _, err := f.Fetch(context.Background(), "file://localhost"+filepath.Join(dir, "vmlinuz")); err != nil {
		t.Errorf("file://localhost/...: %v", err)
	}
}

// TestFetchFileErrors: a missing file matches ErrNotFound (and is read
// once), a directory and a device are refused, the memory check applies,
// a cancelled context stops the read, and bad URLs name the reason.
func TestFetchFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	noMem := func(need int64) error {
		if need > 1000 {
			return ErrNoMemory
		}
		return nil
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		url  string
		opts Options
		is   error
		says string
	}{
		{name: "missing", url: fileURL(filepath.Join(dir, "nope")), is: ErrNotFound, says: "file not found"},
		{name: "missing is fs.ErrNotExist", url: fileURL(filepath.Join(dir, "nope")), is: fs.ErrNotExist},
		{name: "directory", url: fileURL(dir), says: "is not a regular file"},
		{name: "device", url: "file:///dev/null", says: "is not a regular file"},
		{name: "no memory", url: fileURL(big), opts: Options{MemCheck: noMem}, is: ErrNoMemory, says: "file is 1.0 MiB"},
		{name: "cancelled", ctx: cancelled, url: fileURL(big), is: context.Canceled},
		{name: "other host", url: "file://server/x", is: ErrBadURL, says: "files of this machine"},
		{name: "relative", url: "file:x", is: ErrBadURL, says: "absolute path"},
		{name: "no file", url: "file:///", is: ErrBadURL, says: "names no file"},
		{name: "query", url: "file:///x?y", is: ErrBadURL, says: "?query"},
		{name: "NUL", url: "file:///a%00b", is: ErrBadURL, says: "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			o := tt.opts
			o.Attempts = 3
			_, err := New(fast(o)).Fetch(ctx, tt.url)
			var fe *Error
			if !errors.As(err, &fe) || fe.URL != tt.url {
				t.Fatalf("err = %v, want an *Error naming %s", err, tt.url)
			}
			if fe.Attempts > 1 {
				t.Errorf("%d attempts: a local file is read once", fe.Attempts)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %q, want it to say %q", err, tt.says)
			}
		})
	}
}

// TestFetchFileAccess: a file this process may not read matches
// ErrAccess (not as root, who reads everything).
func TestFetchFileAccess(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files of mode 0")
	}
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := New(fast(Options{})).Fetch(context.Background(), fileURL(p))
	if !errors.Is(err, ErrAccess) || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("err = %v, want ErrAccess", err)
	}
}
