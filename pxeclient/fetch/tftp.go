package fetch

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// TFTP block sizes, RFC 2348: 512 is the classic size, 65464 the largest
// a UDP datagram can carry. fallbackBlockSize fits a 1500-byte Ethernet
// MTU: 1500 - 20 (IPv4) - 8 (UDP) - 4 (TFTP header).
const (
	minBlockSize      = 512
	maxBlockSize      = 65464
	fallbackBlockSize = 1468
	// Header bytes below the TFTP data: IPv4 (20) or IPv6 (40), UDP (8),
	// TFTP opcode and block number (4).
	tftpOverhead4 = 20 + 8 + 4
	tftpOverhead6 = 40 + 8 + 4
)

// noAnswerError marks a request the server never answered: trying the
// whole file again would only repeat the wait.
type noAnswerError struct{ err error }

func (e *noAnswerError) Error() string { return e.err.Error() }
func (e *noAnswerError) Unwrap() error { return e.err }

// tftpRetries is how many timeouts in a row end a transfer: the stall
// budget in units of the per-packet timeout, at least 1. A packet is sent
// that many times before the transfer is given up.
func (f *Fetcher) tftpRetries() int {
	return max(1, int((f.opts.TFTPStall+f.opts.TFTPTimeout-1)/f.opts.TFTPTimeout))
}

// fetchTFTP fetches loc over TFTP, asking for the blksize and tsize
// options and asking again without them when the server refuses options
// (error code 8, RFC 2347).
func (f *Fetcher) fetchTFTP(ctx context.Context, loc *location) ([]byte, [32]byte, error) {
	data, sum, err := f.receiveTFTP(ctx, loc, true)
	var te *TFTPError
	if errors.As(err, &te) && te.Code == tftpErrOptionsDeny {
		f.log.Debug("TFTP server refused options, asking without", "server", loc.server, "file", loc.name)
		data, sum, err = f.receiveTFTP(ctx, loc, false)
	}
	return data, sum, err
}

// tftpTransfer is one read transfer (RFC 1350 with the options of RFC
// 2347-2349 and RFC 7440), run by the client side: the client
// acknowledges every window of blocks (one block without the windowsize
// option), and when blocks stop coming for the timeout, or a block
// arrives beyond a gap, it acknowledges the last block it has in order,
// which makes the server send again from there.
type tftpTransfer struct {
	f       *Fetcher
	ctx     context.Context
	loc     *location
	c       *udpConn
	retries int

	buf      []byte // receive buffer: one block, its header and a byte more
	ackBuf   [4]byte
	sink     *sink
	received int64
}

func (f *Fetcher) receiveTFTP(ctx context.Context, loc *location, withOptions bool) ([]byte, [32]byte, error) {
	var sum [32]byte
	server, err := resolveUDP(ctx, loc.server)
	if err != nil {
		return nil, sum, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	c, err := dialUDP(server, f.opts.TFTPTimeout)
	if err != nil {
		return nil, sum, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	defer c.close()
	t := &tftpTransfer{f: f, ctx: ctx, loc: loc, c: c, retries: f.tftpRetries()}
	defer func() {
		if t.sink != nil {
			t.sink.release()
		}
	}()
	blksize, window := 0, 1
	if withOptions {
		blksize, window = f.blockSize(loc.server), f.opts.TFTPWindowSize
	}
	got, err := t.run(server, blksize, window)
	if err != nil {
		return nil, sum, err
	}
	data, sum := t.sink.result()
	f.log.Debug("TFTP transfer done", "server", loc.server, "file", loc.name, "bytes", len(data), "blksize", got.blksize, "windowsize", got.window)
	return data, sum, nil
}

// run asks server for the file with the given blksize (0: no options)
// and window, receives it into t.sink and returns the options the server
// granted.
func (t *tftpTransfer) run(server netip.AddrPort, blksize, window int) (oack, error) {
	t.buf = make([]byte, max(blksize, minBlockSize)+tftpHeader+1)
	n, peer, err := t.request(server, requestPacket(t.loc.name, blksize, window))
	if err != nil {
		return oack{}, err
	}
	// The server's reply comes from its transfer ID (RFC 1350 section
	// 4): from now on only that address and port are heard.
	if err := t.c.connect(peer); err != nil {
		return oack{}, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	got := oack{blksize: minBlockSize, tsize: -1, window: 1}
	if binary.BigEndian.Uint16(t.buf) == opOACK {
		o, err := parseOACK(t.buf[2:n])
		if err != nil {
			t.abort(tftpErrOptionsDeny, "bad option acknowledgment")
			return got, fmt.Errorf("%w: %w", ErrServer, err)
		}
		if o.blksize > blksize || o.window > window {
			t.abort(tftpErrOptionsDeny, "option value larger than requested")
			return got, fmt.Errorf("%w: server acknowledged blksize %d and windowsize %d, more than the %d and %d asked for",
				ErrServer, o.blksize, o.window, blksize, window)
		}
		if o.blksize != 0 {
			got.blksize = o.blksize
		}
		if o.window != 0 {
			got.window = o.window
		}
		got.tsize = o.tsize
		if err := t.newSink(got.tsize); err != nil {
			return got, err
		}
		if n, _, err = t.next(1, true, got.window); err != nil {
			return got, err
		}
	} else if err := t.newSink(-1); err != nil {
		// The server ignored the options and sent block 1 at once.
		return got, err
	}
	inWindow := 0
	for block := uint16(1); ; block++ { // block numbers wrap from 65535 to 0, as servers do
		payload := t.buf[tftpHeader:n]
		if len(payload) > got.blksize {
			t.abort(tftpErrUndefined, "block larger than blksize")
			return got, fmt.Errorf("%w: block %d holds %d bytes, the block size is %d", ErrServer, block, len(payload), got.blksize)
		}
		if _, err := t.sink.Write(payload); err != nil {
			t.abort(abortCode(err), err.Error())
			return got, err
		}
		t.received += int64(len(payload))
		if len(payload) < got.blksize {
			// The last block. A lost final ACK costs the server its
			// retransmissions, not us the file.
			t.c.write(ackPacket(t.ackBuf[:], block))
			break
		}
		// The server's window starts behind the block last
		// acknowledged: the client acknowledges every got.window blocks
		// from there.
		inWindow++
		ack := inWindow == got.window
		if ack {
			inWindow = 0
		}
		var acked bool
		if n, acked, err = t.next(block+1, ack, got.window); err != nil {
			return got, err
		}
		if acked {
			inWindow = 0
		}
	}
	if got.tsize >= 0 && t.received < got.tsize {
		return got, fmt.Errorf("%w: server announced %d bytes (tsize) and sent %d", ErrTruncated, got.tsize, t.received)
	}
	return got, nil
}

// newSink allocates the buffer for a file of size bytes (-1: unknown),
// telling the server when it does not fit.
func (t *tftpTransfer) newSink(size int64) error {
	s, err := t.f.newSink(t.loc.raw, size)
	if err != nil {
		t.abort(abortCode(err), err.Error())
		return err
	}
	t.sink = s
	return nil
}

// abortCode is the TFTP error code that tells the server why the client
// stops.
func abortCode(err error) uint16 {
	if errors.Is(err, ErrNoMemory) {
		return tftpErrDiskFull
	}
	return tftpErrUndefined
}

// abort tells the server the transfer is over (best effort).
func (t *tftpTransfer) abort(code uint16, msg string) {
	t.c.write(errorPacket(code, msg))
}

// request sends the read request to server until an answer comes from
// the server's address: an OACK or DATA block 1, which it leaves in
// t.buf. An ERROR answer is returned as a *TFTPError.
func (t *tftpTransfer) request(server netip.AddrPort, req []byte) (int, netip.AddrPort, error) {
	for try := 0; try < t.retries; try++ {
		if err := t.ctx.Err(); err != nil {
			return 0, netip.AddrPort{}, err
		}
		if err := t.c.writeTo(req, server); err != nil {
			return 0, netip.AddrPort{}, fmt.Errorf("%w: %w", ErrNetwork, err)
		}
		deadline := time.Now().Add(t.f.opts.TFTPTimeout)
		for time.Now().Before(deadline) {
			n, from, err := t.c.readFrom(t.buf)
			if err == errTimeout {
				break
			}
			if err != nil {
				return 0, from, fmt.Errorf("%w: %w", ErrNetwork, err)
			}
			if from.Addr() != server.Addr() || n < tftpHeader {
				continue // not the server, or not a TFTP packet
			}
			switch binary.BigEndian.Uint16(t.buf) {
			case opOACK:
				return n, from, nil
			case opDATA:
				if binary.BigEndian.Uint16(t.buf[2:]) == 1 {
					return n, from, nil
				}
			case opERROR:
				te, err := parseError(t.buf[2:n])
				if err != nil {
					return 0, from, fmt.Errorf("%w: %w", ErrServer, err)
				}
				return 0, from, te
			}
		}
	}
	silence := t.f.opts.TFTPTimeout * time.Duration(t.retries)
	return 0, netip.AddrPort{}, &noAnswerError{fmt.Errorf("%w: no answer to the request in %v (%d tries, %v apart)",
		ErrNetwork, silence.Round(time.Millisecond), t.retries, t.f.opts.TFTPTimeout)}
}

// next waits for DATA block want and leaves it in t.buf, first
// acknowledging block want-1 when ack is set. On each timeout, and once
// when a block beyond want shows that one was lost, it acknowledges
// want-1 (again), so the server sends from want on, and reports that it
// did: the server's next window starts there. Without a window (1), a
// repeat of block want-1 means the server missed that acknowledgment,
// which is sent again at once; with a window, repeats are normal (windows
// overlap after a loss) and are dropped.
func (t *tftpTransfer) next(want uint16, ack bool, window int) (n int, acked bool, err error) {
	p := ackPacket(t.ackBuf[:], want-1)
	if ack {
		if err := t.c.write(p); err != nil {
			return 0, false, fmt.Errorf("%w: after %d bytes: %w", ErrNetwork, t.received, err)
		}
	}
	// Cancellation is checked every ctxCheckBlocks blocks and on every
	// timeout, not for every block: this is the per-block path.
	if want%ctxCheckBlocks == 0 {
		if err := t.cancelled(); err != nil {
			return 0, false, err
		}
	}
	gapAcked := false
	for tries := 0; ; {
		n, err := t.c.read(t.buf)
		if err == errTimeout {
			if err := t.cancelled(); err != nil {
				return 0, acked, err
			}
			if tries++; tries >= t.retries {
				silence := t.f.opts.TFTPTimeout * time.Duration(t.retries)
				return 0, acked, fmt.Errorf("%w: server went silent after %d bytes (nothing for %v)", ErrNetwork, t.received, silence.Round(time.Millisecond))
			}
			if err := t.c.write(p); err != nil {
				return 0, acked, fmt.Errorf("%w: after %d bytes: %w", ErrNetwork, t.received, err)
			}
			acked = true
			continue
		}
		if err != nil {
			return 0, acked, fmt.Errorf("%w: after %d bytes: %w", ErrNetwork, t.received, err)
		}
		if n < tftpHeader {
			continue
		}
		switch binary.BigEndian.Uint16(t.buf) {
		case opDATA:
			block := binary.BigEndian.Uint16(t.buf[2:])
			resend := false
			switch ahead := block - want; {
			case ahead == 0:
				return n, acked, nil
			case ahead < 0x8000:
				// A block past a lost one.
				resend, gapAcked = !gapAcked, true
			case block == want-1:
				// A repeat of the last block.
				resend = window == 1
			}
			if resend {
				if err := t.c.write(p); err != nil {
					return 0, acked, fmt.Errorf("%w: after %d bytes: %w", ErrNetwork, t.received, err)
				}
				acked = true
			}
		case opERROR:
			te, perr := parseError(t.buf[2:n])
			if perr != nil {
				return 0, acked, fmt.Errorf("%w: transfer aborted after %d bytes: %w", ErrServer, t.received, perr)
			}
			// An ERROR in the middle of a transfer is an abort, not a
			// missing file.
			return 0, acked, fmt.Errorf("%w: transfer aborted after %d bytes: %v", ErrServer, t.received, te)
		}
	}
}

// ctxCheckBlocks is how often (in blocks) a transfer looks at its
// context: 32 blocks take a few milliseconds.
const ctxCheckBlocks = 32

// cancelled returns the context's error, telling the server first.
func (t *tftpTransfer) cancelled() error {
	if err := t.ctx.Err(); err != nil {
		t.abort(tftpErrUndefined, "transfer cancelled")
		return err
	}
	return nil
}

// resolveUDP turns host:port into an address, looking the host up when
// it is a name.
func resolveUDP(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(hostport); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(p)), nil
}

// blockSize is the blksize to ask server for.
func (f *Fetcher) blockSize(server string) int {
	if f.opts.TFTPBlockSize != 0 {
		return min(max(f.opts.TFTPBlockSize, minBlockSize), maxBlockSize)
	}
	return pathBlockSize(server)
}

// pathBlockSize returns the largest block that reaches server in one
// unfragmented datagram: the MTU of the interface the route to server
// leaves by, minus the headers. A UDP "connect" sends nothing; it only
// picks the route and source address.
func pathBlockSize(server string) int {
	c, err := net.Dial("udp", server)
	if err != nil {
		return fallbackBlockSize
	}
	la, _ := c.LocalAddr().(*net.UDPAddr)
	c.Close()
	if la == nil {
		return fallbackBlockSize
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return fallbackBlockSize
	}
	for _, ifi := range ifaces {
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || !ipn.IP.Equal(la.IP) {
				continue
			}
			overhead := tftpOverhead6
			if la.IP.To4() != nil {
				overhead = tftpOverhead4
			}
			return min(max(ifi.MTU-overhead, minBlockSize), maxBlockSize)
		}
	}
	return fallbackBlockSize
}
