package fetch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func startTLS(t testing.TB, h http.Handler, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func serveBytes(data []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	})
}

func TestHTTPS(t *testing.T) {
	data := testData(1<<20, 7)
	ca := testenv.NewCA(t, "boot CA")
	other := testenv.NewCA(t, "someone else's CA")
	good := startTLS(t, serveBytes(data), ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 1)}, nil))
	wrongName := startTLS(t, serveBytes(data), ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 2)}, []string{"boot.example.com"}))
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bundle, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	emptyBundle := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(emptyBundle, []byte("no certificates here\n"), 0o644)

	tests := []struct {
		name  string
		fault string // for the FAULT line; "" for a fetch that must work
		opts  Options
		url   string
		want  error
		text  string
	}{
		{"pool", "", Options{RootCAs: ca.Pool()}, good.URL + "/vmlinuz", nil, ""},
		{"bundle file", "", Options{CABundle: bundle}, good.URL + "/vmlinuz", nil, ""},
		{"wrong CA", "certificate from an unknown CA", Options{RootCAs: other.Pool()}, good.URL + "/vmlinuz", ErrCertificate,
			"certificate not trusted: host 127.0.0.1: x509: certificate signed by unknown authority"},
		{"wrong host", "certificate for another host", Options{RootCAs: ca.Pool()}, wrongName.URL + "/vmlinuz", ErrCertificate,
			"host 127.0.0.1: x509: certificate is valid for 127.0.0.2, not 127.0.0.1"},
		{"missing bundle", "CA bundle file missing", Options{CABundle: "/nonexistent/ca.pem"}, good.URL + "/x", ErrCertificate, "reading CA bundle"},
		{"empty bundle", "CA bundle without certificates", Options{CABundle: emptyBundle}, good.URL + "/x", ErrCertificate, "holds no PEM certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(fast(tt.opts))
			start := time.Now()
			file, err := within(t, 10*time.Second, func() error2[*File] {
				return wrap2(f.Fetch(context.Background(), tt.url))
			}).get()
			if tt.fault != "" {
				testenv.Fault(t, "HTTPS: "+tt.fault, outcome(err), time.Since(start), "")
			}
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if file.SHA256 != sha256.Sum256(data) || cap(file.Data) != len(data) {
					t.Fatalf("digest or capacity (%d) wrong", cap(file.Data))
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("got %v, want %v saying %q", err, tt.want, tt.text)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Attempts != 1 {
				t.Errorf("want one attempt, got %#v", err)
			}
		})
	}
}

func TestHTTPDowngrade(t *testing.T) {
	ca := testenv.NewCA(t, "boot CA")
	plain := httptest.NewServer(serveBytes([]byte("kernel")))
	defer plain.Close()
	redirect := startTLS(t, http.RedirectHandler(plain.URL+"/vmlinuz", http.StatusFound),
		ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 1)}, nil))
	f := New(fast(Options{RootCAs: ca.Pool()}))
	start := time.Now()
	_, err := f.Fetch(context.Background(), redirect.URL+"/vmlinuz")
	testenv.Fault(t, "HTTPS: redirect to http", outcome(err), time.Since(start), "")
	if !errors.Is(err, ErrDowngrade) {
		t.Fatalf("got %v, want ErrDowngrade", err)
	}
	// http to https is fine.
	up := httptest.NewServer(http.RedirectHandler(redirect.URL+"/x", http.StatusFound))
	defer up.Close()
	start = time.Now()
	_, err = f.Fetch(context.Background(), up.URL)
	testenv.Fault(t, "HTTP: redirect to https, which redirects to http", outcome(err), time.Since(start), "")
	if !errors.Is(err, ErrDowngrade) {
		t.Fatalf("got %v: the https hop redirects to http again", err)
	}
}

func TestHTTPErrors(t *testing.T) {
	var hits500, hitsFlaky, hitsTrunc atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		hits500.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	flakyData := testData(50_000, 8)
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if hitsFlaky.Add(1) < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		serveBytes(flakyData).ServeHTTP(w, r)
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		hitsTrunc.Add(1)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n%s", strings.Repeat("x", 500))
		buf.Flush()
	})
	mux.HandleFunc("/toolong", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000000000")
		w.Write([]byte("x"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tests := []struct {
		path     string
		fault    string // for the FAULT line
		want     []error
		attempts int
		text     string
	}{
		{"/missing", "404 Not Found", []error{ErrNotFound, fs.ErrNotExist}, 1, "404 Not Found"},
		{"/forbidden", "403 Forbidden", []error{ErrAccess, fs.ErrPermission}, 1, "403 Forbidden"},
		{"/teapot", "unexpected status 418", nil, 1, "418 I'm a teapot, want 200 OK"},
		{"/broken", "500 Internal Server Error", []error{ErrServer}, 3, "500 Internal Server Error"},
		{"/truncated", "connection closed after 500 of 1000 bytes", []error{ErrTruncated}, 3, "connection closed after 500 of 1000 bytes"},
		{"/toolong", "Content-Length of 100 GB with 1 GiB free", []error{ErrNoMemory}, 1, "needs 93 GiB"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			opts := Options{}
			if tt.path == "/toolong" {
				opts.MemCheck = func(n int64) error { return checkFits(n, 1<<30, MemMargin) }
			}
			fe := fetchFails(t, New(fast(opts)), srv.URL+tt.path, tt.want, tt.attempts, tt.text, func(err error, took time.Duration) {
				testenv.Fault(t, "HTTP: "+tt.fault, outcome(err), took, "")
			})
			if fe.Server != srv.Listener.Addr().String() {
				t.Errorf("error from server %s, want %s", fe.Server, srv.Listener.Addr())
			}
		})
	}
	if hits500.Load() != 3 || hitsTrunc.Load() != 3 {
		t.Errorf("500 hit %d times, truncated %d times: want 3 tries each", hits500.Load(), hitsTrunc.Load())
	}
	t.Run("recovers after 503", func(t *testing.T) {
		file, err := New(fast(Options{})).Fetch(context.Background(), srv.URL+"/flaky")
		if err != nil || file.Attempts != 3 || file.SHA256 != sha256.Sum256(flakyData) {
			t.Fatalf("got %v", err)
		}
		testenv.Fault(t, "HTTP: 503 Service Unavailable twice, then the file", fmt.Sprintf("file complete after %s", plural(file.Attempts, "attempt")),
			file.Duration, fmt.Sprintf("%d B (SHA-256 compared)", len(file.Data)))
	})
}

// TestHTTPIdle shows the idle timeout: a stalled server is given up, a
// slow one that keeps sending is not.
func TestHTTPIdle(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	// Chunks 40 ms apart against a 400 ms idle timeout: a 9x margin for
	// a loaded machine, and the steady transfer (800 ms) still outlasts
	// the timeout.
	const chunk, chunks = 1000, 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(chunk*chunks))
		for i := range chunks {
			if r.URL.Path == "/stall" && i == 2 {
				select {
				case <-stop:
				case <-r.Context().Done():
				}
				return
			}
			w.Write([]byte(strings.Repeat("k", chunk)))
			w.(http.Flusher).Flush()
			time.Sleep(40 * time.Millisecond)
		}
	}))
	defer srv.Close()
	f := New(fast(Options{IdleTimeout: 400 * time.Millisecond, Attempts: 2}))

	start := time.Now()
	_, err := within(t, 10*time.Second, func() error2[*File] { return wrap2(f.Fetch(context.Background(), srv.URL+"/stall")) }).get()
	testenv.Fault(t, "HTTP: server stalls after 2000 of 20000 bytes (idle timeout 400 ms, 2 attempts)", outcome(err), time.Since(start), "")
	if !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), "server went silent after 2000 bytes (nothing for 400ms)") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("stalled fetch took %v", d)
	}

	// 20 chunks 40 ms apart: 800 ms in all, twice the idle timeout.
	file, err := f.Fetch(context.Background(), srv.URL+"/slow")
	if err != nil || len(file.Data) != chunk*chunks || file.Duration < 760*time.Millisecond {
		t.Fatalf("slow but steady server: %v", err)
	}
	testenv.Fault(t, "HTTP: server sends 1000 bytes every 40 ms, 800 ms in all (idle timeout 400 ms)",
		fmt.Sprintf("file complete after %s", plural(file.Attempts, "attempt")), file.Duration, fmt.Sprintf("%d B (length compared)", len(file.Data)))
}

func TestHTTPUnknownSize(t *testing.T) {
	data := testData(300_000, 9)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := bufio.NewWriterSize(w, 10_000)
		bw.Write(data) // chunked: no Content-Length
		bw.Flush()
	}))
	defer srv.Close()
	f := New(fast(Options{}))
	file, err := f.Fetch(context.Background(), srv.URL+"/initrd")
	if err != nil || file.SHA256 != sha256.Sum256(data) {
		t.Fatalf("got %v", err)
	}
	if f.reserved.Load() != 0 {
		t.Errorf("reservation left: %d", f.reserved.Load())
	}
}

func TestFetchAll(t *testing.T) {
	kernel, initrd := testData(2_000_000, 10), testData(3_000_000, 11)
	tftpSrv := startTFTP(t, map[string][]byte{"vmlinuz": kernel}, serverConfig{})
	httpSrv := httptest.NewServer(serveBytes(initrd))
	defer httpSrv.Close()
	progress := NewLineProgress(new(strings.Builder), time.Second)
	f := New(fast(Options{Progress: progress}))
	urls := []string{
		TFTPURL(tftpSrv.addr, "vmlinuz"),
		httpSrv.URL + "/initrd.img",
		TFTPURL(tftpSrv.addr, "missing"),
		"ftp://example.com/x",
	}
	files, err := within(t, 10*time.Second, func() error2[[]*File] { return wrap2(f.FetchAll(context.Background(), urls)) }).get()
	if files[0] == nil || files[0].SHA256 != sha256.Sum256(kernel) ||
		files[1] == nil || files[1].SHA256 != sha256.Sum256(initrd) {
		t.Fatalf("good files missing or wrong: %v", err)
	}
	if files[2] != nil || files[3] != nil {
		t.Fatal("failed files are not nil")
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 2 {
		t.Fatalf("want two errors, got %v", err)
	}
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrBadURL) {
		t.Errorf("got %v", err)
	}
	for i, e := range joined.Unwrap() {
		var fe *Error
		if !errors.As(e, &fe) || fe.URL != urls[i+2] {
			t.Errorf("error %d = %v, want one for %s", i, e, urls[i+2])
		}
	}
	if f.reserved.Load() != 0 {
		t.Errorf("reservation left: %d", f.reserved.Load())
	}
}

// TestConcurrentMemoryCheck: two files that each fit but not together.
func TestConcurrentMemoryCheck(t *testing.T) {
	const size = 600_000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // FetchAll: one transfer per P
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(make([]byte, 1000))
		w.(http.Flusher).Flush()
		<-release // hold both transfers open
		w.Write(make([]byte, size-1000))
	}))
	defer srv.Close()
	var once atomic.Bool
	f := New(fast(Options{MemCheck: func(n int64) error {
		if once.CompareAndSwap(false, true) {
			time.AfterFunc(300*time.Millisecond, func() { close(release) })
		}
		return checkFits(n, 1_000_000, 0)
	}}))
	start := time.Now()
	files, err := within(t, 10*time.Second, func() error2[[]*File] {
		return wrap2(f.FetchAll(context.Background(), []string{srv.URL + "/a", srv.URL + "/b"}))
	}).get()
	var fetched []string
	for i, file := range files {
		if file != nil {
			fetched = append(fetched, fmt.Sprintf("%s (%d B)", []string{"/a", "/b"}[i], len(file.Data)))
		}
	}
	testenv.Fault(t, "memory: two files of 600000 bytes at once, 1000000 bytes free",
		fmt.Sprintf("fetched: %s; %s", strings.Join(fetched, ", "), outcome(err)), time.Since(start), "")
	if !errors.Is(err, ErrNoMemory) || (files[0] == nil) == (files[1] == nil) {
		t.Fatalf("want exactly one file refused, got %v", err)
	}
	if !strings.Contains(err.Error(), "more are due for other files") {
		t.Errorf("error %q does not mention the other transfer", err)
	}
}

// TestHTTPConnections checks how the client uses connections: plain HTTP
// needs no CA bundle (it is read on the first HTTPS connection), HTTPS
// negotiates HTTP/2 where the server offers it, and FetchAll on one P
// fetches the files in order over one keep-alive connection.
func TestHTTPConnections(t *testing.T) {
	ca := testenv.NewCA(t, "boot CA")
	cert := ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 1)}, nil)
	type record struct {
		conns atomic.Int64
		mu    sync.Mutex
		got   []string // "path proto" per request
	}
	serve := func(rec *record, https, h2 bool) *httptest.Server {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec.mu.Lock()
			rec.got = append(rec.got, r.URL.Path+" "+r.Proto)
			rec.mu.Unlock()
			serveBytes(testData(100_000, 17)).ServeHTTP(w, r)
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				rec.conns.Add(1)
			}
		}
		t.Cleanup(srv.Close)
		if !https {
			srv.Start()
			return srv
		}
		srv.EnableHTTP2 = h2
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		return srv
	}
	tests := []struct {
		name      string
		tls, h2   bool
		opts      Options
		wantConns int64
		wantProto string
	}{
		{"http without a CA bundle", false, false, Options{CABundle: "/nonexistent/ca.pem"}, 1, "HTTP/1.1"},
		{"https http/1.1", true, false, Options{RootCAs: ca.Pool()}, 1, "HTTP/1.1"},
		{"https h2", true, true, Options{RootCAs: ca.Pool()}, 1, "HTTP/2.0"},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := new(record)
			srv := serve(rec, tt.tls, tt.h2)
			f := New(fast(tt.opts))
			names := []string{"/vmlinuz", "/initrd.img", "/extra.img"}
			var urls, want []string
			for _, n := range names {
				urls = append(urls, srv.URL+n)
				want = append(want, n+" "+tt.wantProto)
			}
			files, err := within(t, 10*time.Second, func() error2[[]*File] { return wrap2(f.FetchAll(context.Background(), urls)) }).get()
			if err != nil {
				t.Fatal(err)
			}
			for i, file := range files {
				if len(file.Data) != 100_000 {
					t.Errorf("%s: %d bytes, want 100000", urls[i], len(file.Data))
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if strings.Join(rec.got, ", ") != strings.Join(want, ", ") {
				t.Errorf("requests %q, want %q", rec.got, want)
			}
			if n := rec.conns.Load(); n != tt.wantConns {
				t.Errorf("%d connections, want %d", n, tt.wantConns)
			}
		})
	}
}
