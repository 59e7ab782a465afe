// Package fakekernel builds synthetic kernel images for tests: an s390
// kernel image, an s390 single boot image, an x86 bzImage, an arm64 Image,
// an ELF header and a PE/COFF executable (an EFI stub or an EFI-stub
// kernel, the parts of a unified kernel image), each with the header
// fields a boot loader reads and nothing else, so that a test that needs "some kernel" runs on any
// machine without the Debian kernels scripts/fetch-kernels.sh downloads.
// Only tests import it.
//
//	img := fakekernel.SingleBootImage(fakekernel.S390(0x12000, 4096, "root=/dev/ram0"), ramdisk)
//	bz := fakekernel.BzImage(0x020f, fakekernel.XLFKernel64|fakekernel.XLFAbove4G, payload)
//
// The s390 offsets are package s390image's, which is the project's
// statement of that format. The x86, arm64, ELF and PE offsets are written
// here from the ABI documents, not taken from the loader that parses
// them: a test then catches a loader that reads the wrong field.
// Tests that check real kernels (the Debian ones) stay where they are and
// skip without the kernel cache.
package fakekernel

import (
	"encoding/binary"
	"fmt"

	"github.com/s390netboot/s390netboot/s390image"
)

// S390PatternStart is where the byte pattern of S390 begins: the first
// page behind the parameter area and the command line.
const S390PatternStart = 0x11000

// S390 returns a synthetic s390 kernel image of size bytes: the S390EP
// marker, maxCmdline at s390image.MaxCmdlineSizeOffset (0: a kernel before
// 5.16, with the 896-byte command line area) and cmdline in its command
// line area. The bytes from S390PatternStart on count the 4 KiB page they
// are in (byte(offset/4096)), so that a test sees which part of the image
// landed where. size must reach s390image.MaxCmdlineSizeOffset+8.
func S390(size int, maxCmdline uint64, cmdline string) []byte {
	b := make([]byte, size)
	copy(b[s390image.MagicOffset:], s390image.MagicString)
	binary.BigEndian.PutUint64(b[s390image.MaxCmdlineSizeOffset:], maxCmdline)
	copy(b[s390image.CmdlineOffset:], cmdline)
	for i := S390PatternStart; i < size; i++ {
		b[i] = byte(i / 4096)
	}
	return b
}

// SingleBootImage builds a single boot image the way mks390image does:
// the kernel padded to s390image.RamdiskAlign, the ramdisk behind it, its
// offset and size in the parameter area. It panics when kernel has no
// parameter area (a bug in the test).
func SingleBootImage(kernel, ramdisk []byte) []byte {
	n := (len(kernel) + s390image.RamdiskAlign - 1) / s390image.RamdiskAlign * s390image.RamdiskAlign
	b := make([]byte, n, n+len(ramdisk))
	copy(b, kernel)
	b = append(b, ramdisk...)
	if err := s390image.SetInitrd(b, uint64(n), uint64(len(ramdisk))); err != nil {
		panic(fmt.Sprintf("fakekernel.SingleBootImage: %v", err))
	}
	return b
}

// The x86 boot header (struct setup_header), Linux
// Documentation/arch/x86/boot.rst.
const (
	x86SetupSectsOffset   = 0x1f1 // setup_sects: 512-byte sectors of setup code behind the boot sector
	x86BootFlagOffset     = 0x1fe // boot_flag, 0xAA55
	x86HeaderOffset       = 0x202 // header, "HdrS"
	x86VersionOffset      = 0x206 // version, the boot protocol
	x86KernelVersionPtr   = 0x20e // kernel_version: the string's offset - 0x200
	x86LoadflagsOffset    = 0x211 // loadflags; bit 0 LOADED_HIGH
	x86SyssizeOffset      = 0x1f4 // syssize: the protected-mode code in 16-byte units
	x86RelocatableOffset  = 0x234 // relocatable_kernel
	x86XloadflagsOffset   = 0x236 // xloadflags
	x86CmdlineSizeOffset  = 0x238 // cmdline_size, NUL excluded
	x86SetupSects         = 7     // the setup code of BzImage: 7 sectors, 4 KiB with the boot sector
	x86KernelVersionAt    = 0x600 // where BzImage puts its version string
	x86CmdlineSize        = 2047  // cmdline_size of BzImage, as Debian's kernels have it
	x86KernelVersionValue = "6.1.0-synthetic-amd64 (test@example.org) #1 SMP Debian 6.1.0-1 (2026-01-01)"
)

// xloadflags bits of BzImage (Documentation/arch/x86/boot.rst).
const (
	XLFKernel64 = 0x01 // XLF_KERNEL_64: a 64-bit entry point at 0x200
	XLFAbove4G  = 0x02 // XLF_CAN_BE_LOADED_ABOVE_4G
)

// BzImage returns a synthetic x86 bzImage: the boot sector and 7 sectors
// of setup (setup_sects 7) with boot protocol version (0x020f is 2.15),
// LOADED_HIGH, a relocatable kernel, xloadflags, a 2047-byte command line
// and a kernel version string, then payload as the protected-mode code
// (syssize counts it). BzImage(0x020f, XLFKernel64|XLFAbove4G, p) is a
// kernel kexec_file_load takes on x86-64.
func BzImage(version uint16, xloadflags byte, payload []byte) []byte {
	setup := (1 + x86SetupSects) * 512
	b := make([]byte, setup, setup+len(payload))
	le := binary.LittleEndian
	b[x86SetupSectsOffset] = x86SetupSects
	le.PutUint32(b[x86SyssizeOffset:], uint32((len(payload)+15)/16))
	le.PutUint16(b[x86BootFlagOffset:], 0xaa55)
	copy(b[x86HeaderOffset:], "HdrS")
	le.PutUint16(b[x86VersionOffset:], version)
	le.PutUint16(b[x86KernelVersionPtr:], x86KernelVersionAt-0x200)
	copy(b[x86KernelVersionAt:], x86KernelVersionValue+"\x00")
	b[x86LoadflagsOffset] = 0x01 // LOADED_HIGH
	b[x86RelocatableOffset] = 1
	b[x86XloadflagsOffset] = xloadflags
	le.PutUint32(b[x86CmdlineSizeOffset:], x86CmdlineSize)
	return append(b, payload...)
}

// The arm64 Image header, Linux Documentation/arch/arm64/booting.rst.
const (
	arm64ImageSizeOffset = 0x10 // image_size, little-endian
	arm64FlagsOffset     = 0x18 // flags; bit 0 set: a big-endian kernel
	arm64MagicOffset     = 0x38 // magic, "ARM\x64"
	arm64FlagBigEndian   = 0x01
)

// ARM64 returns a synthetic arm64 Image of size bytes (at least 64): "MZ"
// (as EFI-stub kernels start), image_size size, the big-endian flag when
// bigEndian, and the magic.
func ARM64(size int, bigEndian bool) []byte {
	b := make([]byte, size)
	copy(b, "MZ")
	binary.LittleEndian.PutUint64(b[arm64ImageSizeOffset:], uint64(size))
	if bigEndian {
		binary.LittleEndian.PutUint64(b[arm64FlagsOffset:], arm64FlagBigEndian)
	}
	copy(b[arm64MagicOffset:], "ARM\x64")
	return b
}

// elfMachineOffset is e_machine in the ELF header (debug/elf).
const elfMachineOffset = 0x12

// ELF returns a 64-byte ELF header of class (1: 32-bit, 2: 64-bit), data
// (1: little-endian, 2: big-endian) and machine (e_machine, such as
// debug/elf's EM_S390, 22).
func ELF(class, data byte, machine uint16) []byte {
	b := make([]byte, 64)
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = class, data, 1
	if data == 2 {
		binary.BigEndian.PutUint16(b[elfMachineOffset:], machine)
	} else {
		binary.LittleEndian.PutUint16(b[elfMachineOffset:], machine)
	}
	return b
}
