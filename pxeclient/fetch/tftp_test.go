package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch/fetchtest"
)

// fast are client options for loopback tests: SHA-256 on (the tests
// check it), no memory check, and short timeouts, stall budgets and retry
// delays well inside the tests' own time limits.
func fast(o Options) Options {
	o.SHA256 = true
	if o.TFTPTimeout == 0 {
		o.TFTPTimeout = 20 * time.Millisecond
	}
	if o.TFTPStall == 0 {
		o.TFTPStall = 2 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 2 * time.Second
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 5 * time.Millisecond
	}
	if o.MemCheck == nil {
		o.MemCheck = func(int64) error { return nil }
	}
	return o
}

func TestTFTPBlockSizes(t *testing.T) {
	data := testData(300_000, 1)
	srv := startTFTP(t, map[string][]byte{"images/vmlinuz": data, "empty": {}}, serverConfig{})
	for _, bs := range []int{0, 512, 1428, 1468, 8192, 65464} {
		t.Run(fmt.Sprint("blksize=", bs), func(t *testing.T) {
			f := New(fast(Options{TFTPBlockSize: bs}))
			file, err := within(t, 10*time.Second, func() error2[*File] {
				return wrap2(f.Fetch(context.Background(), TFTPURL(srv.addr, "images/vmlinuz")))
			}).get()
			if err != nil {
				t.Fatal(err)
			}
			if file.SHA256 != sha256.Sum256(data) || len(file.Data) != len(data) {
				t.Fatalf("got %d bytes with another digest, want %d", len(file.Data), len(data))
			}
			if cap(file.Data) != len(data) {
				t.Errorf("buffer capacity %d, want exactly the tsize %d (one allocation)", cap(file.Data), len(data))
			}
		})
	}
	t.Run("empty file", func(t *testing.T) {
		file, err := New(fast(Options{})).Fetch(context.Background(), TFTPURL(srv.addr, "empty"))
		if err != nil {
			t.Fatal(err)
		}
		if len(file.Data) != 0 || file.SHA256 != sha256.Sum256(nil) {
			t.Fatalf("got %d bytes", len(file.Data))
		}
	})
	t.Run("no SHA-256 unless asked", func(t *testing.T) {
		o := fast(Options{})
		o.SHA256 = false
		file, err := New(o).Fetch(context.Background(), TFTPURL(srv.addr, "images/vmlinuz"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(file.Data, data) || file.SHA256 != [32]byte{} {
			t.Fatalf("got %d bytes, digest %x; want the data and no digest", len(file.Data), file.SHA256)
		}
	})
}

// error2 carries two results through within.
type error2[T any] struct {
	v   T
	err error
}

func wrap2[T any](v T, err error) error2[T] { return error2[T]{v, err} }
func (e error2[T]) get() (T, error)         { return e.v, e.err }

// fetchFails fetches url with f (giving up after 10 s) and checks the
// failure: an *Error for url after attempts tries, wrapping every error
// in want, whose text names url and says text. It returns the *Error.
func fetchFails(t *testing.T, f *Fetcher, url string, want []error, attempts int, text string, report func(err error, took time.Duration)) *Error {
	t.Helper()
	start := time.Now()
	_, err := within(t, 10*time.Second, func() error2[*File] {
		return wrap2(f.Fetch(context.Background(), url))
	}).get()
	report(err, time.Since(start))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Errorf("error %q is not %v", err, w)
		}
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.URL != url || fe.Attempts != attempts {
		t.Fatalf("error %#v: want *Error for %s after %d attempts", err, url, attempts)
	}
	if !strings.Contains(err.Error(), text) || !strings.Contains(err.Error(), url) {
		t.Errorf("error %q does not name %s and say %q", err, url, text)
	}
	return fe
}

func TestTFTPUnknownSizeGrows(t *testing.T) {
	data := testData(1_000_003, 2)
	srv := startTFTP(t, map[string][]byte{"initrd": data}, serverConfig{noTSize: true})
	var checks []int64
	var mu sync.Mutex
	f := New(fast(Options{TFTPBlockSize: 8192, MemCheck: func(n int64) error {
		mu.Lock()
		checks = append(checks, n)
		mu.Unlock()
		return nil
	}}))
	file, err := f.Fetch(context.Background(), TFTPURL(srv.addr, "initrd"))
	if err != nil {
		t.Fatal(err)
	}
	if file.SHA256 != sha256.Sum256(data) {
		t.Fatal("digest mismatch")
	}
	// 64 KiB doubling to 1 MiB: 5 checks, each for the new size.
	if len(checks) < 4 || checks[0] != initialUnknownSize {
		t.Errorf("memory checks %v, want a growing series from %d", checks, initialUnknownSize)
	}
	if got := f.reserved.Load(); got != 0 {
		t.Errorf("reservation left over: %d", got)
	}
}

func TestTFTPErrors(t *testing.T) {
	srv := startTFTP(t, map[string][]byte{"big": testData(100_000, 3)}, serverConfig{})
	denied, deniedRequests := rawServer(t, func([]byte) []byte { return errorPacket(2, "Access violation") })
	undefined, undefinedRequests := rawServer(t, func([]byte) []byte { return errorPacket(0, "disk on fire") })
	// Answers requests with options with code 8 and plain ones with 1,
	// to show the client asks again without options.
	picky, pickyRequests := rawServer(t, func(req []byte) []byte {
		if strings.Contains(string(req), "blksize") {
			return errorPacket(8, "no options")
		}
		return errorPacket(1, "File not found")
	})
	silent, silentRequests := rawServer(t, func([]byte) []byte { return nil })

	tests := []struct {
		name     string
		fault    string // for the FAULT line
		url      string
		requests *atomic.Int64 // the server's count of read requests
		opts     Options
		want     []error
		attempts int
		text     string
	}{
		{"not found", "file not found (error packet 1)", TFTPURL(srv.addr, "pxelinux.cfg/01-aa"), &srv.requests, Options{}, []error{ErrNotFound, fs.ErrNotExist}, 1, "pxelinux.cfg/01-aa: file not found"},
		{"access", "access violation (error packet 2)", TFTPURL(denied, "secret"), deniedRequests, Options{}, []error{ErrAccess, fs.ErrPermission}, 1, "Access violation"},
		{"server error", `server error 0 "disk on fire"`, TFTPURL(undefined, "x"), undefinedRequests, Options{}, []error{ErrServer}, 3, "disk on fire"},
		{"options refused", "server refuses requests with options (error 8), then has no such file", TFTPURL(picky, "x"), pickyRequests, Options{}, []error{ErrNotFound}, 1, "File not found"},
		{"no answer", "nobody answers the request (300 ms stall budget)", TFTPURL(silent, "x"), silentRequests, Options{TFTPStall: 300 * time.Millisecond}, []error{ErrNetwork}, 1, "no answer to the request in 300ms"},
		{"no memory", "file of 100000 bytes (tsize) with 50000 bytes free", TFTPURL(srv.addr, "big"), &srv.requests, Options{MemCheck: func(n int64) error { return checkFits(n, 50_000, 1000) }},
			[]error{ErrNoMemory}, 1, "file is 98 KiB: not enough free memory: needs 98 KiB, 48 KiB available"},
		{"bad URL", "URL with a ?query", "tftp://" + srv.addr + "/a?b", &srv.requests, Options{}, []error{ErrBadURL}, 0, "no ?query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.requests.Load()
			fetchFails(t, New(fast(tt.opts)), tt.url, tt.want, tt.attempts, tt.text, func(err error, took time.Duration) {
				testenv.Fault(t, "TFTP: "+tt.fault, fmt.Sprintf("%s; the server saw %s", outcome(err), plural(int(tt.requests.Load()-before), "request")), took, "")
			})
		})
	}
	if n := pickyRequests.Load(); n != 2 {
		t.Errorf("picky server saw %d requests, want 2 (with and without options)", n)
	}
}

func TestTFTPSizeLie(t *testing.T) {
	data := testData(10_000, 4)
	srv := startTFTP(t, map[string][]byte{"f": data}, serverConfig{lieTSize: 5000})
	f := New(fast(Options{TFTPBlockSize: 1468}))
	start := time.Now()
	_, err := f.Fetch(context.Background(), TFTPURL(srv.addr, "f"))
	testenv.Fault(t, "TFTP: server announces 15000 bytes (tsize), sends 10000",
		fmt.Sprintf("%s; the server saw %s", outcome(err), plural(int(srv.requests.Load()), "request")), time.Since(start), "")
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "announced 15000 bytes (tsize) and sent 10000") {
		t.Fatalf("got %v, want ErrTruncated", err)
	}
	if n := srv.requests.Load(); n != DefaultAttempts {
		t.Errorf("server saw %d requests, want %d", n, DefaultAttempts)
	}

	// A server announcing less than it sends: the buffer grows.
	srv2 := startTFTP(t, map[string][]byte{"f": data}, serverConfig{lieTSize: -5000})
	start = time.Now()
	file, err := f.Fetch(context.Background(), TFTPURL(srv2.addr, "f"))
	if err != nil || file.SHA256 != sha256.Sum256(data) {
		t.Fatalf("got %v", err)
	}
	testenv.Fault(t, "TFTP: server announces 5000 bytes (tsize), sends 10000",
		fmt.Sprintf("file complete after %s", plural(file.Attempts, "attempt")), time.Since(start), fmt.Sprintf("%d B (SHA-256 compared)", len(file.Data)))
}

// TestTFTPLossyRelay sends a file through a relay that loses, duplicates
// and reorders packets in both directions, from two servers: pin/tftp's,
// lock-step, which re-sends DATA after 30 ms, and the windowed test
// server (windowsize 16), whose timer is 200 ms, so that the client's
// gap and timeout ACKs must carry the transfer.
func TestTFTPLossyRelay(t *testing.T) {
	type server struct {
		addr    string
		outcome func() string // the FAULT line's outcome
		log     func() string // for the test log
	}
	for _, sv := range []struct {
		name, fault         string // fault: the FAULT line's fault, a format for the loss
		size                int
		dataSeed, relaySeed uint64
		start               func(t *testing.T, data []byte) server
	}{
		{"pin", "pin/tftp server (lock-step), %.0f%% loss, 5%% dup, 5%% reorder, server timer 30 ms", 200_000, 5, 42,
			func(t *testing.T, data []byte) server {
				// The client re-sends its ACK after 20 ms (fast).
				srv := startTFTP(t, map[string][]byte{"f": data}, serverConfig{timeout: 30 * time.Millisecond, retries: 20})
				return server{addr: srv.addr, outcome: func() string { return "intact" }, log: func() string { return "" }}
			}},
		{"window", "windowsize 16, %.0f%% loss, 5%% dup, 5%% reorder, server timer 200 ms", 300_000, 11, 7,
			func(t *testing.T, data []byte) server {
				srv := startWindowServer(t, data, 1468, nil, 200*time.Millisecond)
				return server{addr: srv.addr,
					outcome: func() string { return fmt.Sprintf("intact, %d server timeouts", srv.resends.Load()) },
					log: func() string {
						return fmt.Sprintf(", %d ACKs, %d server timeouts", srv.acks.Load(), srv.resends.Load())
					}}
			}},
	} {
		data := testData(sv.size, sv.dataSeed)
		for _, loss := range []float64{0.05, 0.20} {
			t.Run(fmt.Sprintf("%s/loss=%.0f%%", sv.name, loss*100), func(t *testing.T) {
				srv := sv.start(t, data)
				relay, err := fetchtest.NewRelay(srv.addr, fetchtest.Impairment{Loss: loss, Dup: 0.05, Delay: 0.05, Seed: sv.relaySeed})
				if err != nil {
					t.Fatal(err)
				}
				defer relay.Close()
				f := New(fast(Options{TFTPBlockSize: 1468, TFTPStall: 5 * time.Second}))
				start := time.Now()
				file, err := within(t, 30*time.Second, func() error2[*File] {
					return wrap2(f.Fetch(context.Background(), TFTPURL(relay.Addr(), "f")))
				}).get()
				if err != nil {
					t.Fatal(err)
				}
				el := time.Since(start)
				if file.SHA256 != sha256.Sum256(data) || !bytes.Equal(file.Data, data) {
					t.Fatalf("got %d bytes that differ from the %d sent", len(file.Data), len(data))
				}
				st := relay.Stats()
				if st.Dropped == 0 {
					t.Error("relay dropped nothing")
				}
				t.Logf("%d blocks in %v, %d attempts%s; relay: %v", len(data)/1468+1, el.Round(time.Millisecond), file.Attempts, srv.log(), st)
				testenv.Fault(t, fmt.Sprintf("TFTP "+sv.fault+" (seeded relay)", loss*100), srv.outcome(), el, fmt.Sprintf("%d B (compared)", len(file.Data)))
			})
		}
	}
}

// stallingReader delivers limit bytes, then blocks like a crashed server
// until release is closed.
type stallingReader struct {
	r       io.Reader
	limit   int
	stalled chan struct{}
	release chan struct{}
	once    *sync.Once
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.limit <= 0 {
		s.once.Do(func() { close(s.stalled) })
		<-s.release
		return 0, errors.New("server process killed")
	}
	if len(p) > s.limit {
		p = p[:s.limit]
	}
	n, err := s.r.Read(p)
	s.limit -= n
	return n, err
}

// TestTFTPServerRestart stops the server in the middle of a transfer and
// starts a new one on the same port: the client fetches the file again.
func TestTFTPServerRestart(t *testing.T) {
	data := testData(500_000, 6)
	files := map[string][]byte{"initrd": data}
	stalled, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	first := startTFTP(t, files, serverConfig{wrap: func(_ string, r io.Reader) io.Reader {
		return &stallingReader{r: r, limit: 100_000, stalled: stalled, release: release, once: &once}
	}})
	t.Cleanup(func() { close(release) }) // runs before first's Shutdown

	f := New(fast(Options{TFTPBlockSize: 1468, TFTPStall: 500 * time.Millisecond}))
	type res = error2[*File]
	done := make(chan res, 1)
	start := time.Now()
	go func() { done <- wrap2(f.Fetch(context.Background(), TFTPURL(first.addr, "initrd"))) }()

	select {
	case <-stalled:
	case <-time.After(10 * time.Second):
		t.Fatal("transfer never started")
	}
	// "Restart": the old server stops listening (its stuck transfer
	// stays), a new one takes over the port.
	go first.stop()
	startTFTP(t, files, serverConfig{addr: first.addr})

	select {
	case r := <-done:
		file, err := r.get()
		if err != nil {
			t.Fatal(err)
		}
		if file.SHA256 != sha256.Sum256(data) || file.Attempts != 2 {
			t.Fatalf("attempts %d, digest ok %v", file.Attempts, file.SHA256 == sha256.Sum256(data))
		}
		testenv.Fault(t, "TFTP: server stopped after 100000 of 500000 bytes, a new one on the same port",
			fmt.Sprintf("whole file fetched again, complete after %s", plural(file.Attempts, "attempt")), time.Since(start), fmt.Sprintf("%d B (SHA-256 compared)", len(file.Data)))
	case <-time.After(20 * time.Second):
		t.Fatal("fetch did not complete after the restart")
	}
}

func TestTFTPCancel(t *testing.T) {
	silent, _ := rawServer(t, func([]byte) []byte { return nil })
	f := New(fast(Options{TFTPStall: time.Minute}))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := within(t, 5*time.Second, func() error2[*File] {
		return wrap2(f.Fetch(ctx, TFTPURL(silent, "x")))
	}).get()
	took := time.Since(start)
	testenv.Fault(t, "TFTP: transfer cancelled (context deadline 100 ms, a silent server, 1 min stall budget)",
		fmt.Sprintf("returned %v after the deadline: %s", (took-100*time.Millisecond).Round(time.Millisecond), outcome(err)), took, "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's error", err)
	}
}

func TestPathBlockSize(t *testing.T) {
	if testenv.Emulated() {
		t.Skip("net.Interfaces does not work under qemu-user")
	}
	// Loopback's MTU is 65536: the largest TFTP block fits.
	if got := pathBlockSize("127.0.0.1:69"); got != maxBlockSize {
		t.Errorf("pathBlockSize(loopback) = %d, want %d", got, maxBlockSize)
	}
	if got := pathBlockSize("not-an-address"); got != fallbackBlockSize {
		t.Errorf("pathBlockSize(bad) = %d, want %d", got, fallbackBlockSize)
	}
}

func TestTFTPRetries(t *testing.T) {
	for _, tt := range []struct {
		timeout, stall time.Duration
		want           int
	}{
		{100 * time.Millisecond, 60 * time.Second, 600},
		{100 * time.Millisecond, 150 * time.Millisecond, 2},
		{time.Second, time.Millisecond, 1},
	} {
		f := New(Options{TFTPTimeout: tt.timeout, TFTPStall: tt.stall})
		if got := f.tftpRetries(); got != tt.want {
			t.Errorf("timeout %v stall %v: %d retries, want %d", tt.timeout, tt.stall, got, tt.want)
		}
	}
}
