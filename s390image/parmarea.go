package s390image

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout of an s390 kernel image. A file offset is a physical address: the
// image is loaded at 0. Sources: Linux arch/s390/include/asm/setup.h
// (struct parmarea and the *_OFFSET macros), arch/s390/boot/head.S,
// arch/s390/boot/ipl_parm.c; s390-tools include/boot/linux_layout.h.
//
// These offsets live here and only here: the image builder and the kexec
// loader both use them.
const (
	// EntryOffset is where every loader jumps (STARTUP_NORMAL_OFFSET).
	EntryOffset = 0x10000
	// MagicOffset holds MagicString ("S390EP", EP_OFFSET / EP_STRING).
	MagicOffset = 0x10008
	// ParmAreaOffset is the start of struct parmarea (PARMAREA).
	ParmAreaOffset = 0x10400
	// IPLDeviceOffset is parmarea.ipl_device (IPL_DEVICE_OFFSET).
	IPLDeviceOffset = 0x10400
	// InitrdStartOffset is parmarea.initrd_start (INITRD_START_OFFSET):
	// the physical address of the ramdisk, 8 bytes big-endian.
	InitrdStartOffset = 0x10408
	// InitrdSizeOffset is parmarea.initrd_size (INITRD_SIZE_OFFSET),
	// 8 bytes big-endian.
	InitrdSizeOffset = 0x10410
	// OldmemBaseOffset is parmarea.oldmem_base (OLDMEM_BASE_OFFSET), kdump only.
	OldmemBaseOffset = 0x10418
	// OldmemSizeOffset is parmarea.oldmem_size (OLDMEM_SIZE_OFFSET), kdump only.
	OldmemSizeOffset = 0x10420
	// KernelVersionOffset is parmarea.kernel_version (KERNEL_VERSION_OFFSET,
	// Linux 5.x+): the file offset of a NUL-terminated version string, or 0.
	KernelVersionOffset = 0x10428
	// MaxCmdlineSizeOffset is parmarea.max_command_line_size
	// (MAX_COMMAND_LINE_SIZE_OFFSET, Linux 5.16+); 0 means LegacyCmdlineSize.
	MaxCmdlineSizeOffset = 0x10430
	// CmdlineOffset is parmarea.command_line (COMMAND_LINE_OFFSET).
	CmdlineOffset = 0x10480

	// LegacyCmdlineSize is the command line size of kernels that leave
	// MaxCmdlineSizeOffset zero (LEGACY_COMMAND_LINE_SIZE).
	LegacyCmdlineSize = 896
	// MaxCmdlineSizeLimit bounds the size a kernel may announce at
	// MaxCmdlineSizeOffset (CONFIG_COMMAND_LINE_SIZE range 896..1048576,
	// arch/s390/Kconfig). Larger values are treated as corrupt.
	MaxCmdlineSizeLimit = 1 << 20

	// MinImageSize is the smallest file that holds the whole fixed part of
	// the parameter area up to the command line.
	MinImageSize = CmdlineOffset + LegacyCmdlineSize

	// RamdiskAlign is the alignment of a ramdisk in a single boot image (the
	// page size; the s390-tools mk-s390image script pads to it).
	RamdiskAlign = 4096
)

// MagicString is the "s390 kernel ABI" marker at MagicOffset (EP_STRING).
const MagicString = "S390EP"

// Sentinel errors; test them with errors.Is.
var (
	// ErrNotS390Image reports a file that is not an s390 kernel image.
	ErrNotS390Image = errors.New("not an s390 kernel image")
	// ErrTruncated reports an image too short for its parameter area or for
	// the ramdisk it claims to hold.
	ErrTruncated = errors.New("truncated s390 kernel image")
	// ErrBadCmdline reports a command line the kernel would misread.
	ErrBadCmdline = errors.New("invalid kernel command line")
)

// ParmArea is the decoded parameter area of an s390 kernel image.
type ParmArea struct {
	IPLDevice      uint64
	InitrdStart    uint64
	InitrdSize     uint64
	OldmemBase     uint64
	OldmemSize     uint64
	KernelVersion  uint64 // file offset of the version string, 0 if none
	MaxCmdlineSize uint64 // as stored; 0 on kernels older than 5.16
	Cmdline        string // up to the first NUL, at most CmdlineMax()-1 bytes
}

// CmdlineMax returns the size of the command line buffer the kernel
// expects, including the terminating NUL: the stored maximum, or
// LegacyCmdlineSize when the kernel does not announce one.
func (p *ParmArea) CmdlineMax() int {
	if p.MaxCmdlineSize == 0 {
		return LegacyCmdlineSize
	}
	return int(p.MaxCmdlineSize)
}

// HasMagic reports whether b carries the S390EP marker at MagicOffset.
func HasMagic(b []byte) bool {
	return len(b) >= MagicOffset+len(MagicString) &&
		string(b[MagicOffset:MagicOffset+len(MagicString)]) == MagicString
}

// ReadParmArea decodes the parameter area of the image whose first bytes are
// b. b must hold at least the fixed fields; the command line is read as far
// as b reaches. It returns ErrNotS390Image when the S390EP marker is missing
// and ErrTruncated when b is too short.
func ReadParmArea(b []byte) (ParmArea, error) {
	var p ParmArea
	if len(b) < CmdlineOffset {
		if len(b) >= MagicOffset+len(MagicString) && !HasMagic(b) {
			return p, ErrNotS390Image
		}
		return p, fmt.Errorf("%w: %d bytes, the parameter area needs %d", ErrTruncated, len(b), CmdlineOffset)
	}
	if !HasMagic(b) {
		return p, fmt.Errorf("%w: no %q at %#x", ErrNotS390Image, MagicString, MagicOffset)
	}
	be := binary.BigEndian
	p.IPLDevice = be.Uint64(b[IPLDeviceOffset:])
	p.InitrdStart = be.Uint64(b[InitrdStartOffset:])
	p.InitrdSize = be.Uint64(b[InitrdSizeOffset:])
	p.OldmemBase = be.Uint64(b[OldmemBaseOffset:])
	p.OldmemSize = be.Uint64(b[OldmemSizeOffset:])
	p.KernelVersion = be.Uint64(b[KernelVersionOffset:])
	p.MaxCmdlineSize = be.Uint64(b[MaxCmdlineSizeOffset:])
	if p.MaxCmdlineSize != 0 && (p.MaxCmdlineSize < LegacyCmdlineSize || p.MaxCmdlineSize > MaxCmdlineSizeLimit) {
		return p, fmt.Errorf("%w: maximum command line size %d at %#x is outside %d..%d",
			ErrNotS390Image, p.MaxCmdlineSize, MaxCmdlineSizeOffset, LegacyCmdlineSize, MaxCmdlineSizeLimit)
	}
	// The kernel forces a NUL at max-1 (arch/s390/boot/ipl_parm.c), so an
	// area without one still yields at most max-1 bytes.
	area := b[CmdlineOffset:min(len(b), CmdlineOffset+p.CmdlineMax()-1)]
	for i, c := range area {
		if c == 0 {
			area = area[:i]
			break
		}
	}
	p.Cmdline = string(area)
	return p, nil
}

// SetInitrd writes the ramdisk address and size into the parameter area of
// the image in b.
func SetInitrd(b []byte, start, size uint64) error {
	if len(b) < InitrdSizeOffset+8 {
		return fmt.Errorf("%w: %d bytes, the ramdisk fields end at %#x", ErrTruncated, len(b), InitrdSizeOffset+8)
	}
	binary.BigEndian.PutUint64(b[InitrdStartOffset:], start)
	binary.BigEndian.PutUint64(b[InitrdSizeOffset:], size)
	return nil
}

// CheckCmdline reports whether cmdline fits a command line buffer of max
// bytes (NUL included) and holds only printable 7-bit ASCII. The kernel
// converts the whole line from EBCDIC when any byte has bit 0x80 set
// (arch/s390/boot/ipl_parm.c), so such bytes are refused; the error names
// the offending position.
func CheckCmdline(cmdline string, max int) error {
	if len(cmdline) > max-1 {
		return fmt.Errorf("%w: %d bytes, this kernel takes at most %d", ErrBadCmdline, len(cmdline), max-1)
	}
	for i := 0; i < len(cmdline); i++ {
		c := cmdline[i]
		switch {
		case c >= 0x80:
			return fmt.Errorf("%w: byte %#02x at position %d is not 7-bit ASCII (the kernel would read the line as EBCDIC)", ErrBadCmdline, c, i)
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("%w: control character %#02x at position %d", ErrBadCmdline, c, i)
		}
	}
	return nil
}

// SetCmdline zeroes the whole command line area of the image in b (as large
// as the kernel announces) and writes cmdline there. It checks cmdline with
// CheckCmdline first and changes nothing when that fails.
func SetCmdline(b []byte, cmdline string) error {
	p, err := ReadParmArea(b)
	if err != nil {
		return err
	}
	max := p.CmdlineMax()
	if err := CheckCmdline(cmdline, max); err != nil {
		return err
	}
	end := CmdlineOffset + max
	if len(b) < end {
		return fmt.Errorf("%w: %d bytes, the command line area ends at %#x", ErrTruncated, len(b), end)
	}
	clear(b[CmdlineOffset:end])
	copy(b[CmdlineOffset:], cmdline)
	return nil
}
