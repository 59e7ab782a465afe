package fetch

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// windowServer is a TFTP server with the windowsize option (RFC 7440)
// for one file, written for this test because pin/tftp's server has no
// windows (dnsmasq, which has, is the e2e tests' peer). It sends a window
// of blocks after the OACK and after each ACK, starting behind the block
// acknowledged; it retransmits only after retransmit, like dnsmasq's
// timer of seconds. drop lists blocks whose first transmission is lost.
type windowServer struct {
	addr       string
	acks       atomic.Int64
	resends    atomic.Int64 // windows sent because of the timer
	data       []byte
	blksize    int
	drop       map[uint16]bool
	retransmit time.Duration
}

func startWindowServer(t *testing.T, data []byte, blksize int, drop map[uint16]bool, retransmit time.Duration) *windowServer {
	t.Helper()
	s := &windowServer{data: data, blksize: blksize, drop: drop, retransmit: retransmit}
	s.addr = udpPeer(t, func(req []byte, from *net.UDPAddr) []byte {
		fields := bytes.Split(req[2:], []byte{0})
		window := 1
		for i := 2; i+1 < len(fields); i += 2 {
			if string(fields[i]) == "windowsize" {
				window, _ = strconv.Atoi(string(fields[i+1]))
			}
		}
		go s.serve(t, from, window)
		return nil
	})
	return s
}

func (s *windowServer) serve(t *testing.T, peer *net.UDPAddr, window int) {
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, peer)
	if err != nil {
		return
	}
	defer c.Close()
	oack := []byte{0, opOACK}
	oack = append(oack, "blksize\x00"+strconv.Itoa(s.blksize)+"\x00tsize\x00"+strconv.Itoa(len(s.data))+"\x00windowsize\x00"+strconv.Itoa(window)+"\x00"...)
	c.Write(oack)
	blocks := len(s.data)/s.blksize + 1
	lastack := 0 // blocks up to lastack are acknowledged
	buf := make([]byte, 16)
	for {
		c.SetReadDeadline(time.Now().Add(s.retransmit))
		n, err := c.Read(buf)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			s.resends.Add(1)
		} else if err != nil {
			return
		} else if n >= 4 && binary.BigEndian.Uint16(buf) == opACK {
			s.acks.Add(1)
			// Block numbers of this test stay below 65536.
			if b := int(binary.BigEndian.Uint16(buf[2:])); b >= lastack {
				lastack = b
			} else {
				continue // a duplicate ACK: ignored, as dnsmasq does
			}
		} else {
			continue
		}
		if lastack == blocks {
			return
		}
		for b := lastack + 1; b <= min(lastack+window, blocks); b++ {
			if s.drop[uint16(b)] {
				delete(s.drop, uint16(b))
				continue
			}
			off := (b - 1) * s.blksize
			p := binary.BigEndian.AppendUint16([]byte{0, opDATA}, uint16(b))
			c.Write(append(p, s.data[off:min(off+s.blksize, len(s.data))]...))
		}
	}
}

// TestTFTPWindow fetches through windowed transfers: one ACK per window,
// and a lost block (in the middle of a window, and the last of one)
// recovered by the client's ACK of the block before it, not by the
// server's slow timer.
func TestTFTPWindow(t *testing.T) {
	const blksize = 512
	data := testData(100*blksize+17, 9)
	for _, tt := range []struct {
		name     string
		window   int
		drop     map[uint16]bool
		maxAcks  int64
		resendOK bool
	}{
		{"window 16, no loss", 16, nil, 101/16 + 2, false},
		{"window 16, block 20 lost mid-window", 16, map[uint16]bool{20: true}, 101/16 + 4, false},
		{"window 16, block 32 lost at the end of a window", 16, map[uint16]bool{32: true}, 101/16 + 4, false},
		{"window 1 (lock-step)", 1, nil, 102, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startWindowServer(t, data, blksize, tt.drop, 5*time.Second)
			f := New(fast(Options{TFTPBlockSize: blksize, TFTPWindowSize: tt.window, TFTPTimeout: 50 * time.Millisecond}))
			start := time.Now()
			file, err := within(t, 4*time.Second, func() error2[*File] {
				return wrap2(f.Fetch(context.Background(), TFTPURL(srv.addr, "f")))
			}).get()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(file.Data, data) {
				t.Fatalf("got %d bytes that differ from the %d sent", len(file.Data), len(data))
			}
			if a := srv.acks.Load(); a > tt.maxAcks {
				t.Errorf("%d ACKs, want at most %d", a, tt.maxAcks)
			}
			if r := srv.resends.Load(); r != 0 {
				t.Errorf("the server's timer fired %d times: the client did not recover the loss", r)
			}
			t.Logf("%d bytes in %v, %d ACKs", len(data), time.Since(start).Round(time.Millisecond), srv.acks.Load())
			if tt.drop != nil {
				testenv.Fault(t, "TFTP "+tt.name+" (once)",
					fmt.Sprintf("intact, %d ACKs, %d server timeouts", srv.acks.Load(), srv.resends.Load()), time.Since(start), fmt.Sprintf("%d B (compared)", len(file.Data)))
			}
		})
	}
}
