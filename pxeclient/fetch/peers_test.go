package fetch

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// tftpServer is a real pin/tftp server on 127.0.0.1 serving files from a
// map; names not in the map get an ERROR packet (code 1 from pin/tftp).
type tftpServer struct {
	srv  *tftp.Server
	addr string
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

func startTFTP(t testing.TB, files map[string][]byte, cfg serverConfig) *tftpServer {
	t.Helper()
	s := &tftpServer{}
	s.srv = tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		s.requests.Add(1)
		data, ok := files[name]
		if !ok {
			return fmt.Errorf("%s: no such file", name)
		}
		var r io.Reader = bytes.NewReader(data)
		if cfg.noTSize {
			r = io.MultiReader(r) // hides Seek
		}
		if cfg.lieTSize != 0 {
			rf.(tftp.OutgoingTransfer).SetSize(int64(len(data)) + cfg.lieTSize)
		}
		if cfg.wrap != nil {
			r = cfg.wrap(name, r)
		}
		_, err := rf.ReadFrom(r)
		return err
	}, nil)
	s.srv.SetBlockSizeNegotiation(false)
	if cfg.timeout != 0 {
		s.srv.SetTimeout(cfg.timeout)
	}
	if cfg.retries != 0 {
		s.srv.SetRetries(cfg.retries)
	}
	s.srv.SetBackoff(func(int) time.Duration { return 0 })
	addr := cfg.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var conn *net.UDPConn
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, _ := net.ResolveUDPAddr("udp", addr)
		c, err := net.ListenUDP("udp", a)
		if err == nil {
			conn = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen %s: %v", addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.addr = conn.LocalAddr().String()
	go s.srv.Serve(conn)
	t.Cleanup(s.srv.Shutdown)
	return s
}

// rawServer answers every read request with the result of reply, for
// behaviour pin/tftp's server cannot show (error codes other than 1).
func rawServer(t testing.TB, reply func(req []byte) []byte) (addr string, requests *atomic.Int64) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	requests = new(atomic.Int64)
	go func() {
		buf := make([]byte, 1024)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			requests.Add(1)
			if p := reply(buf[:n]); p != nil {
				c.WriteToUDP(p, from)
			}
		}
	}()
	return c.LocalAddr().String(), requests
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

// emulated reports whether the test runs under qemu-user, where
// net.Interfaces does not work.
func emulated() bool {
	if runtime.GOARCH != "s390x" {
		return false
	}
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	return err == nil && !strings.Contains(string(cpuinfo), "IBM/S390")
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
