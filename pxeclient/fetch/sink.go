package fetch

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"math"
	"time"
)

// Buffer growth when the size is not announced: start small (configs are
// a few KiB), double up to growDoubleLimit, then grow by a quarter, so
// that a large file of unknown size needs at most 1.25 times its size
// plus the old buffer during the copy.
const (
	initialUnknownSize = 64 << 10
	growDoubleLimit    = 64 << 20
)

// sink receives one file: it holds the buffer, hashes what arrives and
// reports progress. Sizes known in advance get one exact allocation.
type sink struct {
	f     *Fetcher
	url   string
	total int64 // announced size, -1 when unknown
	buf   []byte
	hash  hash.Hash // nil unless Options.SHA256

	// reserved is the part of cap(buf) beyond len(buf), counted in
	// f.reserved until it is filled or released; zero when prefault
	// mapped it (MemAvailable counts it then).
	reserved int64

	start      time.Time
	lastReport time.Time
	unchecked  int // bytes since the clock was last read
}

// reportCheckBytes is how often (in bytes received) the sink looks at the
// clock for a progress report: 64 KiB is 45 TFTP blocks of 1428 bytes,
// a few milliseconds on the slowest link this runs on.
const reportCheckBytes = 64 << 10

// newSink allocates the buffer for a file of the announced size total
// (-1 when unknown).
func (f *Fetcher) newSink(url string, total int64) (*sink, error) {
	s := &sink{f: f, url: url, total: total, start: time.Now()}
	if f.opts.SHA256 {
		s.hash = sha256.New()
	}
	capacity := total
	if total < 0 {
		capacity = initialUnknownSize
	}
	if err := s.resize(capacity); err != nil {
		return nil, err
	}
	s.report()
	return s, nil
}

// resize gives the buffer the new capacity, checking memory first.
func (s *sink) resize(capacity int64) error {
	if capacity > math.MaxInt {
		return fmt.Errorf("%w: %s does not fit this machine's address space", ErrNoMemory, formatSize(capacity))
	}
	f := s.f
	f.memMu.Lock()
	defer f.memMu.Unlock()
	others := f.reserved.Load() - s.reserved
	if err := f.opts.MemCheck(capacity + others); err != nil {
		what := "file is " + formatSize(capacity)
		if s.total < 0 {
			// The size was not announced: capacity is the next buffer.
			what = fmt.Sprintf("file of unannounced size needs a %s buffer after %s", formatSize(capacity), formatSize(int64(len(s.buf))))
		}
		if others > 0 {
			return fmt.Errorf("%s, %s more are due for other files: %w", what, formatSize(others), err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	nb := make([]byte, len(s.buf), int(capacity))
	left := capacity - int64(len(nb))
	if prefault(nb[len(nb):cap(nb)]) {
		left = 0 // mapped: MemAvailable counts it from now on
	}
	copy(nb, s.buf)
	s.buf = nb
	f.reserved.Add(left - s.reserved)
	s.reserved = left
	return nil
}

// grow makes room for n more bytes when the buffer is full.
func (s *sink) grow(n int) error {
	need := int64(len(s.buf)) + int64(n)
	c := int64(cap(s.buf))
	next := c * 2
	if c >= growDoubleLimit {
		next = c + c/4
	}
	return s.resize(max(next, need, initialUnknownSize))
}

// Write appends p (the TFTP path: one block at a time). The caller checks
// for cancellation.
func (s *sink) Write(p []byte) (int, error) {
	if len(p) > cap(s.buf)-len(s.buf) {
		if err := s.grow(len(p)); err != nil {
			return 0, err
		}
	}
	s.buf = append(s.buf, p...)
	s.committed(p)
	return len(p), nil
}

// readFrom reads r to its end straight into the buffer (the HTTP path).
func (s *sink) readFrom(r io.Reader) error {
	for {
		if len(s.buf) == cap(s.buf) {
			if s.total >= 0 && int64(len(s.buf)) == s.total {
				// Announced size reached: expect the end, without
				// growing the buffer.
				var probe [1]byte
				n, err := r.Read(probe[:])
				if n > 0 {
					return fmt.Errorf("%w: server sent more than the %d bytes it announced", ErrServer, s.total)
				}
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				continue
			}
			if err := s.grow(1); err != nil {
				return err
			}
		}
		n, err := r.Read(s.buf[len(s.buf):cap(s.buf)])
		if n > 0 {
			s.buf = s.buf[:len(s.buf)+n]
			s.committed(s.buf[len(s.buf)-n:])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *sink) committed(p []byte) {
	if s.hash != nil {
		s.hash.Write(p)
	}
	arrived := min(int64(len(p)), s.reserved)
	s.reserved -= arrived
	s.f.reserved.Add(-arrived)
	// The clock is read every reportCheckBytes, not for every block.
	if s.unchecked += len(p); s.unchecked >= reportCheckBytes {
		s.unchecked = 0
		if time.Since(s.lastReport) >= progressTick {
			s.report()
		}
	}
}

func (s *sink) report() {
	s.lastReport = time.Now()
	s.f.report(Status{URL: s.url, Done: int64(len(s.buf)), Total: s.total, Elapsed: time.Since(s.start)})
}

// release gives back the reservation of the unfilled rest of the buffer.
// It is called once the transfer is over, successful or not.
func (s *sink) release() {
	s.f.reserved.Add(-s.reserved)
	s.reserved = 0
}

// result returns the data and its digest (zero without Options.SHA256).
func (s *sink) result() ([]byte, [32]byte) {
	var sum [32]byte
	if s.hash != nil {
		s.hash.Sum(sum[:0])
	}
	return s.buf, sum
}
