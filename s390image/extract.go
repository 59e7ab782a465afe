package s390image

import (
	"fmt"
	"io"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Extract splits the single boot image r (size bytes) into its kernel and
// its ramdisk. The kernel (the bytes before the ramdisk) goes to kernel
// with the ramdisk fields zeroed; the ramdisk goes to ramdisk unchanged.
// Either writer may be nil to skip that part. Bytes after the ramdisk are
// left out. The Layout describes the image r.
//
// Extract undoes Build: building from the extracted kernel and ramdisk
// gives the image back byte for byte, and extracting what Build made from
// a kernel whose size is a multiple of RamdiskAlign (as distribution
// kernels are) gives that kernel back. A smaller kernel comes back with
// Build's zero padding.
//
// It returns ErrNoRamdisk when the image holds no ramdisk, and ErrTruncated
// when the ramdisk it points to runs past the end of the file.
func Extract(r io.ReaderAt, size int64, kernel, ramdisk io.Writer) (*Layout, error) {
	k, err := openKernel(r, size, true, logging.Or(nil))
	if err != nil {
		return nil, err
	}
	p := k.parm
	if k.dropped == 0 {
		return nil, fmt.Errorf("%w: ramdisk fields %#x (offset), %d (size) in a %d-byte file", ErrNoRamdisk, p.InitrdStart, p.InitrdSize, size)
	}
	l := &Layout{KernelSize: k.size, RamdiskOffset: int64(p.InitrdStart), RamdiskSize: int64(p.InitrdSize), Cmdline: p.Cmdline, Size: size}
	if kernel != nil {
		if err := SetInitrd(k.hdr, 0, 0); err != nil {
			return nil, err
		}
		if err := k.writeTo(kernel); err != nil {
			return nil, fmt.Errorf("kernel: %w", err)
		}
	}
	if ramdisk != nil {
		src := io.NewSectionReader(r, l.RamdiskOffset, l.RamdiskSize)
		if err := copyExactly(ramdisk, src, l.RamdiskSize); err != nil {
			return nil, fmt.Errorf("ramdisk: %w", err)
		}
	}
	return l, nil
}
