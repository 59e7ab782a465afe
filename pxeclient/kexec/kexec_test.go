package kexec

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/s390image"
)

func TestPrepare(t *testing.T) {
	amd64 := fakekernel.BzImage(0x020f, fakekernel.XLFKernel64|fakekernel.XLFAbove4G, []byte("payload"))
	arm64 := fakekernel.ARM64(1<<16, false)
	sbi := fakekernel.SingleBootImage(fakekernel.S390(0x12000, 4096, "from=image"), []byte("embedded"))
	tests := []struct {
		name    string
		arch    string
		img     Image
		err     error
		kernel  []byte // what kexec_file_load gets
		initrd  string
		cmdline string
	}{
		{name: "amd64", arch: "amd64", img: Image{Kernel: amd64, Initrds: [][]byte{[]byte("a"), []byte("b")}, Cmdline: "console=ttyS0"},
			kernel: amd64, initrd: "a" + strings.Repeat("\x00", 511) + "b", cmdline: "console=ttyS0"},
		{name: "amd64 longest command line", arch: "amd64", img: Image{Kernel: amd64, Cmdline: strings.Repeat("c", 2047)},
			kernel: amd64, cmdline: strings.Repeat("c", 2047)},
		{name: "amd64 command line too long", arch: "amd64", img: Image{Kernel: amd64, Cmdline: strings.Repeat("c", 2048)}, err: ErrBadCmdline},
		{name: "NUL in command line", arch: "amd64", img: Image{Kernel: amd64, Cmdline: "a\x00b"}, err: ErrBadCmdline},
		{name: "arm64 gzip Image", arch: "arm64", img: Image{Kernel: gzipped(t, arm64)}, kernel: arm64},
		{name: "arm64 command line too long", arch: "arm64", img: Image{Kernel: arm64, Cmdline: strings.Repeat("c", 2048)}, err: ErrBadCmdline},
		{name: "s390x single boot image", arch: "s390x", img: Image{Kernel: sbi},
			kernel: sbi[:0x12000], initrd: "embedded", cmdline: "from=image"},
		{name: "s390x entry ramdisk and command line", arch: "s390x", img: Image{Kernel: sbi, Initrds: [][]byte{[]byte("entry")}, Cmdline: "from=entry"},
			kernel: sbi[:0x12000], initrd: "entry", cmdline: "from=entry"},
		{name: "s390x bad command line", arch: "s390x", img: Image{Kernel: sbi, Cmdline: "ä"}, err: s390image.ErrBadCmdline},
		{name: "amd64 kernel on s390x", arch: "s390x", img: Image{Kernel: amd64}, err: ErrWrongArch},
		{name: "gzipped s390 kernel on arm64", arch: "arm64", img: Image{Kernel: gzipped(t, sbi)}, err: ErrNotKernel},
		{name: "riscv64", arch: "riscv64", img: Image{Kernel: amd64}, err: ErrArchNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := prepare(tt.arch, tt.img)
			if tt.err != nil || err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if !bytes.Equal(p.kernel, tt.kernel) || string(ConcatInitrds(p.initrds)) != tt.initrd || p.cmdline != tt.cmdline {
				t.Errorf("plan: kernel %d bytes, initrd %q, cmdline %q; want %d bytes, %q, %q",
					len(p.kernel), ConcatInitrds(p.initrds), p.cmdline, len(tt.kernel), tt.initrd, tt.cmdline)
			}
			if (p.layout != nil) != (tt.arch == "s390x") {
				t.Errorf("layout %v for %s", p.layout, tt.arch)
			}
		})
	}
}

// TestLoadRefusesWrongArch runs Load on this machine with a kernel for
// another architecture: it must fail before any system call.
func TestLoadRefusesWrongArch(t *testing.T) {
	other, kernel := "s390x", fakekernel.S390(0x12000, 4096, "")
	if runtime.GOARCH == "s390x" {
		other, kernel = "amd64", fakekernel.BzImage(0x020f, fakekernel.XLFKernel64|fakekernel.XLFAbove4G, nil)
	}
	err := Load(Image{Kernel: kernel}, Options{})
	want := ErrWrongArch
	switch runtime.GOARCH {
	case "s390x", "amd64", "arm64":
	default:
		want = ErrArchNotSupported
	}
	if !errors.Is(err, want) {
		t.Fatalf("Load(%s kernel) on %s = %v, want %v", other, runtime.GOARCH, err, want)
	}
	t.Log(err)
}
