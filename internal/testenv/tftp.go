package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// TFTPServer is a real pin/tftp server for tests, on 127.0.0.1:
//
//	addr := testenv.TFTPServer{Open: testenv.TFTPFiles(map[string][]byte{
//		"pxelinux.cfg/default": []byte("DEFAULT k\nLABEL k\n  KERNEL vmlinuz\n"),
//	})}.Start(t)
type TFTPServer struct {
	// Open returns the file a read request names (without a leading
	// slash) and its size, which the server announces (tsize, RFC 2349)
	// when it is 0 or more; with -1, pin/tftp still announces the size
	// of an r it can seek. ok false answers "file not found".
	Open func(name string) (r io.Reader, size int64, ok bool)
	// FixedBlockSize turns block size negotiation (RFC 2348) off: every
	// block is 512 bytes, whatever the client asks for.
	FixedBlockSize bool
	// Addr is the host:port to listen on; "" is 127.0.0.1:0, an
	// ephemeral port. A port still held by a server that is stopping is
	// tried again for up to 5 s.
	Addr string
	// Timeout and Retries are the server's retransmission timeout and
	// tries per packet; 0 leaves pin/tftp's defaults (5 s, 5 tries).
	Timeout time.Duration
	Retries int
}

// TFTPFiles serves files from a map (pin/tftp announces their sizes when
// the client asks).
func TFTPFiles(files map[string][]byte) func(string) (io.Reader, int64, bool) {
	return func(name string) (io.Reader, int64, bool) {
		data, ok := files[name]
		return bytes.NewReader(data), -1, ok
	}
}

// TFTPDir serves the files below root; names that would leave root are
// not found.
func TFTPDir(root string) func(string) (io.Reader, int64, bool) {
	return func(name string) (io.Reader, int64, bool) {
		f, err := os.OpenInRoot(root, name)
		if err != nil {
			return nil, 0, false
		}
		return f, -1, true
	}
}

// Start starts the server, retransmitting without backoff, and returns
// its host:port. The server stops at the end of the test.
func (s TFTPServer) Start(t testing.TB) string {
	t.Helper()
	addr, _ := s.Run(t)
	return addr
}

// Run is Start that also returns a function that stops the server before
// the test ends (it is also stopped then), for tests of a server that
// goes away.
func (s TFTPServer) Run(t testing.TB) (addr string, stop func()) {
	t.Helper()
	srv := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		r, size, ok := s.Open(strings.TrimPrefix(name, "/"))
		if !ok {
			return fmt.Errorf("%s: file not found", name)
		}
		if c, isCloser := r.(io.Closer); isCloser {
			defer c.Close()
		}
		if ot, isOut := rf.(tftp.OutgoingTransfer); isOut && size >= 0 {
			ot.SetSize(size)
		}
		_, err := rf.ReadFrom(r)
		return err
	}, nil)
	if s.FixedBlockSize {
		srv.SetBlockSizeNegotiation(false)
	}
	if s.Timeout != 0 {
		srv.SetTimeout(s.Timeout)
	}
	if s.Retries != 0 {
		srv.SetRetries(s.Retries)
	}
	srv.SetBackoff(func(int) time.Duration { return 0 })
	listen := s.Addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	udp, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		t.Fatalf("TFTP server address %q: %v", listen, err)
	}
	var conn *net.UDPConn
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if conn, err = net.ListenUDP("udp", udp); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TFTP server: listen %s: %v", listen, err)
		}
	}
	go srv.Serve(conn)
	var once sync.Once
	stop = func() { once.Do(srv.Shutdown) }
	t.Cleanup(stop)
	return conn.LocalAddr().String(), stop
}
