package s390image

import (
	"bytes"
	"fmt"
	"io"
)

// Info describes an s390 kernel image or single boot image, as Inspect
// finds it.
type Info struct {
	Size int64 `json:"size"` // of the whole file
	// Magic is MagicString: Inspect refuses files without it.
	Magic string `json:"magic"`
	// KernelVersion is the string KernelVersionOffset points to, "" when
	// the kernel does not announce one (before Linux 5.x).
	KernelVersion string `json:"kernel_version"`
	// CmdlineMax is the size of the kernel's command line buffer, NUL
	// included; CmdlineMaxStored says whether the kernel announces it
	// (Linux 5.16+) or CmdlineMax is LegacyCmdlineSize.
	CmdlineMax       int    `json:"cmdline_max"`
	CmdlineMaxStored bool   `json:"cmdline_max_stored"`
	Cmdline          string `json:"cmdline"`
	// RamdiskOffset and RamdiskSize are the values at InitrdStartOffset and
	// InitrdSizeOffset; RamdiskInFile says whether the file holds all of
	// them, which makes it a single boot image.
	RamdiskOffset uint64 `json:"ramdisk_offset"`
	RamdiskSize   uint64 `json:"ramdisk_size"`
	RamdiskInFile bool   `json:"ramdisk_in_file"`
	// KernelSize is the number of bytes before the embedded ramdisk, the
	// whole file when it holds none.
	KernelSize int64 `json:"kernel_size"`
	// Notes are oddities worth a look: ramdisk fields that point outside
	// the file, bytes after the ramdisk, a command line the kernel would
	// read as EBCDIC.
	Notes []string `json:"notes,omitempty"`
}

// maxVersionLen bounds the kernel version string Inspect reads. Linux's
// linux_banner-style string (UTS_RELEASE, compiler host, UTS_VERSION) is
// well under it.
const maxVersionLen = 512

// Inspect reads the parameter area of the image r, which is size bytes
// long, and says what it holds. It returns ErrNotS390Image (or one of the
// more specific errors matching it) for other files and ErrTruncated for
// files too short for their parameter area.
func Inspect(r io.ReaderAt, size int64) (*Info, error) {
	hdr, p, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	info := &Info{
		Size:             size,
		Magic:            MagicString,
		CmdlineMax:       p.CmdlineMax(),
		CmdlineMaxStored: p.MaxCmdlineSize != 0,
		Cmdline:          p.Cmdline,
		RamdiskOffset:    p.InitrdStart,
		RamdiskSize:      p.InitrdSize,
		KernelSize:       size,
	}
	note := func(format string, args ...any) { info.Notes = append(info.Notes, fmt.Sprintf(format, args...)) }

	rd := locateRamdisk(p, size)
	switch rd.where {
	case ramdiskInFile:
		info.RamdiskInFile = true
		info.KernelSize = int64(p.InitrdStart)
		if rd.trailing > 0 {
			note("%d bytes follow the ramdisk", rd.trailing)
		}
	case ramdiskBeyondEOF:
		note("the ramdisk fields point at %#x, beyond the end of the file (a load address?)", p.InitrdStart)
	default:
		if rd.problem != "" {
			note("%s", rd.problem)
		}
	}

	if len(hdr) >= CmdlineOffset+p.CmdlineMax() && bytes.IndexByte(hdr[CmdlineOffset:CmdlineOffset+p.CmdlineMax()], 0) < 0 {
		note("the command line area holds no NUL byte: the kernel cuts the line at %d bytes", p.CmdlineMax()-1)
	}
	if err := CheckCmdline(p.Cmdline, p.CmdlineMax()); err != nil {
		note("%v", err)
	}

	if v := p.KernelVersion; v != 0 {
		s, err := readVersion(r, size, v)
		if err != nil {
			note("kernel version at %#x: %v", v, err)
		}
		info.KernelVersion = s
	}
	return info, nil
}

// readHeader reads the start of the image r up to the end of its command
// line area and checks that it is an s390 kernel image.
func readHeader(r io.ReaderAt, size int64) ([]byte, ParmArea, error) {
	if size < 0 {
		return nil, ParmArea{}, fmt.Errorf("negative image size %d", size)
	}
	read := func(n int64) ([]byte, error) {
		b := make([]byte, min(size, n))
		if _, err := r.ReadAt(b, 0); err != nil && !(err == io.EOF && int64(len(b)) == size) {
			return nil, fmt.Errorf("reading the first %d bytes: %w", len(b), err)
		}
		return b, nil
	}
	hdr, err := read(MinImageSize)
	if err != nil {
		return nil, ParmArea{}, err
	}
	p, err := identify(hdr, size)
	if err != nil {
		return nil, p, err
	}
	if max := p.CmdlineMax(); max > LegacyCmdlineSize {
		if hdr, err = read(int64(CmdlineOffset + max)); err != nil {
			return nil, p, err
		}
		p, err = identify(hdr, size)
	}
	return hdr, p, err
}

// readVersion reads the NUL-terminated kernel version string at off.
func readVersion(r io.ReaderAt, size int64, off uint64) (string, error) {
	if off >= uint64(size) {
		return "", fmt.Errorf("beyond the end of the file (%d bytes)", size)
	}
	b := make([]byte, min(maxVersionLen, size-int64(off)))
	n, err := r.ReadAt(b, int64(off))
	if err != nil && err != io.EOF {
		return "", err
	}
	b = b[:n]
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		return "", fmt.Errorf("no NUL within %d bytes", len(b))
	}
	b = b[:end]
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			return "", fmt.Errorf("byte %#02x at position %d is not printable ASCII", c, i)
		}
	}
	return string(b), nil
}

// Where the ramdisk fields of a parameter area point, relative to a file.
const (
	ramdiskNone      = iota // both fields zero, or size zero
	ramdiskInFile           // the file holds the whole ramdisk: a single boot image
	ramdiskBeyondEOF        // a load address past the end of the file
	ramdiskTruncated        // starts in the file, ends past its end
	ramdiskInKernel         // starts inside the parameter area: corrupt
)

type ramdiskPlace struct {
	where    int
	trailing int64  // bytes after an in-file ramdisk
	problem  string // for ramdiskTruncated, ramdiskInKernel and odd ramdiskNone
}

// locateRamdisk says where the ramdisk p points to lies in a file of size
// bytes. It never trusts the fields: sums are checked for overflow.
func locateRamdisk(p ParmArea, size int64) ramdiskPlace {
	start, n, end := p.InitrdStart, p.InitrdSize, uint64(size)
	switch {
	case n == 0 && start == 0:
		return ramdiskPlace{where: ramdiskNone}
	case n == 0:
		return ramdiskPlace{where: ramdiskNone, problem: fmt.Sprintf("ramdisk offset %#x with size 0", start)}
	case start >= end:
		return ramdiskPlace{where: ramdiskBeyondEOF}
	case start < uint64(CmdlineOffset+p.CmdlineMax()):
		return ramdiskPlace{where: ramdiskInKernel,
			problem: fmt.Sprintf("ramdisk offset %#x lies inside the kernel's parameter area (ends at %#x)", start, CmdlineOffset+p.CmdlineMax())}
	case n > end-start:
		return ramdiskPlace{where: ramdiskTruncated,
			problem: fmt.Sprintf("the ramdisk (%d bytes at %#x) ends at %#x, past the end of the file (%d bytes)", n, start, start+n, size)}
	}
	return ramdiskPlace{where: ramdiskInFile, trailing: int64(end - start - n)}
}
