package uki

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestBuild(t *testing.T) {
	stub := fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 8)
	kernel := fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0)
	initrd := bytes.Repeat([]byte("initrd"), 1000)
	out, err := Build(Image{Stub: stub, Kernel: kernel, Initrd: initrd, Cmdline: "console=ttyS0 quiet"})
	if err != nil {
		t.Fatal(err)
	}
	checkUKI(t, out, stub, map[string][]byte{
		SectionOSRel: []byte(DefaultOSRelease), SectionCmdline: []byte("console=ttyS0 quiet"),
		SectionInitrd: initrd, SectionLinux: kernel,
	})
	info, err := Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range info.Sections {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != ".text .osrel .cmdline .initrd .linux" {
		t.Errorf("sections %q, want the stub's, then .osrel .cmdline .initrd .linux", got)
	}
	if info.Arch != "amd64" || info.Cmdline != "console=ttyS0 quiet" || info.Kernel != len(kernel) || info.Initrd != len(initrd) || info.OSRelease != DefaultOSRelease {
		t.Errorf("Inspect = %+v", info)
	}

	// SectionReader reads a section in place; a missing one is
	// ErrNoSection.
	sr, err := SectionReader(bytes.NewReader(out), int64(len(out)), SectionInitrd)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(sr); err != nil || !bytes.Equal(got, initrd) {
		t.Errorf("SectionReader(.initrd) = %d bytes, %v; want the initrd", len(got), err)
	}
	if _, err := SectionReader(bytes.NewReader(out), int64(len(out)), SectionUcode); !errors.Is(err, ErrNoSection) {
		t.Errorf("SectionReader(.ucode) = %v, want ErrNoSection", err)
	}
	// A microcode initrd goes into .ucode.
	withUcode, err := Build(Image{Stub: stub, Kernel: kernel, Initrd: initrd, Ucode: []byte("GenuineIntel microcode")})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := SectionData(withUcode, SectionUcode); err != nil || string(got) != "GenuineIntel microcode" {
		t.Errorf("SectionData(.ucode) = %q, %v", got, err)
	}
	if _, err := SectionReader(bytes.NewReader(out), int64(len(out))-1, SectionLinux); !errors.Is(err, ErrNotPE) {
		t.Errorf("SectionReader of a cut file = %v, want ErrNotPE", err)
	}

	// Without a command line and initrd the sections are left out.
	out, err = Build(Image{Stub: stub, Kernel: kernel, OSRelease: "ID=x\n"})
	if err != nil {
		t.Fatal(err)
	}
	checkUKI(t, out, stub, map[string][]byte{SectionOSRel: []byte("ID=x\n"), SectionLinux: kernel})
}

// checkUKI checks a built image with debug/pe: the stub's bytes are
// unchanged outside the header fields Build updates, each added section
// holds its data at an aligned offset and address inside SizeOfImage, and
// the checksum is right.
func checkUKI(t *testing.T, out, stub []byte, want map[string][]byte) {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("debug/pe cannot read the UKI: %v", err)
	}
	oh := f.OptionalHeader.(*pe.OptionalHeader64)
	if len(f.Sections) != 1+len(want) {
		t.Errorf("%d sections, want %d", len(f.Sections), 1+len(want))
	}
	end := uint32(0)
	for _, s := range f.Sections {
		if s.VirtualAddress < end {
			t.Errorf("section %s at %#x overlaps the one before (ends %#x)", s.Name, s.VirtualAddress, end)
		}
		end = s.VirtualAddress + max(s.VirtualSize, s.Size)
		if s.VirtualAddress%oh.SectionAlignment != 0 || s.Offset%oh.FileAlignment != 0 || s.Size%oh.FileAlignment != 0 {
			t.Errorf("section %s: address %#x offset %#x size %#x not aligned", s.Name, s.VirtualAddress, s.Offset, s.Size)
		}
		data, ok := want[s.Name]
		if s.Name == ".text" {
			continue
		}
		if !ok {
			t.Errorf("unexpected section %s", s.Name)
			continue
		}
		got, err := SectionData(out, s.Name)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("section %s: %d bytes (%v), want %d", s.Name, len(got), err, len(data))
		}
		if s.Characteristics != dataSection {
			t.Errorf("section %s: characteristics %#x, want %#x", s.Name, s.Characteristics, dataSection)
		}
	}
	if oh.SizeOfImage < end || oh.SizeOfImage%oh.SectionAlignment != 0 {
		t.Errorf("SizeOfImage %#x, sections end at %#x", oh.SizeOfImage, end)
	}
	if sum := checksum(out, 0x80+4+coffHeaderSize+optCheckSum); sum != oh.CheckSum {
		t.Errorf("CheckSum %#x, want %#x", oh.CheckSum, sum)
	}
	// The stub's code is untouched.
	if !bytes.Equal(out[0x400:len(stub)], stub[0x400:]) {
		t.Error("the stub's sections changed")
	}
}

func TestBuildErrors(t *testing.T) {
	amd := func(room int) []byte {
		return fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, room)
	}
	signed := amd(8)
	// IMAGE_DIRECTORY_ENTRY_SECURITY of a PE32+ optional header is at 112 + 4*8.
	binary.LittleEndian.PutUint32(signed[0x80+4+coffHeaderSize+112+dirSecurity*8+4:], 0x100)
	uki, err := Build(Image{Stub: amd(8), Kernel: amd(0)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		img  Image
		want error
	}{
		{"no stub", Image{Kernel: amd(0)}, ErrMissingPart},
		{"no kernel", Image{Stub: amd(8)}, ErrMissingPart},
		{"stub is text", Image{Stub: []byte("<html>not found</html>"), Kernel: amd(0)}, ErrNotPE},
		{"kernel is an s390 image", Image{Stub: amd(8), Kernel: bytes.Repeat([]byte{0}, 0x20000)}, ErrNotPE},
		{"arm64 kernel, x86 stub", Image{Stub: amd(8), Kernel: fakekernel.PE(pe.IMAGE_FILE_MACHINE_ARM64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0)}, ErrMachine},
		{"stub is a Windows program", Image{Stub: fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI, 8), Kernel: amd(0)}, ErrNotEFI},
		{"signed stub", Image{Stub: signed, Kernel: amd(0)}, ErrSigned},
		{"stub is already a UKI", Image{Stub: uki, Kernel: amd(0)}, ErrHasSection},
		{"no room for 4 headers", Image{Stub: amd(3), Kernel: amd(0), Initrd: []byte("x"), Cmdline: "x"}, ErrNoRoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Build(tt.img)
			if !errors.Is(err, tt.want) || out != nil {
				t.Errorf("Build = %d bytes, %v; want %v", len(out), err, tt.want)
			}
		})
	}
	// Three headers fit where three are needed.
	if _, err := Build(Image{Stub: amd(3), Kernel: amd(0), Cmdline: "x"}); err != nil {
		t.Errorf("Build with exactly enough room: %v", err)
	}
}

func TestPaths(t *testing.T) {
	tests := []struct{ arch, removable, stub, efi string }{
		{"amd64", "EFI/BOOT/BOOTX64.EFI", "/usr/lib/systemd/boot/efi/linuxx64.efi.stub", "X64"},
		{"arm64", "EFI/BOOT/BOOTAA64.EFI", "/usr/lib/systemd/boot/efi/linuxaa64.efi.stub", "AA64"},
		{"riscv64", "EFI/BOOT/BOOTRISCV64.EFI", "/usr/lib/systemd/boot/efi/linuxriscv64.efi.stub", "RISCV64"},
		{"arm", "EFI/BOOT/BOOTARM.EFI", "/usr/lib/systemd/boot/efi/linuxarm.efi.stub", "ARM"},
	}
	for _, tt := range tests {
		if got := EFIArch(tt.arch); got != tt.efi {
			t.Errorf("EFIArch(%s) = %q, want %q", tt.arch, got, tt.efi)
		}
		if got, err := RemovablePath(tt.arch); got != tt.removable || err != nil {
			t.Errorf("RemovablePath(%s) = %q, %v; want %q", tt.arch, got, err, tt.removable)
		}
		if got := DefaultStub(tt.arch); got != tt.stub {
			t.Errorf("DefaultStub(%s) = %q, want %q", tt.arch, got, tt.stub)
		}
	}
	if got := EFIArch("s390x"); got != "" {
		t.Errorf("EFIArch(s390x) = %q, want none", got)
	}
	if got, err := RemovablePath("s390x"); err == nil {
		t.Errorf("RemovablePath(s390x) = %q, want an error", got)
	}
}

// TestBuildDebian builds a UKI of Debian's stub and amd64 kernel (the
// parts the UEFI end-to-end test boots) and reads it back.
func TestBuildDebian(t *testing.T) {
	stubPath := DefaultStub("amd64")
	stub, err := os.ReadFile(stubPath)
	if err != nil {
		testenv.Need(t, "%v: run scripts/install-deps.sh (or apt-get install systemd-boot-efi)", err)
	}
	kernel, err := os.ReadFile(filepath.Join(testenv.Cache(t, "amd64"), "vmlinuz"))
	if err != nil {
		t.Fatal(err)
	}
	initrd := []byte("070701 a ramdisk")
	out, err := Build(Image{Stub: stub, Kernel: kernel, Initrd: initrd, Cmdline: "console=ttyS0"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.Stub, "systemd-stub ") || info.Kernel != len(kernel) || info.Initrd != len(initrd) || info.Arch != "amd64" {
		t.Errorf("Inspect = %+v", info)
	}
	if got, _ := SectionData(out, SectionLinux); !bytes.Equal(got, kernel) {
		t.Error(".linux is not the kernel")
	}
	t.Logf("stub %d + kernel %d + initrd %d bytes: UKI %d bytes; %s", len(stub), len(kernel), len(initrd), len(out), info.Stub)
}

func FuzzInspect(f *testing.F) {
	stub := fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 8)
	out, err := Build(Image{Stub: stub, Kernel: stub, Initrd: []byte("initrd"), Cmdline: "quiet"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(out)
	f.Add(stub)
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Inspect(b)
		if err != nil {
			return
		}
		for _, s := range info.Sections {
			if _, err := SectionData(b, s.Name); err != nil && !errors.Is(err, ErrNotPE) {
				t.Errorf("SectionData(%q) after Inspect: %v", s.Name, err)
			}
		}
		// Build on a valid stub must not panic either.
		Build(Image{Stub: b, Kernel: b})
	})
}
