package kexec

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/s390image"
)

var cacheMu sync.Mutex
var cacheFiles = map[string][]byte{}

// cachedKernel returns the Debian kernel vmlinuz that
// scripts/fetch-kernels.sh unpacks in the cache (testenv.Cache), read once
// per test binary.
func cachedKernel(t testing.TB, arch string) []byte {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cacheFiles[arch]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join(testenv.Cache(t, arch), "vmlinuz"))
	if err != nil {
		t.Fatalf("%v: run scripts/fetch-kernels.sh", err)
	}
	cacheFiles[arch] = b
	return b
}

// fakeS390 returns a synthetic s390 kernel image of size bytes: the S390EP
// marker, maxCmdline at 0x10430 (0: an old kernel with 896 bytes) and cmdline
// in its command line area. The bytes from 0x11000 on count up, so that a
// test sees which part of the image landed where.
func fakeS390(size int, maxCmdline uint64, cmdline string) []byte {
	b := make([]byte, size)
	copy(b[s390image.MagicOffset:], s390image.MagicString)
	binary.BigEndian.PutUint64(b[s390image.MaxCmdlineSizeOffset:], maxCmdline)
	copy(b[s390image.CmdlineOffset:], cmdline)
	for i := 0x11000; i < size; i++ {
		b[i] = byte(i / 4096)
	}
	return b
}

// singleBootImage builds a single boot image the way mks390image does:
// the kernel padded to 4096 bytes, the ramdisk behind it, its place in the
// parameter area.
func singleBootImage(kernel, ramdisk []byte) []byte {
	n := alignUp(uint64(len(kernel)), s390image.RamdiskAlign)
	b := make([]byte, n, n+uint64(len(ramdisk)))
	copy(b, kernel)
	b = append(b, ramdisk...)
	if err := s390image.SetInitrd(b, n, uint64(len(ramdisk))); err != nil {
		panic(err)
	}
	return b
}

// fakeARM64 returns a synthetic arm64 Image header of size bytes.
func fakeARM64(size int, bigEndian bool) []byte {
	b := make([]byte, size)
	copy(b, "MZ")
	binary.LittleEndian.PutUint64(b[arm64ImageSizeOffset:], uint64(size))
	if bigEndian {
		binary.LittleEndian.PutUint64(b[arm64FlagsOffset:], arm64FlagBigEndian)
	}
	copy(b[imageMagicOffset:], arm64ImageMagic)
	return b
}

// fakeBzImage returns a synthetic x86 bzImage header with the given boot
// protocol version and xloadflags.
func fakeBzImage(version uint16, xloadflags byte) []byte {
	b := make([]byte, 4096)
	le := binary.LittleEndian
	le.PutUint16(b[x86BootFlagOffset:], x86BootFlag)
	copy(b[x86HeaderOffset:], x86HeaderMagic)
	le.PutUint16(b[x86VersionOffset:], version)
	b[x86LoadflagsOffset] = x86LoadedHigh
	b[x86RelocatableOffset] = 1
	b[x86XloadflagsOffset] = xloadflags
	le.PutUint32(b[x86CmdlineSizeOffset:], 2047)
	return b
}

// fakeELF returns an ELF header for the given machine.
func fakeELF(class, data byte, machine uint16) []byte {
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
