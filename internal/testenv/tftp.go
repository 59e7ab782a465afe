package testenv

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
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
}

// TFTPFiles serves files without announcing their sizes.
func TFTPFiles(files map[string][]byte) func(string) (io.Reader, int64, bool) {
	return func(name string) (io.Reader, int64, bool) {
		data, ok := files[name]
		return bytes.NewReader(data), -1, ok
	}
}

// Start starts the server on an ephemeral port, retransmitting without
// backoff, and returns its host:port. The server stops at the end of
// the test.
func (s TFTPServer) Start(t testing.TB) string {
	t.Helper()
	srv := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		r, size, ok := s.Open(strings.TrimPrefix(name, "/"))
		if !ok {
			return fmt.Errorf("%s: file not found", name)
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
	srv.SetBackoff(func(int) time.Duration { return 0 })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(conn)
	t.Cleanup(srv.Shutdown)
	return conn.LocalAddr().String()
}
