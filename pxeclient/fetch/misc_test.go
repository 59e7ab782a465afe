package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestSentinels(t *testing.T) {
	if !errors.Is(ErrNotFound, fs.ErrNotExist) || !errors.Is(ErrAccess, fs.ErrPermission) {
		t.Error("sentinels do not match the fs errors")
	}
	if errors.Is(ErrNotFound, fs.ErrPermission) || errors.Is(ErrNetwork, ErrNotFound) {
		t.Error("sentinels match too much")
	}
	e := &Error{URL: "tftp://s/f", Server: "s:69", Attempts: 2, Err: fmt.Errorf("%w: x", ErrTruncated)}
	if got, want := e.Error(), "fetch tftp://s/f from server s:69 (2 attempts): transfer cut short: x"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestMemAvailable asks this machine's /proc/meminfo.
func TestMemAvailable(t *testing.T) {
	if err := MemAvailable(1); err != nil {
		t.Errorf("MemAvailable(1) = %v", err)
	}
	if err := MemAvailable(1 << 60); !errors.Is(err, ErrNoMemory) {
		t.Errorf("MemAvailable(1 EiB) = %v, want ErrNoMemory", err)
	}
}

func TestCheckFits(t *testing.T) {
	if err := checkFits(100, 200, 50); err != nil {
		t.Error(err)
	}
	err := checkFits(900<<20, 544<<20, 32<<20)
	want := "not enough free memory: needs 900 MiB, 512 MiB available (MemAvailable 544 MiB minus 32 MiB kept free)"
	if !errors.Is(err, ErrNoMemory) || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 100 << 20: "100 MiB", 3 << 40: "3.0 TiB", 5000 << 40: "5000 TiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLineProgress(t *testing.T) {
	var out strings.Builder
	p := NewLineProgress(&out, time.Second)
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }
	step := func(d time.Duration, s Status) { now = now.Add(d); p.Update(s) }
	step(0, Status{URL: "tftp://s/vmlinuz", Done: 0, Total: 12 << 20})
	step(100*time.Millisecond, Status{URL: "http://s/initrd.img", Done: 0, Total: -1})
	step(500*time.Millisecond, Status{URL: "tftp://s/vmlinuz", Done: 4 << 20, Total: 12 << 20})
	step(500*time.Millisecond, Status{URL: "http://s/initrd.img", Done: 1536 << 10, Total: -1})
	step(200*time.Millisecond, Status{URL: "tftp://s/vmlinuz", Done: 12 << 20, Total: 12 << 20, Elapsed: 2 * time.Second, Finished: true})
	step(0, Status{URL: "http://s/initrd.img", Finished: true, Err: errors.New("x")})
	want := "fetching: vmlinuz 0 B/12 MiB\n" +
		"fetching: initrd.img 1.5 MiB/?, vmlinuz 4.0 MiB/12 MiB\n" +
		"fetched vmlinuz: 12 MiB in 2.0 s (6.0 MiB/s)\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Error("carriage return or escape in output")
	}
}

// panicProgress panics on the report of one file.
type panicProgress struct{ suffix string }

func (p panicProgress) Update(s Status) {
	if strings.HasSuffix(s.URL, p.suffix) {
		panic("injected panic in a progress report")
	}
}

// TestFetchAllPanic checks that a panic in a FetchAll worker fails that
// file instead of ending the program.
func TestFetchAllPanic(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("data")) }))
	defer srv.Close()
	f := New(fast(Options{Progress: panicProgress{"/vmlinuz"}}))
	start := time.Now()
	files, err := f.FetchAll(context.Background(), []string{srv.URL + "/vmlinuz", srv.URL + "/initrd"})
	if files[0] != nil || files[1] == nil || string(files[1].Data) != "data" {
		t.Fatalf("files %v: want the kernel failed and the initrd fetched", files)
	}
	testenv.Fault(t, "a panic in a fetch worker (the progress callback of /vmlinuz)",
		fmt.Sprintf("/vmlinuz: %s; /initrd fetched, process alive", outcome(err)), time.Since(start), fmt.Sprintf("%d B (compared)", len(files[1].Data)))
	if err == nil || !strings.Contains(err.Error(), "panic while fetching: injected panic") {
		t.Fatalf("err = %v", err)
	}
}
