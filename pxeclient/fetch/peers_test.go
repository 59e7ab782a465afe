package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch/fetchtest"
)

// tftpServer is a testenv.TFTPServer serving files from a map, with
// what the tests of the client vary and count.
type tftpServer struct {
	addr string
	stop func() // stops listening; a stuck transfer stays
	// requests counts read requests.
	requests atomic.Int64
}

type serverConfig struct {
	// timeout is the server's retransmission timeout (pin default 5 s).
	timeout time.Duration
	retries int
	// noTSize serves files through a reader that cannot seek, so the
	// server announces no size.
	noTSize bool
	// lieTSize adds this many bytes to the announced size.
	lieTSize int64
	// wrap wraps the reader of each transfer.
	wrap func(name string, r io.Reader) io.Reader
	// addr is the listening address; "" means 127.0.0.1:0.
	addr string
}

// startTFTP starts a server for files, with 512-byte blocks whatever the
// client asks for, and names not in files answered with an ERROR packet
// (code 1).
func startTFTP(t testing.TB, files map[string][]byte, cfg serverConfig) *tftpServer {
	t.Helper()
	s := &tftpServer{}
	s.addr, s.stop = testenv.TFTPServer{
		Open: func(name string) (io.Reader, int64, bool) {
			s.requests.Add(1)
			data, ok := files[name]
			var r io.Reader = bytes.NewReader(data)
			size := int64(-1)
			if cfg.noTSize {
				r = io.MultiReader(r) // hides Seek
			}
			if cfg.lieTSize != 0 {
				size = int64(len(data)) + cfg.lieTSize
			}
			if cfg.wrap != nil {
				r = cfg.wrap(name, r)
			}
			return r, size, ok
		},
		FixedBlockSize: true,
		Addr:           cfg.addr,
		Timeout:        cfg.timeout,
		Retries:        cfg.retries,
	}.Run(t)
	return s
}

// rawServer answers every read request with the result of reply, for
// behaviour pin/tftp's server cannot show (error codes other than 1).
func rawServer(t testing.TB, reply func(req []byte) []byte) (addr string, requests *atomic.Int64) {
	t.Helper()
	requests = new(atomic.Int64)
	addr = udpPeer(t, func(req []byte, _ *net.UDPAddr) []byte {
		requests.Add(1)
		return reply(req)
	})
	return addr, requests
}

// udpPeer listens on a port of 127.0.0.1 until the test ends, hands
// every datagram that arrives to handle and sends back what it returns
// (nil: nothing). It returns the address (host:port).
func udpPeer(t testing.TB, handle func(p []byte, from *net.UDPAddr) (reply []byte)) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go fetchtest.ServeUDP(c, func(p []byte, from *net.UDPAddr) bool {
		if r := handle(p, from); r != nil {
			c.WriteToUDP(r, from)
		}
		return true
	})
	return c.LocalAddr().String()
}

// testData returns n deterministic pseudo-random bytes.
func testData(n int, seed uint64) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// outcome says what a fetch ended with, for a FAULT line
// (testenv.Fault): the sentinel errors err matches, the attempts of its
// *Error, and the first line of its text.
func outcome(err error) string {
	if err == nil {
		return "no error"
	}
	var is []string
	for _, s := range []struct {
		err  error
		name string
	}{
		{ErrNotFound, "ErrNotFound"}, {ErrAccess, "ErrAccess"}, {ErrNetwork, "ErrNetwork"},
		{ErrServer, "ErrServer"}, {ErrTruncated, "ErrTruncated"}, {ErrNoMemory, "ErrNoMemory"},
		{ErrCertificate, "ErrCertificate"}, {ErrDowngrade, "ErrDowngrade"}, {ErrBadURL, "ErrBadURL"},
		{context.DeadlineExceeded, "context.DeadlineExceeded"}, {context.Canceled, "context.Canceled"},
	} {
		if errors.Is(err, s.err) {
			is = append(is, s.name)
		}
	}
	if len(is) == 0 {
		is = []string{"error"}
	}
	// The first line: a panic's error carries its stack below.
	msg, rest, _ := strings.Cut(err.Error(), "\n")
	if rest != "" {
		msg += fmt.Sprintf(" (and %s)", plural(strings.Count(rest, "\n")+1, "more line"))
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fmt.Sprintf("%s after %s: %s", strings.Join(is, ", "), plural(fe.Attempts, "attempt"), msg)
	}
	return fmt.Sprintf("%s: %s", strings.Join(is, ", "), msg)
}

// plural is "1 attempt", "3 attempts".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// within fails the test when fn does not return within d.
func within[T any](t *testing.T, d time.Duration, fn func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- fn() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("did not finish within %v", d)
		panic("unreachable")
	}
}
