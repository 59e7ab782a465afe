package fetch

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/positive"
)

// Defaults of [Options], each used when its field is zero.
const (
	// DefaultTFTPTimeout is how long the client waits for the next TFTP
	// packet before it sends its last ACK (or the request) again. A lost
	// ACK costs this much; a lost DATA packet costs the server's own
	// retransmission timer (dnsmasq 2.90: 2 s and more), because servers
	// ignore duplicate ACKs. 100 ms is far above LAN round trips and the
	// same first timeout busybox's tftp uses (TFTP_TIMEOUT_MS, networking/tftp.c).
	DefaultTFTPTimeout = 100 * time.Millisecond
	// DefaultTFTPWindowSize is the windowsize asked for (RFC 7440).
	// Where the server grants it (atftpd; not dnsmasq 2.90, QEMU or
	// pin/tftp, which ignore it): one ACK per 16 blocks, and a lost block
	// costs one ACK of the last block before it, sent as soon as the gap
	// shows or after TFTPTimeout, instead of the server's retransmission
	// timer (seconds). 16 blocks of 1468 bytes are 23 KiB,
	// well inside a socket's default receive buffer (208 KiB).
	DefaultTFTPWindowSize = 16
	// DefaultTFTPStall is how long a TFTP transfer may go without any
	// progress before it is given up: the TFTP client accepts
	// DefaultTFTPStall / TFTPTimeout timeouts in a row. It must outlast a server that
	// retransmits a lost DATA packet with backoff: dnsmasq 2.90 waits 3,
	// 3, 4, 4, 6, 6, 10 s between retransmissions, so 60 s covers seven
	// losses of the same block in a row (at 20 % loss, 0.2^7 ≈ 1.3e-5 per
	// block). With 100 ms × 100 tries (10 s) a transfer from dnsmasq at
	// 20 % loss gives up.
	DefaultTFTPStall = 60 * time.Second
	// DefaultIdleTimeout bounds how long an HTTP transfer may receive
	// nothing (headers or body) before it is given up. It is not a limit
	// on the whole transfer: big files on slow links still complete.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultAttempts is how often a whole file is tried when a transfer
	// fails in a way another try may cure (network failure mid-way,
	// truncated body, HTTP 5xx).
	DefaultAttempts = 3
	// DefaultRetryDelay is the pause before the second attempt; it
	// doubles for each further one.
	DefaultRetryDelay = time.Second
	// DefaultCABundle is where the netboot ramdisk keeps its CA
	// certificates (Debian's ca-certificates layout).
	DefaultCABundle = "/etc/ssl/certs/ca-certificates.crt"
	// DefaultConcurrency is how many files FetchAll fetches at once at
	// most (and never more than one per P: see FetchAll).
	DefaultConcurrency = 4
)

// Options are the knobs of a [Fetcher]. The zero value is usable.
type Options struct {
	// TFTPBlockSize is the blksize asked for (RFC 2348), 512..65464.
	// Zero picks the largest block that fits the path MTU to the server
	// without fragmentation: the MTU of the outgoing interface minus the
	// IP, UDP and TFTP headers (1468 on Ethernet), or 1468 when the
	// interface cannot be found.
	TFTPBlockSize int
	// TFTPWindowSize is the windowsize asked for (RFC 7440): how many
	// blocks the server may send before it waits for an ACK. 0 means
	// DefaultTFTPWindowSize; 1 asks for no window (one ACK per block, as
	// RFC 1350). Servers without the option (QEMU's, dnsmasq 2.90,
	// pin/tftp) ignore it.
	TFTPWindowSize int
	// TFTPTimeout is the per-packet retransmission timeout (default
	// DefaultTFTPTimeout).
	TFTPTimeout time.Duration
	// TFTPStall is how long a transfer may make no progress (default
	// DefaultTFTPStall).
	TFTPStall time.Duration
	// IdleTimeout bounds HTTP silence (default DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Attempts is the number of whole-file tries (default DefaultAttempts).
	Attempts int
	// RetryDelay is the pause before the second try (default
	// DefaultRetryDelay); it doubles for each further try.
	RetryDelay time.Duration
	// Concurrency is how many files FetchAll fetches at once at most
	// (default DefaultConcurrency); FetchAll also runs at most one per P.
	Concurrency int
	// RootCAs verifies HTTPS servers. When nil, CABundle is loaded.
	RootCAs *x509.CertPool
	// CABundle is a PEM file of CA certificates, used when RootCAs is
	// nil. When both are empty, DefaultCABundle is used if it exists and
	// the system pool otherwise.
	CABundle string
	// MemCheck decides whether need more bytes fit in memory; nil means
	// [MemAvailable]. See [MemCheck].
	MemCheck MemCheck
	// Progress receives progress reports; nil means none.
	Progress Progress
	// Logger receives debug messages about retries; nil means none.
	Logger *slog.Logger
	// SHA256 makes the Fetcher compute File.SHA256 while the data arrives.
	// The boot path leaves it off: hashing costs more CPU than the
	// transfer on a slow guest (about 10 MiB/s under QEMU's TCG, a third
	// of the time of a TFTP boot), and nothing there uses the digest.
	// Signed boot verifies its own signatures over the data.
	SHA256 bool
	// HTTPClient replaces the HTTP client built from the fields above
	// (for tests and for callers with their own transport). Its timeouts
	// and TLS settings are then the caller's.
	HTTPClient *http.Client
}

// File is a fetched file, held in memory.
type File struct {
	// URL is the file as asked for.
	URL string
	// Data is the content. It was allocated once when the size was
	// announced (TFTP tsize, HTTP Content-Length).
	Data []byte
	// SHA256 is the digest of Data, computed while it arrived when
	// Options.SHA256 is set; zero otherwise.
	SHA256 [32]byte
	// Duration is the time the successful attempt took.
	Duration time.Duration
	// Attempts is the number of whole-file tries it took.
	Attempts int
}

// A Fetcher fetches files over TFTP, HTTP and HTTPS, and local files,
// into memory. It is
// safe for concurrent use.
type Fetcher struct {
	opts Options
	log  *slog.Logger

	httpOnce   sync.Once
	httpClient *http.Client

	// poolOnce loads pool, the CAs HTTPS servers are verified against,
	// on the first HTTPS connection.
	poolOnce sync.Once
	pool     *x509.CertPool
	poolErr  error

	// tftpMu lets one TFTP transfer run at a time. Lock-step transfers
	// gain nothing from sharing a slow CPU (measured: two at once were
	// no faster than one after the other in a TCG guest), and the
	// client's blocking reads (tftpconn_linux.go) would starve each other
	// on a 1-CPU machine.
	tftpMu sync.Mutex

	// memMu makes a memory check and the allocation it allows one step.
	memMu sync.Mutex
	// reserved counts bytes allocated for transfers in flight that have
	// not arrived yet: they are not yet reflected in MemAvailable, so
	// each memory check adds them.
	reserved atomic.Int64
}

// New returns a Fetcher with the given options.
func New(opts Options) *Fetcher {
	opts.TFTPTimeout = positive.Or(opts.TFTPTimeout, DefaultTFTPTimeout)
	opts.TFTPWindowSize = min(positive.Or(opts.TFTPWindowSize, DefaultTFTPWindowSize), maxWindowSize)
	opts.TFTPStall = max(positive.Or(opts.TFTPStall, DefaultTFTPStall), opts.TFTPTimeout)
	opts.IdleTimeout = positive.Or(opts.IdleTimeout, DefaultIdleTimeout)
	opts.Attempts = positive.Or(opts.Attempts, DefaultAttempts)
	opts.RetryDelay = positive.Or(opts.RetryDelay, DefaultRetryDelay)
	opts.Concurrency = positive.Or(opts.Concurrency, DefaultConcurrency)
	if opts.MemCheck == nil {
		opts.MemCheck = MemAvailable
	}
	return &Fetcher{opts: opts, log: logging.Or(opts.Logger)}
}

// Fetch fetches one file named by a URL: tftp://host[:port]/name,
// http://..., https://... or file:///path (a file of this machine, such
// as a kernel on a mounted disk). Every error is an [*Error].
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*File, error) {
	loc, err := parseLocation(rawURL)
	if err != nil {
		return nil, &Error{URL: rawURL, Attempts: 0, Err: err}
	}
	delay := f.opts.RetryDelay
	for attempt := 1; ; attempt++ {
		if loc.scheme == schemeTFTP {
			f.tftpMu.Lock()
		}
		start := time.Now()
		data, sum, err := f.fetchOnce(ctx, loc)
		if loc.scheme == schemeTFTP {
			f.tftpMu.Unlock()
		}
		if err == nil {
			file := &File{URL: rawURL, Data: data, SHA256: sum, Duration: time.Since(start), Attempts: attempt}
			f.report(Status{URL: rawURL, Done: int64(len(data)), Total: int64(len(data)), Elapsed: file.Duration, Finished: true})
			return file, nil
		}
		ferr := &Error{URL: rawURL, Server: loc.server, Attempts: attempt, Err: err}
		if attempt >= f.opts.Attempts || loc.scheme == schemeFile || !retryable(err) || ctx.Err() != nil {
			f.report(Status{URL: rawURL, Total: -1, Elapsed: time.Since(start), Finished: true, Err: ferr})
			return nil, ferr
		}
		f.log.Info("fetch failed, trying again", "url", rawURL, "attempt", attempt, "delay", delay, "err", err)
		select {
		case <-ctx.Done():
			ferr.Err = fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
			return nil, ferr
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// FetchAll fetches several files (kernel and initrds) in the order
// given, at most Options.Concurrency and at most one per P
// (runtime.GOMAXPROCS) at a time; TFTP transfers take turns. files[i]
// belongs to urls[i] and is nil when that file failed; err joins one
// [*Error] per failed file.
//
// One transfer per P, because the reads of a transfer hold their P while
// they wait for the next data (httpconn_linux.go, tftpconn_linux.go): on
// one CPU the files then go one after another, over one keep-alive
// connection per server. In a 1-CPU s390x TCG guest fetching 31 MB
// (kernel, 26 MB and 1 MB initrds over HTTP from the host's loopback;
// one run each, back to back, at load 6-9 on 2 CPUs) three at once
// through the netpoller took 6.7 s; one after another 8.1 s; three at
// once with the held reads 6.2 s (each starves the others of the P); one
// after another with held reads 3.4 s, against busybox wget's 3.2 s for
// the same files at the same load.
func (f *Fetcher) FetchAll(ctx context.Context, urls []string) (files []*File, err error) {
	files = make([]*File, len(urls))
	errs := make([]error, len(urls))
	var next atomic.Int64 // the index of the next file to fetch
	var wg sync.WaitGroup
	for range min(len(urls), f.opts.Concurrency, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(urls) {
					return
				}
				files[i], errs[i] = f.fetchGuarded(ctx, urls[i])
			}
		}()
	}
	wg.Wait()
	return files, errors.Join(errs...)
}

// fetchGuarded is Fetch for a FetchAll worker. A panic there (in a
// Progress or MemCheck callback, or a bug) would end the program: the
// caller's recover cannot see the worker's goroutine. It fails this file
// instead.
func (f *Fetcher) fetchGuarded(ctx context.Context, u string) (file *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, &Error{URL: u, Err: fmt.Errorf("panic while fetching: %v\n%s", r, debug.Stack())}
		}
	}()
	return f.Fetch(ctx, u)
}

func (f *Fetcher) fetchOnce(ctx context.Context, loc *location) ([]byte, [32]byte, error) {
	switch loc.scheme {
	case schemeTFTP:
		return f.fetchTFTP(ctx, loc)
	case schemeFile:
		return f.fetchFile(ctx, loc)
	default:
		return f.fetchHTTP(ctx, loc)
	}
}

// retryable reports whether another try of the whole file may succeed.
func retryable(err error) bool {
	var noAnswer *noAnswerError
	if errors.As(err, &noAnswer) {
		// The request itself went unanswered for the whole stall
		// budget: nobody is there, trying again only multiplies the wait.
		return false
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrAccess) ||
		errors.Is(err, ErrNoMemory) || errors.Is(err, ErrCertificate) ||
		errors.Is(err, ErrDowngrade) || errors.Is(err, ErrBadURL) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, ErrNetwork) || errors.Is(err, ErrServer) || errors.Is(err, ErrTruncated)
}

func (f *Fetcher) report(s Status) {
	if f.opts.Progress != nil {
		f.opts.Progress.Update(s)
	}
}
