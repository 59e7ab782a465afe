package fakekernel_test

import (
	"bytes"
	"debug/elf"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/s390image"
)

// TestIdentify: the loaders, which read the headers with their own
// constants, see in each fake what it claims to be.
func TestIdentify(t *testing.T) {
	tests := []struct {
		name    string
		kernel  []byte
		kind    kexec.Kind
		arch    string
		version string
		loadsOn string // "": refused everywhere
	}{
		{"s390", fakekernel.S390(0x12000, 4096, "root=/dev/ram0"), kexec.KindS390Image, "s390x", "", "s390x"},
		{"s390 before 5.16", fakekernel.S390(0x11000, 0, ""), kexec.KindS390Image, "s390x", "", "s390x"},
		{"single boot image", fakekernel.SingleBootImage(fakekernel.S390(0x12345, 4096, ""), []byte("ramdisk")), kexec.KindS390Image, "s390x", "", "s390x"},
		{"bzImage", fakekernel.BzImage(0x020f, fakekernel.XLFKernel64|fakekernel.XLFAbove4G, make([]byte, 5000)), kexec.KindBzImage, "amd64",
			"6.1.0-synthetic-amd64 (test@example.org) #1 SMP Debian 6.1.0-1 (2026-01-01)", "amd64"},
		{"32-bit bzImage", fakekernel.BzImage(0x020f, 0, nil), kexec.KindBzImage, "386", "6.1.0-synthetic-amd64 (test@example.org) #1 SMP Debian 6.1.0-1 (2026-01-01)", ""},
		{"arm64 Image", fakekernel.ARM64(1<<16, false), kexec.KindARM64Image, "arm64", "", "arm64"},
		{"big-endian arm64 Image", fakekernel.ARM64(1<<16, true), kexec.KindARM64Image, "arm64", "", ""},
		{"s390 vmlinux", fakekernel.ELF(2, 2, uint16(elf.EM_S390)), kexec.KindELF, "s390x", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := kexec.Identify(tt.kernel)
			if info.Kind != tt.kind || info.Arch != tt.arch || info.Version != tt.version {
				t.Errorf("Identify = %v %q version %q, want %v %q version %q (%s)", info.Kind, info.Arch, info.Version, tt.kind, tt.arch, tt.version, info.Problem)
			}
			for _, arch := range []string{"s390x", "amd64", "arm64"} {
				if err := kexec.CheckKernel(arch, tt.kernel); (err == nil) != (arch == tt.loadsOn) {
					t.Errorf("CheckKernel(%s) = %v", arch, err)
				}
			}
		})
	}
}

// TestS390: the parameter area of S390 and SingleBootImage reads back
// through package s390image, and the pattern counts pages.
func TestS390(t *testing.T) {
	k := fakekernel.S390(0x12345, 4096, "root=/dev/ram0")
	img := fakekernel.SingleBootImage(k, []byte("ramdisk"))
	p, err := s390image.ReadParmArea(img)
	if err != nil {
		t.Fatal(err)
	}
	if p.MaxCmdlineSize != 4096 || p.Cmdline != "root=/dev/ram0" || p.InitrdStart != 0x13000 || p.InitrdSize != 7 {
		t.Errorf("parameter area %+v", p)
	}
	kept := bytes.Equal(img[s390image.CmdlineOffset:len(k)], k[s390image.CmdlineOffset:])
	if !kept || string(img[0x13000:]) != "ramdisk" || img[0x12344] != 0x12 {
		t.Errorf("image layout: kernel behind the ramdisk fields kept %v, ramdisk %q, byte at 0x12344 %#x",
			kept, img[0x13000:], img[0x12344])
	}
}
