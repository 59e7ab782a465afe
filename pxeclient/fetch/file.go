package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// fetchFile reads a local file (file:// URL) through a sink, as the
// network schemes do: one allocation of the file's size after the memory
// check, the SHA-256 when asked for, progress reports. A missing file
// matches ErrNotFound, one that may not be read ErrAccess. Only regular
// files are read: a directory, a device or a FIFO is refused.
func (f *Fetcher) fetchFile(ctx context.Context, loc *location) ([]byte, [32]byte, error) {
	var sum [32]byte
	file, err := os.Open(loc.path)
	if err != nil {
		return nil, sum, fileError(err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, sum, fileError(err)
	}
	if !st.Mode().IsRegular() {
		return nil, sum, fmt.Errorf("%s is not a regular file (%s)", loc.path, st.Mode().Type())
	}
	size := st.Size()
	s, err := f.newSink(loc.raw, size)
	if err != nil {
		return nil, sum, err
	}
	defer s.release()
	// A file that grows while it is read gives its first size bytes; one
	// that shrinks is cut short.
	if err := s.readFrom(&ctxReader{ctx: ctx, r: io.LimitReader(file, size)}); err != nil {
		return nil, sum, fileError(err)
	}
	if n := int64(len(s.buf)); n != size {
		return nil, sum, fmt.Errorf("%w: %s ended after %d of its %d bytes", ErrTruncated, loc.path, n, size)
	}
	data, sum := s.result()
	return data, sum, nil
}

// fileError gives a local file's error the sentinel callers branch on.
func fileError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", ErrAccess, err)
	}
	return err
}

// ctxReader stops reading once ctx ends: a big file on a slow disk (a
// USB stick) must not outlive the boot that asked for it.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
