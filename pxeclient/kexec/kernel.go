package kexec

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/s390netboot/s390netboot/internal/compression"
	"github.com/s390netboot/s390netboot/s390image"
)

// Kind says what sort of file a kernel candidate is.
type Kind int

// The kinds Identify tells apart.
const (
	KindUnknown    Kind = iota // none of the below
	KindEmpty                  // no bytes at all
	KindText                   // printable text: an error page, a config file
	KindCPIO                   // a cpio archive (an initramfs given as the kernel)
	KindCompressed             // gzip, xz, zstd, ... as a whole
	KindELF                    // an ELF file such as vmlinux
	KindPE                     // a PE/COFF (EFI) executable that is not a Linux boot image
	KindEFIZboot               // a Linux EFI zboot image (compressed kernel in a PE wrapper)
	KindS390Image              // an s390 kernel image ("S390EP" at 0x10008)
	KindBzImage                // an x86 bzImage ("HdrS" at 0x202)
	KindARM64Image             // an arm64 Image ("ARM\x64" at 0x38)
	KindRISCVImage             // a riscv Image ("RSC\x05" at 0x38)
)

var kindNames = [...]string{
	KindUnknown:    "unknown",
	KindEmpty:      "empty",
	KindText:       "text",
	KindCPIO:       "cpio",
	KindCompressed: "compressed",
	KindELF:        "ELF",
	KindPE:         "PE/COFF",
	KindEFIZboot:   "EFI zboot",
	KindS390Image:  "s390 image",
	KindBzImage:    "bzImage",
	KindARM64Image: "arm64 Image",
	KindRISCVImage: "riscv Image",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Info describes a kernel candidate.
type Info struct {
	Kind Kind
	// Arch is the GOARCH the file runs on ("s390x", "amd64", "386",
	// "arm64", ...), or "" when the file does not say.
	Arch string
	// Compression names the compression of a KindCompressed file or of the
	// payload of a KindEFIZboot image.
	Compression string
	// Version is the kernel version string where the header points to one.
	Version string
	// What describes the file in words, for error messages.
	What string
	// Problem, when not empty, says why a kernel of the right architecture
	// still cannot be loaded by kexec (an old boot protocol, a big-endian
	// arm64 kernel, ...).
	Problem string
	// CmdlineMax is the largest command line the kernel takes, NUL
	// included, when its header says so; 0 when unknown.
	CmdlineMax int
}

// Offsets and values of the headers Identify reads. Sources:
//   - s390: package s390image (arch/s390/include/asm/setup.h);
//   - x86: Linux Documentation/arch/x86/boot.rst (struct setup_header) and
//     the kexec bzImage64 probe in arch/x86/kernel/kexec-bzimage64.c, which
//     decides what kexec_file_load accepts;
//   - arm64: Linux Documentation/arch/arm64/booting.rst (the 64-byte Image
//     header), riscv: Documentation/arch/riscv/boot-image-header.rst;
//   - EFI zboot: drivers/firmware/efi/libstub/zboot-header.S;
//   - ELF e_ident/e_machine and PE machine types: debug/elf, debug/pe;
//   - compression magics: package internal/compression; cpio newc/odc
//     magics.
const (
	x86BootFlagOffset     = 0x1fe // boot_flag, 0xAA55
	x86BootFlag           = 0xaa55
	x86HeaderOffset       = 0x202 // header, "HdrS"
	x86HeaderMagic        = "HdrS"
	x86VersionOffset      = 0x206 // version, boot protocol
	x86KernelVersionPtr   = 0x20e // kernel_version: offset-0x200 of the version string
	x86LoadflagsOffset    = 0x211 // loadflags
	x86LoadedHigh         = 0x01  // LOADED_HIGH: protected-mode code at 0x100000 (a bzImage)
	x86RelocatableOffset  = 0x234 // relocatable_kernel (protocol 2.05+)
	x86XloadflagsOffset   = 0x236 // xloadflags (protocol 2.12+)
	x86XLFKernel64        = 0x01  // XLF_KERNEL_64: has the 64-bit entry point at 0x200
	x86XLFAbove4G         = 0x02  // XLF_CAN_BE_LOADED_ABOVE_4G
	x86CmdlineSizeOffset  = 0x238 // cmdline_size (protocol 2.06+), NUL excluded
	x86MinKexecProtocol   = 0x020c
	x86HeaderEnd          = 0x23c
	x86MinBzImageSize     = 2 * 512 // the kexec probe wants two sectors
	imageMagicOffset      = 0x38    // arm64 and riscv Image header magic
	arm64ImageMagic       = "ARM\x64"
	riscvImageMagic       = "RSC\x05"
	arm64TextOffsetOffset = 0x08 // text_offset, little-endian: the Image's offset from a 2 MiB-aligned base
	arm64ImageSizeOffset  = 0x10 // image_size, little-endian
	arm64FlagsOffset      = 0x18 // flags, little-endian; bit 0 set: big-endian kernel
	arm64FlagBigEndian    = 0x01
	arm64HeaderSize       = 0x40
	arm64CmdlineSize      = 2048 // COMMAND_LINE_SIZE, arch/arm64/include/uapi/asm/setup.h
	peOffsetPtr           = 0x3c // e_lfanew in the MZ header
	zbootMagicOffset      = 4    // "zimg"
	zbootMagic            = "zimg"
	zbootCompressionStart = 0x18 // NUL-terminated compression type
	elfMachineOffset      = 0x12
	textProbeLen          = 512
)

// Identify says what kernel is, reading only its headers.
//
// # Security
//
// kernel is untrusted (it came over the network). Identify reads only
// within len(kernel), at fixed offsets or at offsets it bounds-checks first;
// it never allocates in proportion to a value read from the file, and it
// does not panic on any input (see FuzzCheckKernel).
func Identify(kernel []byte) Info {
	b := kernel
	switch {
	case len(b) == 0:
		return Info{Kind: KindEmpty, What: "an empty file"}
	case s390image.HasMagic(b):
		return identifyS390(b)
	case hasAt(b, x86HeaderOffset, x86HeaderMagic):
		return identifyBzImage(b)
	case hasAt(b, imageMagicOffset, arm64ImageMagic):
		return identifyARM64(b)
	case hasAt(b, imageMagicOffset, riscvImageMagic):
		return Info{Kind: KindRISCVImage, Arch: "riscv64", What: "a riscv64 Image"}
	case hasAt(b, 0, "\x7fELF"):
		return identifyELF(b)
	case hasAt(b, 0, "MZ"):
		return identifyPE(b)
	case hasAt(b, 0, "070701") || hasAt(b, 0, "070702") || hasAt(b, 0, "070707"):
		return Info{Kind: KindCPIO, What: "a cpio archive (an initramfs?)"}
	}
	if c, ok := compression.Detect(b); ok {
		return Info{Kind: KindCompressed, Compression: c.Name, What: c.Name + "-compressed data"}
	}
	if isText(b) {
		probe := b[:min(len(b), 40)]
		what := fmt.Sprintf("a text file starting %q", probe)
		if l := strings.ToLower(string(b[:min(len(b), textProbeLen)])); strings.Contains(l, "<html") || strings.Contains(l, "<!doctype") {
			what = fmt.Sprintf("an HTML page (an HTTP error page?) starting %q", probe)
		}
		return Info{Kind: KindText, What: what}
	}
	return Info{Kind: KindUnknown, What: fmt.Sprintf("an unknown %d-byte file starting % x", len(b), b[:min(len(b), 8)])}
}

func identifyS390(b []byte) Info {
	info := Info{Kind: KindS390Image, Arch: "s390x", What: "an s390 kernel image"}
	p, err := s390image.ReadParmArea(b)
	if err != nil {
		info.Problem = err.Error()
		return info
	}
	if len(b) < s390image.MinImageSize {
		info.Problem = fmt.Sprintf("%d bytes, too short for the parameter area (%d)", len(b), s390image.MinImageSize)
		return info
	}
	info.CmdlineMax = p.CmdlineMax()
	info.Version = cString(b, p.KernelVersion, 256)
	if p.InitrdSize != 0 && p.InitrdStart < uint64(len(b)) && p.InitrdSize <= uint64(len(b))-p.InitrdStart {
		info.What = fmt.Sprintf("an s390 single boot image (kernel with a %d-byte ramdisk at %#x)", p.InitrdSize, p.InitrdStart)
	}
	return info
}

func identifyBzImage(b []byte) Info {
	info := Info{Kind: KindBzImage, Arch: "amd64", What: "an x86 bzImage"}
	le := binary.LittleEndian
	if len(b) < x86HeaderEnd || len(b) < x86MinBzImageSize {
		info.Problem = fmt.Sprintf("%d bytes, too short for an x86 boot header", len(b))
		return info
	}
	version := le.Uint16(b[x86VersionOffset:])
	if p := le.Uint16(b[x86KernelVersionPtr:]); p != 0 {
		info.Version = cString(b, uint64(p)+0x200, 256)
	}
	switch {
	case le.Uint16(b[x86BootFlagOffset:]) != x86BootFlag:
		info.Problem = "no x86 boot sector signature 0xAA55 at 0x1fe"
	case version < x86MinKexecProtocol:
		// Before 2.12 there is no xloadflags to tell 64-bit kernels.
		info.Arch = ""
		info.Problem = fmt.Sprintf("boot protocol %d.%02d, kexec_file_load needs 2.12 or later", version>>8, version&0xff)
	case b[x86LoadflagsOffset]&x86LoadedHigh == 0:
		info.Problem = "a zImage (loaded low), not a bzImage"
	case b[x86XloadflagsOffset]&x86XLFKernel64 == 0:
		info.Arch = "386"
		info.What = "a 32-bit x86 bzImage (no 64-bit entry point)"
	case b[x86RelocatableOffset] == 0:
		info.Problem = "not relocatable (relocatable_kernel is 0)"
	case b[x86XloadflagsOffset]&x86XLFAbove4G == 0:
		info.Problem = "cannot be loaded above 4 GiB (XLF_CAN_BE_LOADED_ABOVE_4G not set)"
	}
	if n := le.Uint32(b[x86CmdlineSizeOffset:]); n != 0 && n < 1<<20 {
		info.CmdlineMax = int(n) + 1 // cmdline_size excludes the NUL
	}
	return info
}

func identifyARM64(b []byte) Info {
	info := Info{Kind: KindARM64Image, Arch: "arm64", What: "an arm64 Image", CmdlineMax: arm64CmdlineSize}
	le := binary.LittleEndian
	switch {
	case len(b) < arm64HeaderSize:
		info.Problem = fmt.Sprintf("%d bytes, too short for the 64-byte Image header", len(b))
	case le.Uint64(b[arm64ImageSizeOffset:]) == 0:
		info.Problem = "image_size is 0 (a kernel older than 3.17, which kexec_file_load refuses)"
	case le.Uint64(b[arm64FlagsOffset:])&arm64FlagBigEndian != 0:
		info.What = "a big-endian arm64 Image"
		info.Problem = "a big-endian kernel; this little-endian system cannot kexec it"
	}
	return info
}

// elfArch maps an ELF machine and class to a GOARCH.
func elfArch(m elf.Machine, class elf.Class, data elf.Data) string {
	switch m {
	case elf.EM_S390:
		if class == elf.ELFCLASS32 {
			return "s390"
		}
		return "s390x"
	case elf.EM_X86_64:
		return "amd64"
	case elf.EM_386:
		return "386"
	case elf.EM_AARCH64:
		return "arm64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC64:
		if data == elf.ELFDATA2LSB {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_LOONGARCH:
		return "loong64"
	}
	return ""
}

func identifyELF(b []byte) Info {
	info := Info{Kind: KindELF, What: "an ELF file"}
	if len(b) < elfMachineOffset+2 {
		return info
	}
	class, data := elf.Class(b[elf.EI_CLASS]), elf.Data(b[elf.EI_DATA])
	var bo binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		bo = binary.BigEndian
	}
	m := elf.Machine(bo.Uint16(b[elfMachineOffset:]))
	info.Arch = elfArch(m, class, data)
	info.What = fmt.Sprintf("an ELF file for %s (a vmlinux?)", m)
	info.Problem = "an ELF file (vmlinux?): kexec here takes the boot image (vmlinuz, bzImage, Image), not vmlinux"
	return info
}

func identifyPE(b []byte) Info {
	info := Info{Kind: KindPE, What: "a PE/COFF (EFI) executable"}
	if hasAt(b, zbootMagicOffset, zbootMagic) {
		info.Kind = KindEFIZboot
		info.Compression = cString(b, zbootCompressionStart, 32)
		info.What = fmt.Sprintf("a Linux EFI zboot image (%s-compressed kernel)", info.Compression)
		info.Problem = "an EFI zboot image: kexec_file_load on this kernel generation takes the uncompressed Image"
	}
	if len(b) >= peOffsetPtr+4 {
		off := uint64(binary.LittleEndian.Uint32(b[peOffsetPtr:]))
		if off+6 <= uint64(len(b)) && string(b[off:off+4]) == "PE\x00\x00" {
			switch binary.LittleEndian.Uint16(b[off+4:]) {
			case pe.IMAGE_FILE_MACHINE_AMD64:
				info.Arch = "amd64"
			case pe.IMAGE_FILE_MACHINE_I386:
				info.Arch = "386"
			case pe.IMAGE_FILE_MACHINE_ARM64:
				info.Arch = "arm64"
			case pe.IMAGE_FILE_MACHINE_RISCV64:
				info.Arch = "riscv64"
			case pe.IMAGE_FILE_MACHINE_LOONGARCH64:
				info.Arch = "loong64"
			}
		}
	}
	if info.Arch != "" {
		info.What += " for " + info.Arch
	}
	if info.Kind == KindPE {
		info.Problem = "an EFI executable (a boot loader or unified kernel image?), not a Linux boot image"
	}
	return info
}

// expected names the kernel format kexec takes on arch.
func expected(arch string) string {
	switch arch {
	case "s390x":
		return `an s390 kernel image ("S390EP" at 0x10008)`
	case "amd64":
		return `a 64-bit x86 bzImage ("HdrS" at 0x202)`
	case "arm64":
		return `an arm64 Image ("ARM\x64" at 0x38), or one compressed with gzip`
	}
	return "a kernel this package can load"
}

// loadable reports whether a kernel of kind k is what kexec takes on arch.
func loadable(arch string, k Kind) bool {
	switch arch {
	case "s390x":
		return k == KindS390Image
	case "amd64":
		return k == KindBzImage
	case "arm64":
		return k == KindARM64Image
	}
	return false
}

// CheckKernel reports whether kernel is a kernel that kexec can load and
// start on a machine of the given GOARCH. The error is a *KernelError that
// matches one of ErrWrongArch, ErrUnsupportedKernel, ErrCompressed or
// ErrNotKernel, and says what the file is and what was expected: a kernel
// for another architecture is never loaded (it would hang the machine
// without a word).
func CheckKernel(arch string, kernel []byte) error {
	info := Identify(kernel)
	kerr := &KernelError{Want: arch, Got: info}
	switch {
	case info.Arch != "" && info.Arch != arch:
		kerr.Err = ErrWrongArch
	case loadable(arch, info.Kind) && info.Problem == "":
		return nil
	case loadable(arch, info.Kind), info.Kind == KindELF, info.Kind == KindPE:
		kerr.Err = ErrUnsupportedKernel
	case info.Kind == KindCompressed, info.Kind == KindEFIZboot:
		kerr.Err = ErrCompressed
	case info.Kind == KindS390Image, info.Kind == KindBzImage, info.Kind == KindARM64Image, info.Kind == KindRISCVImage:
		kerr.Err = ErrWrongArch // a kernel whose architecture this package does not load at all
	default:
		kerr.Err = ErrNotKernel
	}
	return kerr
}

// KernelError says why a file is not a kernel kexec can load here.
type KernelError struct {
	Want string // the GOARCH of this machine
	Got  Info   // what the file is
	Err  error  // ErrWrongArch, ErrUnsupportedKernel, ErrCompressed or ErrNotKernel
}

func (e *KernelError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "%v: the kernel is %s", e.Err, e.Got.What)
	if e.Got.Arch != "" && !strings.Contains(e.Got.What, e.Got.Arch) {
		fmt.Fprintf(&s, " (%s)", e.Got.Arch)
	}
	if e.Got.Problem != "" && !errors.Is(e.Err, ErrWrongArch) {
		fmt.Fprintf(&s, ": %s", e.Got.Problem)
	}
	fmt.Fprintf(&s, "; kexec on GOARCH=%s needs %s", e.Want, expected(e.Want))
	return s.String()
}

func (e *KernelError) Unwrap() error { return e.Err }

// maxInflatedKernel bounds the size of a gzip-compressed arm64 kernel after
// decompression (a distribution arm64 Image is 30–60 MiB).
const maxInflatedKernel = 512 << 20

// inflateARM64 returns the arm64 Image inside a gzip-compressed kernel
// (Image.gz, which some distributions install as vmlinuz), or kernel
// unchanged when it is not gzip-compressed. kexec_file_load on arm64 takes
// only the uncompressed Image.
func inflateARM64(kernel []byte) ([]byte, error) {
	if !hasAt(kernel, 0, compression.Gzip.Magic) {
		return kernel, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(kernel))
	if err != nil {
		return nil, fmt.Errorf("decompressing gzip kernel: %w", err)
	}
	zr.Multistream(false)
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, maxInflatedKernel+1))
	if err != nil {
		return nil, fmt.Errorf("decompressing gzip kernel: %w", err)
	}
	if n > maxInflatedKernel {
		return nil, fmt.Errorf("decompressing gzip kernel: more than %d MiB, not a kernel", maxInflatedKernel>>20)
	}
	if !hasAt(out.Bytes(), imageMagicOffset, arm64ImageMagic) {
		return nil, &KernelError{Want: "arm64", Got: Identify(out.Bytes()), Err: ErrNotKernel}
	}
	return out.Bytes(), nil
}

func hasAt(b []byte, off int, magic string) bool {
	return len(b) >= off+len(magic) && string(b[off:off+len(magic)]) == magic
}

// cString returns the printable NUL-terminated string at off in b, at most
// max bytes, or "" when there is none.
func cString(b []byte, off uint64, max int) string {
	if off == 0 || off >= uint64(len(b)) {
		return ""
	}
	s := b[off:min(uint64(len(b)), off+uint64(max))]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	for _, c := range s {
		if c < 0x20 || c >= 0x7f {
			return ""
		}
	}
	return string(s)
}

// isText reports whether the start of b looks like UTF-8 text.
func isText(b []byte) bool {
	b = b[:min(len(b), textProbeLen)]
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			// A rune cut at the probe's end is still text.
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return false
		}
		b = b[n:]
	}
	return true
}
