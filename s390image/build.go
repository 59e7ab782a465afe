package s390image

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Options control Build and the *File functions.
type Options struct {
	// Cmdline replaces the kernel command line when SetCmdline is true:
	// the whole command line area is zeroed and Cmdline written at
	// CmdlineOffset. It must pass CheckCmdline. Without SetCmdline the
	// command line area is left as it is.
	Cmdline    string
	SetCmdline bool

	// Logger receives what Build decides (replacing an embedded ramdisk,
	// ignoring ramdisk fields that point outside the kernel). Nil discards.
	Logger *slog.Logger

	// CheckRamdisk, when not nil, reads the ramdisk while Build or
	// WriteLoadFiles copies it (in its own goroutine) and returns an error
	// for one the kernel could not unpack; the copy then stops and fails
	// with that error, so that no output is committed. It need not read to
	// the end. mks390image sets it to a check by initramfs.Identify; this
	// package does not decide what a good ramdisk is.
	CheckRamdisk func(io.Reader) error

	// Stdin and Stdout stand for the path "-" in the *File functions;
	// nil means os.Stdin and os.Stdout.
	Stdin  io.Reader
	Stdout io.Writer

	// kernelName and ramdiskName name the inputs in errors; the *File
	// functions set them to the paths.
	kernelName, ramdiskName string
}

// kernel and ramdisk return how errors name the inputs.
func (o *Options) kernel() string  { return cmp.Or(o.kernelName, "kernel") }
func (o *Options) ramdisk() string { return cmp.Or(o.ramdiskName, "ramdisk") }

func (o *Options) logger() *slog.Logger { return logging.Or(o.Logger) }

// Layout says what Build wrote.
type Layout struct {
	// KernelSize is the number of kernel bytes taken from the input: all of
	// it, or the part before the ramdisk of an input that already was a
	// single boot image.
	KernelSize int64
	// RamdiskOffset and RamdiskSize are the values written at
	// InitrdStartOffset and InitrdSizeOffset: the kernel size rounded up
	// to RamdiskAlign, and the ramdisk's length.
	RamdiskOffset int64
	RamdiskSize   int64
	// ReplacedRamdisk is the size of the ramdisk the input kernel carried
	// and the output no longer does, 0 when it carried none.
	ReplacedRamdisk int64
	// Cmdline is the command line of the output.
	Cmdline string
	// Size is the length of the output.
	Size int64
}

// UnknownSize is the ramdisk size to give Build when the ramdisk is a
// stream whose length is known only at its end.
const UnknownSize = -1

// Build writes a single boot image to dst: the kernel (kernelSize bytes
// read from kernel) zero-padded to a multiple of RamdiskAlign, then the
// ramdisk unchanged, with the ramdisk's offset and size written big-endian
// at InitrdStartOffset and InitrdSizeOffset. Without opts.SetCmdline
// nothing else changes: the output is byte for byte what concatenating
// the padded kernel and the ramdisk and patching those 16 bytes gives.
//
// The ramdisk is streamed: Build holds only the kernel's parameter area
// in memory. It copies exactly ramdiskSize bytes and fails when the
// ramdisk ends early. With ramdiskSize UnknownSize it copies the ramdisk
// to its end and then writes its size through dst's WriteAt, so dst must
// be an io.WriterAt (such as an *os.File) positioned at offset 0.
//
// When the kernel already is a single boot image (its ramdisk fields point
// at a ramdisk inside it), Build replaces that ramdisk instead of stacking
// a second one behind it, logs so, and reports it in Layout.ReplacedRamdisk.
//
// A nil ramdisk keeps whatever ramdisk the kernel carries and only applies
// opts.Cmdline: the input is copied whole.
func Build(dst io.Writer, kernel io.ReaderAt, kernelSize int64, ramdisk io.Reader, ramdiskSize int64, opts Options) (*Layout, error) {
	k, err := openKernel(kernel, kernelSize, ramdisk != nil, opts.logger())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.kernel(), err)
	}
	l := &Layout{KernelSize: k.size, ReplacedRamdisk: k.dropped, Cmdline: k.parm.Cmdline}
	if ramdisk != nil {
		if ramdiskSize == 0 {
			return nil, fmt.Errorf("%s: %w", opts.ramdisk(), ErrEmpty)
		}
		l.RamdiskOffset = alignUp(k.size, RamdiskAlign)
		l.RamdiskSize = max(ramdiskSize, 0)
		if err := SetInitrd(k.hdr, uint64(l.RamdiskOffset), uint64(l.RamdiskSize)); err != nil {
			return nil, err
		}
	} else {
		l.RamdiskOffset, l.RamdiskSize = int64(k.parm.InitrdStart), int64(k.parm.InitrdSize)
	}
	if opts.SetCmdline {
		// identify made sure the area is there: only the line can be wrong.
		if err := SetCmdline(k.hdr, opts.Cmdline); err != nil {
			return nil, err
		}
		l.Cmdline = opts.Cmdline
	}
	if err := k.writeTo(dst); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.kernel(), err)
	}
	l.Size = k.size
	if ramdisk == nil {
		return l, nil
	}
	if err := writeZeros(dst, l.RamdiskOffset-k.size); err != nil {
		return nil, fmt.Errorf("padding the kernel: %w", err)
	}
	l.Size = l.RamdiskOffset

	// The ramdisk, streamed.
	ramdisk, checked := opts.watchRamdisk(ramdisk)
	if err := copyRamdisk(dst, ramdisk, ramdiskSize, l, opts); err != nil {
		checked()
		return nil, err
	}
	if err := checked(); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.ramdisk(), err)
	}
	l.Size += l.RamdiskSize
	return l, nil
}

// copyRamdisk copies the ramdisk to dst, after the kernel, and records its
// size in l.
func copyRamdisk(dst io.Writer, ramdisk io.Reader, ramdiskSize int64, l *Layout, opts Options) error {
	if ramdiskSize == UnknownSize {
		wa, ok := dst.(io.WriterAt)
		if !ok {
			return errors.New("a ramdisk of unknown size needs an output that supports WriteAt")
		}
		n, err := io.Copy(dst, ramdisk)
		if err != nil {
			return fmt.Errorf("%s: %w", opts.ramdisk(), err)
		}
		if n == 0 {
			return fmt.Errorf("%s: %w", opts.ramdisk(), ErrEmpty)
		}
		l.RamdiskSize = n
		var size [8]byte
		binary.BigEndian.PutUint64(size[:], uint64(n))
		if _, err := wa.WriteAt(size[:], InitrdSizeOffset); err != nil {
			return fmt.Errorf("writing the ramdisk size at %#x: %w", InitrdSizeOffset, err)
		}
	} else if err := copyExactly(dst, ramdisk, ramdiskSize); err != nil {
		return fmt.Errorf("%s: %w", opts.ramdisk(), err)
	}
	return nil
}

// watchRamdisk returns a reader of the same bytes as r that also feeds
// o.CheckRamdisk, and a function that waits for the check and returns its
// result. Once the check has failed, reads return its error, so that a
// copy stops early. Without a check, r comes back unchanged.
func (o *Options) watchRamdisk(r io.Reader) (io.Reader, func() error) {
	if o.CheckRamdisk == nil {
		return r, func() error { return nil }
	}
	pr, pw := io.Pipe()
	w := &watched{r: r, pw: pw, done: make(chan struct{})}
	go func() {
		w.err = o.CheckRamdisk(pr)
		// The check need not read to the end: later writes fail, and
		// the copy goes on without it.
		pr.CloseWithError(errCheckDone)
		close(w.done)
	}()
	return w, func() error {
		pw.Close()
		<-w.done
		return w.err
	}
}

// errCheckDone tells the copy that the check has read what it needs.
var errCheckDone = errors.New("ramdisk check done")

// watched is a reader that copies what it reads into a pipe to a check.
type watched struct {
	r      io.Reader
	pw     *io.PipeWriter
	done   chan struct{} // closed when the check has returned
	err    error         // the check's result, after done
	closed bool          // the check reads no more
}

func (w *watched) Read(p []byte) (int, error) {
	select {
	case <-w.done:
		if w.err != nil {
			return 0, w.err
		}
	default:
	}
	n, err := w.r.Read(p)
	if n > 0 && !w.closed {
		if _, werr := w.pw.Write(p[:n]); werr != nil {
			w.closed = true
		}
	}
	if err != nil && err != io.EOF {
		w.pw.CloseWithError(err)
	}
	return n, err
}

// kernelPart is the kernel of an input image: its parameter area in
// memory (hdr, to be patched) and the rest to be copied from r.
type kernelPart struct {
	r       io.ReaderAt
	hdr     []byte
	parm    ParmArea
	size    int64 // kernel bytes to write, without an embedded ramdisk
	dropped int64 // size of the embedded ramdisk left behind, if any
}

// openKernel reads and checks the parameter area of the kernel image r.
// With dropRamdisk, a ramdisk embedded in it is left out of the part.
func openKernel(r io.ReaderAt, size int64, dropRamdisk bool, log *slog.Logger) (*kernelPart, error) {
	hdr, p, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	k := &kernelPart{r: r, hdr: hdr, parm: p, size: size}
	if !dropRamdisk {
		return k, nil
	}
	switch rd := locateRamdisk(p, size); rd.where {
	case ramdiskInFile:
		// locateRamdisk guarantees InitrdStart >= len(hdr).
		k.size = int64(p.InitrdStart)
		k.dropped = int64(p.InitrdSize)
		log.Info("the kernel already is a single boot image: replacing its ramdisk",
			"offset", p.InitrdStart, "size", p.InitrdSize, "trailing", rd.trailing)
	case ramdiskTruncated:
		return nil, fmt.Errorf("%w: %s", ErrTruncated, rd.problem)
	case ramdiskInKernel:
		return nil, fmt.Errorf("%w: %s", ErrNotS390Image, rd.problem)
	case ramdiskBeyondEOF:
		log.Info("overwriting ramdisk fields that point beyond the kernel",
			"offset", p.InitrdStart, "size", p.InitrdSize)
	}
	return k, nil
}

// writeTo writes the patched header and the rest of the kernel part.
func (k *kernelPart) writeTo(dst io.Writer) error {
	if _, err := dst.Write(k.hdr); err != nil {
		return fmt.Errorf("writing the header: %w", err)
	}
	rest := io.NewSectionReader(k.r, int64(len(k.hdr)), k.size-int64(len(k.hdr)))
	if err := copyExactly(dst, rest, rest.Size()); err != nil {
		return fmt.Errorf("copying: %w", err)
	}
	return nil
}

// copyExactly copies n bytes from src to dst and fails when src ends
// first. Through io.Copy, *os.File to *os.File copies stay in the kernel
// (copy_file_range).
func copyExactly(dst io.Writer, src io.Reader, n int64) error {
	got, err := io.Copy(dst, io.LimitReader(src, n))
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("%w after %d of %d bytes (did the file shrink?)", io.ErrUnexpectedEOF, got, n)
	}
	return nil
}

// alignUp rounds n up to a multiple of align, a power of two.
func alignUp(n, align int64) int64 { return (n + align - 1) &^ (align - 1) }

var zeros [RamdiskAlign]byte

func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
