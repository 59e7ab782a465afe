package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/pin/tftp/v3"
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

// tftpRetries is the retry count handed to pin/tftp: the stall budget in
// units of the per-packet timeout. pin/tftp stores any value it is
// given, so it is computed here and always at least 1.
func (f *Fetcher) tftpRetries() int {
	return max(1, int((f.opts.TFTPStall+f.opts.TFTPTimeout-1)/f.opts.TFTPTimeout))
}

func (f *Fetcher) fetchTFTP(ctx context.Context, loc *location) ([]byte, [32]byte, error) {
	type result struct {
		data []byte
		sum  [32]byte
		err  error
	}
	// pin/tftp takes no context: the transfer runs on its own and is
	// abandoned on cancellation (its writer fails at the next block).
	done := make(chan result, 1)
	go func() {
		data, sum, err := f.receiveTFTP(ctx, loc, true)
		var te *TFTPError
		if errors.As(err, &te) && te.Code == tftpErrOptionsDeny {
			f.log.Debug("TFTP server refused options, asking without", "server", loc.server, "file", loc.name)
			data, sum, err = f.receiveTFTP(ctx, loc, false)
		}
		done <- result{data, sum, err}
	}()
	select {
	case r := <-done:
		return r.data, r.sum, r.err
	case <-ctx.Done():
		return nil, [32]byte{}, ctx.Err()
	}
}

func (f *Fetcher) receiveTFTP(ctx context.Context, loc *location, withOptions bool) ([]byte, [32]byte, error) {
	var sum [32]byte
	c, err := tftp.NewClient(loc.server)
	if err != nil {
		return nil, sum, fmt.Errorf("%w: %w", ErrNetwork, err)
	}
	// Validated in New: pin/tftp stores bad values anyway.
	c.SetTimeout(f.opts.TFTPTimeout)
	c.SetRetries(f.tftpRetries())
	// The default backoff sleeps a random 0-1 s before every retransmit.
	c.SetBackoff(func(int) time.Duration { return 0 })
	blksize := 0
	if withOptions {
		blksize = f.blockSize(loc.server)
		c.SetBlockSize(blksize)
		c.RequestTSize(true)
	}
	wt, err := c.Receive(loc.name, "octet")
	if err != nil {
		return nil, sum, f.tftpError(err, 0, true)
	}
	// The announced size must be read before WriteTo. pin/tftp reports
	// its own request's "0" when the server ignored the options, so 0
	// counts as unknown.
	total := int64(-1)
	if it, ok := wt.(tftp.IncomingTransfer); ok {
		if n, ok := it.Size(); ok && n > 0 {
			total = n
		}
	}
	s, err := f.newSink(ctx, loc.raw, total)
	if err != nil {
		// WriteTo is the only thing that closes the socket; the failing
		// writer makes it send the server an ERROR and stop.
		wt.WriteTo(failWriter{err})
		return nil, sum, err
	}
	defer s.release()
	n, err := wt.WriteTo(s)
	if err != nil {
		if errors.Is(err, ErrNoMemory) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, sum, err
		}
		return nil, sum, f.tftpError(err, n, false)
	}
	if total >= 0 && n < total {
		return nil, sum, fmt.Errorf("%w: server announced %d bytes (tsize) and sent %d", ErrTruncated, total, n)
	}
	data, sum := s.result()
	f.log.Debug("TFTP transfer done", "server", loc.server, "file", loc.name, "bytes", n, "blksize", blksize)
	return data, sum, nil
}

// tftpError classifies an error from pin/tftp. request is true while the
// request had not been answered yet.
func (f *Fetcher) tftpError(err error, received int64, request bool) error {
	if te, ok := parseTFTPError(err); ok {
		if request {
			return te
		}
		// An ERROR in the middle of a transfer is an abort (pin/tftp's
		// server even sends code 1 for any failed read), not a missing
		// file.
		return fmt.Errorf("%w: transfer aborted after %d bytes: %v", ErrServer, received, te)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		silence := f.opts.TFTPTimeout * time.Duration(f.tftpRetries())
		if request {
			return &noAnswerError{fmt.Errorf("%w: no answer to the request in %v (%d tries, %v apart)",
				ErrNetwork, silence, f.tftpRetries(), f.opts.TFTPTimeout)}
		}
		return fmt.Errorf("%w: server went silent after %d bytes (nothing for %v)", ErrNetwork, received, silence)
	}
	return fmt.Errorf("%w: %w", ErrNetwork, err)
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

// failWriter fails every write with err.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

var _ io.Writer = failWriter{}
