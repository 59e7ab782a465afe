package uki

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The sections the stub reads (systemd-stub(7)), in the order Build writes
// them. The kernel comes last, as ukify puts it.
const (
	SectionOSRel   = ".osrel"
	SectionCmdline = ".cmdline"
	SectionInitrd  = ".initrd"
	SectionUcode   = ".ucode" // a microcode initrd, loaded before .initrd
	SectionLinux   = ".linux"
)

// stubMagicSection holds systemd-stub's "#### LoaderInfo: systemd-stub
// VERSION ####" string.
const stubMagicSection = ".sdmagic"

// DefaultOSRelease is the .osrel section Build writes when Image.OSRelease
// is empty: what a boot menu (systemd-boot, the firmware's) calls the
// image.
const DefaultOSRelease = `NAME="s390netboot"
ID=s390netboot
PRETTY_NAME="s390netboot network boot client"
HOME_URL="https://github.com/s390netboot/s390netboot"
`

// Errors that Build and Inspect wrap.
var (
	ErrNotPE       = errors.New("not a PE/COFF executable")
	ErrNotEFI      = errors.New("not an EFI application")
	ErrMachine     = errors.New("kernel and stub are for different machines")
	ErrSigned      = errors.New("the stub carries a signature")
	ErrHasSection  = errors.New("the stub already has a unified kernel image section")
	ErrNoRoom      = errors.New("no room for more section headers")
	ErrMissingPart = errors.New("missing part")
)

// machine is what this package knows about one PE machine type: the
// GOARCH name, the file name suffix of systemd's stub and of the UEFI
// removable media path (UEFI 2.10 section 3.5.1.1, table 3.5).
type machine struct {
	goarch string
	efi    string // BOOT<efi>.EFI
	stub   string // linux<stub>.efi.stub
}

var machines = map[uint16]machine{
	pe.IMAGE_FILE_MACHINE_AMD64:       {"amd64", "X64", "x64"},
	pe.IMAGE_FILE_MACHINE_ARM64:       {"arm64", "AA64", "aa64"},
	pe.IMAGE_FILE_MACHINE_I386:        {"386", "IA32", "ia32"},
	pe.IMAGE_FILE_MACHINE_ARMNT:       {"arm", "ARM", "arm"},
	pe.IMAGE_FILE_MACHINE_RISCV64:     {"riscv64", "RISCV64", "riscv64"},
	pe.IMAGE_FILE_MACHINE_LOONGARCH64: {"loong64", "LOONGARCH64", "loongarch64"},
}

// EFIArch returns the UEFI name of goarch's architecture ("X64" for
// amd64, "AA64" for arm64), the vocabulary of the removable media path
// and of the Boot Loader Specification's architecture key; "" for an
// architecture without UEFI (s390x).
func EFIArch(goarch string) string {
	for _, m := range machines {
		if m.goarch == goarch {
			return m.efi
		}
	}
	return ""
}

// stubDir is where Debian's systemd-boot-efi installs the stubs.
const stubDir = "/usr/lib/systemd/boot/efi"

// DefaultStub returns where Debian's systemd-boot-efi package installs the
// stub for goarch, or "" for an architecture without one.
func DefaultStub(goarch string) string {
	for _, m := range machines {
		if m.goarch == goarch {
			return stubDir + "/linux" + m.stub + ".efi.stub"
		}
	}
	return ""
}

// RemovablePath returns the path, inside an EFI system partition, that
// UEFI firmware boots from removable media and from disks without boot
// entries, for an executable of goarch: "EFI/BOOT/BOOTX64.EFI" for amd64.
func RemovablePath(goarch string) (string, error) {
	for _, m := range machines {
		if m.goarch == goarch {
			return "EFI/BOOT/BOOT" + m.efi + ".EFI", nil
		}
	}
	return "", fmt.Errorf("no UEFI removable media path for GOARCH=%s", goarch)
}

func machineName(m uint16) string {
	if a, ok := machines[m]; ok {
		return a.goarch
	}
	return fmt.Sprintf("PE machine %#x", m)
}

// Image is what Build puts together.
type Image struct {
	Stub      []byte // systemd's EFI stub
	Kernel    []byte // a Linux kernel with an EFI stub (an x86 bzImage, an arm64 Image, ...)
	Initrd    []byte // the initrd; empty: none
	Ucode     []byte // a microcode initrd, loaded before Initrd; empty: none
	Cmdline   string // the kernel command line; empty: none
	OSRelease string // the .osrel text; empty: DefaultOSRelease
}

// PE/COFF layout (Microsoft PE format specification).
const (
	peOffsetPtr     = 0x3c // e_lfanew: file offset of "PE\0\0"
	coffHeaderSize  = 20
	sectionHdrSize  = 40
	optSizeOfInit   = 8  // SizeOfInitializedData, in both PE32 and PE32+
	optSizeOfImage  = 56 // SizeOfImage
	optSizeOfHdrs   = 60 // SizeOfHeaders
	optCheckSum     = 64 // CheckSum
	coffNumSections = 2  // NumberOfSections, in the COFF header
	dirSecurity     = 4  // IMAGE_DIRECTORY_ENTRY_SECURITY: the Authenticode signature

	// IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ: the flags of a
	// read-only data section.
	dataSection = pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ
)

// header is what Build needs of a PE file's headers.
type header struct {
	file         *pe.File
	machine      uint16
	subsystem    uint16
	sectAlign    uint32
	fileAlign    uint32
	sizeOfHdrs   uint32
	sizeOfImage  uint32
	security     pe.DataDirectory
	dirs         []pe.DataDirectory // the data directories
	optOff       int                // offset of the optional header
	sectTableOff int                // offset of the section table
}

func parseHeader(b []byte) (*header, error) { return readHeader(bytes.NewReader(b), int64(len(b))) }

// readHeader is parseHeader for the size bytes of r; it reads the
// headers only.
func readHeader(r io.ReaderAt, size int64) (*header, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotPE, err)
	}
	// debug/pe also reads bare COFF objects; an image has the MZ stub
	// pointing at "PE\0\0", and the fields Build writes.
	var dos [peOffsetPtr + 4]byte
	if _, err := r.ReadAt(dos[:], 0); err != nil || string(dos[:2]) != "MZ" {
		return nil, fmt.Errorf("%w: no MZ header", ErrNotPE)
	}
	peOff := uint64(binary.LittleEndian.Uint32(dos[peOffsetPtr:]))
	var sig [4]byte
	if peOff+4 > uint64(size) {
		return nil, fmt.Errorf("%w: no PE signature at %#x", ErrNotPE, peOff)
	}
	if _, err := r.ReadAt(sig[:], int64(peOff)); err != nil || string(sig[:]) != "PE\x00\x00" {
		return nil, fmt.Errorf("%w: no PE signature at %#x", ErrNotPE, peOff)
	}
	h := &header{file: f, machine: f.Machine}
	h.optOff = int(peOff) + 4 + coffHeaderSize
	h.sectTableOff = h.optOff + int(f.SizeOfOptionalHeader)
	if f.SizeOfOptionalHeader < optCheckSum+4 {
		return nil, fmt.Errorf("%w: optional header of %d bytes", ErrNotPE, f.SizeOfOptionalHeader)
	}
	switch o := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		h.subsystem, h.sectAlign, h.fileAlign = o.Subsystem, o.SectionAlignment, o.FileAlignment
		h.sizeOfHdrs, h.sizeOfImage = o.SizeOfHeaders, o.SizeOfImage
		h.dirs = o.DataDirectory[:min(int(o.NumberOfRvaAndSizes), len(o.DataDirectory))]
	case *pe.OptionalHeader32:
		h.subsystem, h.sectAlign, h.fileAlign = o.Subsystem, o.SectionAlignment, o.FileAlignment
		h.sizeOfHdrs, h.sizeOfImage = o.SizeOfHeaders, o.SizeOfImage
		h.dirs = o.DataDirectory[:min(int(o.NumberOfRvaAndSizes), len(o.DataDirectory))]
	default:
		return nil, fmt.Errorf("%w: no optional header (an object file, not an executable)", ErrNotPE)
	}
	if len(h.dirs) > dirSecurity {
		h.security = h.dirs[dirSecurity]
	}
	if !isPow2(h.sectAlign) || !isPow2(h.fileAlign) {
		return nil, fmt.Errorf("%w: section alignment %#x, file alignment %#x: not powers of two", ErrNotPE, h.sectAlign, h.fileAlign)
	}
	if int64(h.sectTableOff)+int64(sectionHdrSize*len(f.Sections)) > size {
		return nil, fmt.Errorf("%w: section table ends beyond the file", ErrNotPE)
	}
	return h, nil
}

func isPow2(n uint32) bool { return n != 0 && n&(n-1) == 0 }

// part is one section Build adds.
type part struct {
	name string
	data []byte
}

// Build returns the unified kernel image of img: the stub with the .osrel,
// .cmdline, .initrd and .linux sections added (.cmdline and .initrd only
// when not empty). The stub must be an unsigned EFI application without
// these sections; the kernel must be an EFI executable for the same
// machine.
func Build(img Image) ([]byte, error) {
	if len(img.Stub) == 0 || len(img.Kernel) == 0 {
		return nil, fmt.Errorf("%w: a UKI needs a stub and a kernel", ErrMissingPart)
	}
	h, err := parseHeader(img.Stub)
	if err != nil {
		return nil, fmt.Errorf("stub: %w", err)
	}
	if h.subsystem != pe.IMAGE_SUBSYSTEM_EFI_APPLICATION {
		return nil, fmt.Errorf("stub: %w (subsystem %d)", ErrNotEFI, h.subsystem)
	}
	if h.security.Size != 0 {
		return nil, fmt.Errorf("stub: %w (%d bytes at %#x); adding sections would void it: use the unsigned stub and sign the UKI", ErrSigned, h.security.Size, h.security.VirtualAddress)
	}
	k, err := parseHeader(img.Kernel)
	if err != nil {
		return nil, fmt.Errorf("kernel: %w (a kernel built with CONFIG_EFI_STUB is a PE executable)", err)
	}
	if k.machine != h.machine {
		return nil, fmt.Errorf("%w: the kernel is for %s, the stub for %s", ErrMachine, machineName(k.machine), machineName(h.machine))
	}
	if k.subsystem != pe.IMAGE_SUBSYSTEM_EFI_APPLICATION {
		return nil, fmt.Errorf("kernel: %w (subsystem %d)", ErrNotEFI, k.subsystem)
	}
	osrel := img.OSRelease
	if osrel == "" {
		osrel = DefaultOSRelease
	}
	if strings.IndexByte(img.Cmdline, 0) >= 0 {
		return nil, fmt.Errorf("command line: a NUL byte at %d", strings.IndexByte(img.Cmdline, 0))
	}
	parts := []part{{SectionOSRel, []byte(osrel)}}
	if img.Cmdline != "" {
		parts = append(parts, part{SectionCmdline, []byte(img.Cmdline)})
	}
	if len(img.Initrd) > 0 {
		parts = append(parts, part{SectionInitrd, img.Initrd})
	}
	if len(img.Ucode) > 0 {
		parts = append(parts, part{SectionUcode, img.Ucode})
	}
	parts = append(parts, part{SectionLinux, img.Kernel})
	return appendSections(img.Stub, h, parts)
}

// appendSections writes parts as new sections of the PE file b.
func appendSections(b []byte, h *header, parts []part) ([]byte, error) {
	for _, s := range h.file.Sections {
		for _, p := range parts {
			if s.Name == p.name {
				return nil, fmt.Errorf("stub: %w: %s (an existing UKI, not a stub?)", ErrHasSection, s.Name)
			}
		}
	}
	// The new headers go behind the existing ones; they must end before
	// the first section's data and its image address.
	n := len(h.file.Sections)
	tableEnd := h.sectTableOff + sectionHdrSize*(n+len(parts))
	limit := uint64(len(b))
	var nextVA uint64
	for _, s := range h.file.Sections {
		if s.Size > 0 {
			limit = min(limit, uint64(s.Offset))
		}
		limit = min(limit, uint64(s.VirtualAddress))
		nextVA = max(nextVA, uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)))
	}
	sizeOfHdrs := max(uint64(h.sizeOfHdrs), alignUp(uint64(tableEnd), uint64(h.fileAlign)))
	if sizeOfHdrs > limit {
		return nil, fmt.Errorf("stub: %w: %d section headers end at %#x, the first section starts at %#x", ErrNoRoom, n+len(parts), tableEnd, limit)
	}
	// The bytes behind the table are padding unless a data directory
	// points there (in the header area an address is a file offset).
	// Zeros, or filler such as the NOPs gnu-efi's arm64 header pads with.
	oldEnd := h.sectTableOff + sectionHdrSize*n
	for i, d := range h.dirs {
		if i != dirSecurity && d.Size > 0 && uint64(d.VirtualAddress) < uint64(tableEnd) && uint64(d.VirtualAddress)+uint64(d.Size) > uint64(oldEnd) {
			return nil, fmt.Errorf("stub: %w: data directory %d at %#x lies behind the section table (%#x-%#x)", ErrNoRoom, i, d.VirtualAddress, oldEnd, tableEnd)
		}
	}
	if f := h.file.PointerToSymbolTable; f != 0 && uint64(f) < uint64(tableEnd) {
		return nil, fmt.Errorf("stub: %w: the symbol table at %#x lies behind the section table", ErrNoRoom, f)
	}

	fileOff := alignUp(uint64(len(b)), uint64(h.fileAlign))
	nextVA = alignUp(max(nextVA, uint64(h.sizeOfImage)), uint64(h.sectAlign))
	var total uint64
	for _, p := range parts {
		total += alignUp(uint64(len(p.data)), uint64(h.fileAlign))
	}
	if fileOff+total > 1<<32-1 || nextVA+total > 1<<32-1 {
		return nil, fmt.Errorf("the image would be %d bytes: PE addresses are 32 bits", fileOff+total)
	}
	out := make([]byte, fileOff, fileOff+total)
	copy(out, b)
	le := binary.LittleEndian
	var initData uint32
	for i, p := range parts {
		raw := uint32(alignUp(uint64(len(p.data)), uint64(h.fileAlign)))
		sh := out[h.sectTableOff+sectionHdrSize*(n+i):][:sectionHdrSize]
		clear(sh) // no relocations, no line numbers
		copy(sh[0:8], p.name)
		le.PutUint32(sh[8:], uint32(len(p.data))) // VirtualSize
		le.PutUint32(sh[12:], uint32(nextVA))     // VirtualAddress
		le.PutUint32(sh[16:], raw)                // SizeOfRawData
		le.PutUint32(sh[20:], uint32(len(out)))   // PointerToRawData
		le.PutUint32(sh[36:], dataSection)        // Characteristics
		out = append(out, p.data...)
		out = append(out, make([]byte, int(raw)-len(p.data))...)
		nextVA = alignUp(nextVA+uint64(len(p.data)), uint64(h.sectAlign))
		initData += raw
	}
	coff := h.optOff - coffHeaderSize
	le.PutUint16(out[coff+coffNumSections:], uint16(n+len(parts)))
	le.PutUint32(out[h.optOff+optSizeOfInit:], le.Uint32(out[h.optOff+optSizeOfInit:])+initData)
	le.PutUint32(out[h.optOff+optSizeOfImage:], uint32(nextVA))
	le.PutUint32(out[h.optOff+optSizeOfHdrs:], uint32(sizeOfHdrs))
	le.PutUint32(out[h.optOff+optCheckSum:], 0)
	le.PutUint32(out[h.optOff+optCheckSum:], checksum(out, h.optOff+optCheckSum))
	return out, nil
}

// checksum is the PE image checksum (the algorithm of imagehlp's
// CheckSumMappedFile): the 16-bit one's-complement-style sum of the file
// with the checksum field taken as zero, plus the file's length.
func checksum(b []byte, field int) uint32 {
	var sum uint64
	for i := 0; i+1 < len(b); i += 2 {
		if i == field || i == field+2 {
			continue
		}
		sum += uint64(binary.LittleEndian.Uint16(b[i:]))
		sum = (sum & 0xffff) + sum>>16
	}
	if len(b)%2 == 1 {
		sum += uint64(b[len(b)-1])
		sum = (sum & 0xffff) + sum>>16
	}
	return uint32(sum&0xffff) + uint32(len(b))
}

func alignUp(n, align uint64) uint64 { return (n + align - 1) &^ (align - 1) }

// Section is one section of a PE file as Inspect reports it.
type Section struct {
	Name           string `json:"name"`
	VirtualAddress uint32 `json:"virtual_address"`
	VirtualSize    uint32 `json:"virtual_size"`
	Offset         uint32 `json:"offset"`
	Size           uint32 `json:"size"` // SizeOfRawData
}

// Info is what Inspect finds in a unified kernel image.
type Info struct {
	Arch      string    `json:"arch"`                 // GOARCH of the PE machine type
	Stub      string    `json:"stub,omitempty"`       // the stub's .sdmagic text ("systemd-stub 252.39-1~deb12u2")
	Cmdline   string    `json:"cmdline,omitempty"`    // the .cmdline section
	OSRelease string    `json:"os_release,omitempty"` // the .osrel section
	Kernel    int       `json:"kernel_bytes"`         // size of .linux
	Initrd    int       `json:"initrd_bytes"`         // size of .initrd
	Sections  []Section `json:"sections"`
}

// maxTextSection bounds the .cmdline, .osrel and .sdmagic text Inspect
// returns.
const maxTextSection = 64 << 10

// Inspect describes the PE file b: its machine, sections and the UKI
// parts. The result of Build inspects with the stub's sections first and
// the added ones after them. A section whose data lies outside b is an
// error wrapping ErrNotPE.
func Inspect(b []byte) (Info, error) { return InspectAt(bytes.NewReader(b), int64(len(b))) }

// InspectAt is Inspect for a PE file of size bytes read through r (a
// file on a disk): it reads the headers and the text sections only, so a
// UKI's kernel and initrd stay where they are.
func InspectAt(r io.ReaderAt, size int64) (Info, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return Info{}, err
	}
	info := Info{Arch: machineName(h.machine)}
	for _, s := range h.file.Sections {
		info.Sections = append(info.Sections, Section{s.Name, s.VirtualAddress, s.VirtualSize, s.Offset, s.Size})
		off, n, err := sectionRange(s, size)
		if err != nil {
			return info, err
		}
		text := func() (string, error) {
			t := make([]byte, min(n, maxTextSection))
			if _, err := r.ReadAt(t, off); err != nil {
				return "", fmt.Errorf("%w: section %q: %w", ErrNotPE, s.Name, err)
			}
			if i := bytes.IndexByte(t, 0); i >= 0 {
				t = t[:i]
			}
			return string(t), nil
		}
		var t string
		switch s.Name {
		case stubMagicSection:
			t, err = text()
			info.Stub = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(t), "#### LoaderInfo:"), "####"))
		case SectionCmdline:
			info.Cmdline, err = text()
		case SectionOSRel:
			info.OSRelease, err = text()
		case SectionLinux:
			info.Kernel = int(n)
		case SectionInitrd:
			info.Initrd = int(n)
		}
		if err != nil {
			return info, err
		}
	}
	return info, nil
}

// SectionData returns the data of the section name in the PE file b, for
// tests and tools that take a UKI apart.
func SectionData(b []byte, name string) ([]byte, error) {
	sr, err := SectionReader(bytes.NewReader(b), int64(len(b)), name)
	if err != nil {
		return nil, err
	}
	_, off, n := sr.Outer()
	return b[off:][:n], nil
}

// ErrNoSection is wrapped by SectionReader and SectionData for a section
// the file lacks.
var ErrNoSection = errors.New("no such section")

// SectionReader gives the data of the first section name in the PE file
// of size bytes read through r (a UKI's ".linux" or ".initrd" on a disk)
// without reading it, its place checked against size. A file that lacks
// the section gives an error wrapping ErrNoSection.
func SectionReader(r io.ReaderAt, size int64, name string) (*io.SectionReader, error) {
	h, err := readHeader(r, size)
	if err != nil {
		return nil, err
	}
	s := h.file.Section(name)
	if s == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoSection, name)
	}
	off, n, err := sectionRange(s, size)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(r, off, n), nil
}

// sectionRange is where the data of s is in a file of size bytes:
// VirtualSize bytes (the file rounds SizeOfRawData up to the file
// alignment), at most SizeOfRawData (the loader zero-fills the rest), all
// of SizeOfRawData when VirtualSize is 0 (object-file style).
func sectionRange(s *pe.Section, size int64) (off, n int64, err error) {
	if int64(s.Offset)+int64(s.Size) > size {
		return 0, 0, fmt.Errorf("%w: section %q (%d bytes at %#x) ends beyond the file (%d bytes)", ErrNotPE, s.Name, s.Size, s.Offset, size)
	}
	n = int64(min(s.Size, s.VirtualSize))
	if s.VirtualSize == 0 {
		n = int64(s.Size)
	}
	return int64(s.Offset), n, nil
}
