package s390image

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/s390netboot/s390netboot/internal/compression"
)

// More sentinel errors; test them with errors.Is. The errors that say what
// a file is instead of a kernel image (ErrELFVmlinux, ErrX86BzImage,
// ErrCompressed) also match ErrNotS390Image.
var (
	// ErrEmpty reports an empty kernel or ramdisk file.
	ErrEmpty = errors.New("empty file")
	// ErrELFVmlinux reports an ELF file, such as the vmlinux a kernel build
	// leaves at the top of its tree, given where the boot image belongs.
	ErrELFVmlinux error = &formatError{"an ELF file (vmlinux?), not an s390 kernel image: use the bzImage/vmlinuz image, not vmlinux"}
	// ErrX86BzImage reports an x86 kernel (a bzImage, "HdrS" at 0x202).
	ErrX86BzImage error = &formatError{"an x86 bzImage, not an s390 kernel image"}
	// ErrCompressed reports a compressed file (gzip, xz, zstd, ...). An s390
	// vmlinuz decompresses itself and is not compressed as a whole.
	ErrCompressed error = &formatError{"a compressed file, not an s390 kernel image"}
	// ErrNoRamdisk reports an image that holds no ramdisk to extract.
	ErrNoRamdisk = errors.New("no ramdisk in the image")
	// ErrOutputIsInput reports an output path that names one of the inputs.
	ErrOutputIsInput = errors.New("the output would overwrite an input")
)

// formatError is a sentinel that also matches ErrNotS390Image.
type formatError struct{ msg string }

func (e *formatError) Error() string        { return e.msg }
func (e *formatError) Is(target error) bool { return target == ErrNotS390Image }

// Signatures of files that are not s390 kernel images. Sources: the ELF
// specification (e_ident), Linux Documentation/arch/x86/boot.rst (header
// magic "HdrS" at 0x202), Documentation/arch/arm64/booting.rst and
// riscv/boot-image-header.rst (magic at 0x38), cpio (newc, "070701"); the
// compression magics are package internal/compression's.
const (
	x86HeaderOffset  = 0x202 // struct setup_header.header
	x86HeaderMagic   = "HdrS"
	imageMagicOffset = 0x38 // arm64 and riscv Image header magic
	arm64ImageMagic  = "ARM\x64"
	riscvImageMagic  = "RSC\x05"
	elfMagic         = "\x7fELF"
	elfMachineS390   = 22 // EM_S390, e_machine at 0x12 (big-endian for s390)
)

// identify checks that hdr, the first bytes of a file of size bytes, is an
// s390 kernel image and decodes its parameter area. hdr must reach the end
// of the command line area when the file does. The error says what the
// file seems to be instead.
func identify(hdr []byte, size int64) (ParmArea, error) {
	if size == 0 {
		return ParmArea{}, ErrEmpty
	}
	if err := notAKernel(hdr); err != nil {
		return ParmArea{}, err
	}
	if size < CmdlineOffset {
		if size >= MagicOffset+int64(len(MagicString)) && !HasMagic(hdr) {
			return ParmArea{}, fmt.Errorf("%w: %d bytes and no %q at %#x", ErrNotS390Image, size, MagicString, MagicOffset)
		}
		return ParmArea{}, fmt.Errorf("%w: %d bytes, the parameter area alone needs %d", ErrTruncated, size, CmdlineOffset)
	}
	p, err := ReadParmArea(hdr)
	if err != nil {
		return p, err
	}
	if end := int64(CmdlineOffset + p.CmdlineMax()); size < end {
		return p, fmt.Errorf("%w: %d bytes, the command line area ends at %#x", ErrTruncated, size, end)
	}
	return p, nil
}

// notAKernel recognises the files people give by mistake.
func notAKernel(hdr []byte) error {
	at := func(off int, magic string) bool {
		return len(hdr) >= off+len(magic) && string(hdr[off:off+len(magic)]) == magic
	}
	switch {
	case at(0, elfMagic):
		if len(hdr) >= 0x14 && binary.BigEndian.Uint16(hdr[0x12:]) == elfMachineS390 {
			return fmt.Errorf("%w (an s390 ELF executable)", ErrELFVmlinux)
		}
		return ErrELFVmlinux
	case at(x86HeaderOffset, x86HeaderMagic):
		return ErrX86BzImage
	case at(imageMagicOffset, arm64ImageMagic):
		return fmt.Errorf("%w: an arm64 kernel Image", ErrNotS390Image)
	case at(imageMagicOffset, riscvImageMagic):
		return fmt.Errorf("%w: a riscv kernel Image", ErrNotS390Image)
	case at(0, "070701"), at(0, "070702"):
		return fmt.Errorf("%w: a cpio archive (a ramdisk?); the kernel comes first, then the ramdisk", ErrNotS390Image)
	}
	if c, ok := compression.Detect(hdr); ok {
		return fmt.Errorf("%w (%s): decompress a packed kernel first; if this is the ramdisk, the kernel comes first", ErrCompressed, c.Name)
	}
	return nil
}
