package kexec

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/s390image"
)

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zboot(compression string, machine uint16) []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	copy(b[zbootMagicOffset:], zbootMagic)
	copy(b[zbootCompressionStart:], compression+"\x00")
	binary.LittleEndian.PutUint32(b[peOffsetPtr:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], machine)
	return b
}

// peExe returns a PE/COFF executable header for machine that is no Linux
// image.
func peExe(machine uint16) []byte {
	b := zboot("", machine)
	clear(b[zbootMagicOffset : zbootMagicOffset+4])
	return b
}

// checkKernelCase is a row of TestCheckKernel and TestCheckKernelDebian.
type checkKernelCase struct {
	name   string
	arch   string
	kernel []byte
	want   error  // nil: loadable
	kind   Kind   // what Identify says
	words  string // in the error text
}

// kernelsOnArchs are the rows for an s390 kernel and an x86-64 bzImage
// on each architecture.
func kernelsOnArchs(prefix string, s390, amd64 []byte) []checkKernelCase {
	return []checkKernelCase{
		{prefix + "s390x on s390x", "s390x", s390, nil, KindS390Image, ""},
		{prefix + "s390x on amd64", "amd64", s390, ErrWrongArch, KindS390Image, "an s390 kernel image (s390x)"},
		{prefix + "s390x on arm64", "arm64", s390, ErrWrongArch, KindS390Image, "needs an arm64 Image"},
		{prefix + "amd64 on amd64", "amd64", amd64, nil, KindBzImage, ""},
		{prefix + "amd64 on s390x", "s390x", amd64, ErrWrongArch, KindBzImage, `an x86 bzImage (amd64); kexec on GOARCH=s390x needs an s390 kernel image ("S390EP" at 0x10008)`},
		{prefix + "s390x on an unsupported arch", "riscv64", s390, ErrWrongArch, KindS390Image, "a kernel this package can load"},
	}
}

func TestCheckKernel(t *testing.T) {
	s390 := fakekernel.S390(0x12000, 4096, "root=/dev/ram0")
	amd64 := fakekernel.BzImage(0x020f, x86XLFKernel64|x86XLFAbove4G, []byte("payload"))
	arm64 := fakekernel.ARM64(1<<16, false)
	tests := append(kernelsOnArchs("synthetic ", s390, amd64), []checkKernelCase{
		{"arm64 Image on arm64", "arm64", arm64, nil, KindARM64Image, ""},
		{"arm64 Image on s390x", "s390x", arm64, ErrWrongArch, KindARM64Image, "arm64 Image"},
		{"big-endian arm64 on arm64", "arm64", fakekernel.ARM64(1<<16, true), ErrUnsupportedKernel, KindARM64Image, "big-endian"},
		{"arm64 without image_size", "arm64", func() []byte {
			b := fakekernel.ARM64(4096, false)
			clear(b[arm64ImageSizeOffset : arm64ImageSizeOffset+8])
			return b
		}(), ErrUnsupportedKernel, KindARM64Image, "image_size"},
		{"single boot image on s390x", "s390x", fakekernel.SingleBootImage(fakekernel.S390(0x12000, 0, ""), []byte("ramdisk")), nil, KindS390Image, ""},
		{"truncated s390", "s390x", fakekernel.S390(0x10480, 0, ""), ErrUnsupportedKernel, KindS390Image, "too short"},
		{"s390 with corrupt max cmdline", "s390x", fakekernel.S390(0x12000, 7, ""), ErrUnsupportedKernel, KindS390Image, "maximum command line size"},
		{"32-bit bzImage on amd64", "amd64", fakekernel.BzImage(0x020f, 0, nil), ErrWrongArch, KindBzImage, "32-bit"},
		{"old protocol bzImage on amd64", "amd64", fakekernel.BzImage(0x0206, 0, nil), ErrUnsupportedKernel, KindBzImage, "boot protocol 2.06"},
		{"old protocol bzImage on s390x", "s390x", fakekernel.BzImage(0x0206, 0, nil), ErrWrongArch, KindBzImage, "x86 bzImage"},
		{"bzImage not above 4G", "amd64", fakekernel.BzImage(0x020f, x86XLFKernel64, nil), ErrUnsupportedKernel, KindBzImage, "4 GiB"},
		{"s390 vmlinux on s390x", "s390x", fakekernel.ELF(2, 2, 22), ErrUnsupportedKernel, KindELF, "not vmlinux"},
		{"x86 vmlinux on s390x", "s390x", fakekernel.ELF(2, 1, 62), ErrWrongArch, KindELF, "amd64"},
		{"arm64 vmlinux on amd64", "amd64", fakekernel.ELF(2, 1, 183), ErrWrongArch, KindELF, "EM_AARCH64"},
		{"gzip on s390x", "s390x", gzipped(t, s390[:4096]), ErrCompressed, KindCompressed, "gzip-compressed data"},
		{"xz on amd64", "amd64", []byte("\xfd7zXZ\x00\x00\x04"), ErrCompressed, KindCompressed, "xz"},
		{"zstd on s390x", "s390x", []byte("\x28\xb5\x2f\xfd\x00"), ErrCompressed, KindCompressed, "zstd"},
		{"lzma on s390x", "s390x", []byte("\x5d\x00\x00\x80\x00\xff"), ErrCompressed, KindCompressed, "lzma-compressed"},
		{"lzop on amd64", "amd64", []byte("\x89LZO\x00\r\n\x1a\n\x10"), ErrCompressed, KindCompressed, "lzop-compressed"},
		{"arm64 zboot on arm64", "arm64", zboot("gzip", 0xaa64), ErrCompressed, KindEFIZboot, "zboot image (gzip-compressed kernel) for arm64"},
		{"arm64 zboot on s390x", "s390x", zboot("zstd", 0xaa64), ErrWrongArch, KindEFIZboot, "arm64"},
		{"EFI application on amd64", "amd64", peExe(0x8664), ErrUnsupportedKernel, KindPE, "PE/COFF"},
		{"riscv Image on s390x", "s390x", append(make([]byte, 0x38), "RSC\x05"...), ErrWrongArch, KindRISCVImage, "riscv64"},
		{"cpio on s390x", "s390x", []byte("070701000000000000"), ErrNotKernel, KindCPIO, "cpio archive"},
		{"html error page", "s390x", []byte("<!DOCTYPE html><html><body>404 Not Found</body></html>\n"), ErrNotKernel, KindText, "HTML page"},
		{"pxelinux config", "amd64", []byte("DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n"), ErrNotKernel, KindText, `a text file starting "DEFAULT linux`},
		{"empty", "s390x", nil, ErrNotKernel, KindEmpty, "an empty file"},
		{"garbage", "arm64", []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}, ErrNotKernel, KindUnknown, "de ad be ef"},
	}...)
	checkKernels(t, tests)
}

// TestCheckKernelDebian runs the rows of an s390 kernel and a bzImage
// with the real Debian kernels.
func TestCheckKernelDebian(t *testing.T) {
	checkKernels(t, kernelsOnArchs("debian ", cachedKernel(t, "s390x"), cachedKernel(t, "amd64")))
}

// checkKernels runs Identify and CheckKernel on each row.
func checkKernels(t *testing.T, tests []checkKernelCase) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Identify(tt.kernel).Kind; got != tt.kind {
				t.Errorf("Identify = %v, want %v", got, tt.kind)
			}
			err := CheckKernel(tt.arch, tt.kernel)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Fatalf("CheckKernel(%s) = %v, want %v", tt.arch, err, tt.want)
			}
			if err == nil {
				return
			}
			var kerr *KernelError
			if !errors.As(err, &kerr) || kerr.Want != tt.arch {
				t.Errorf("error %v is not a *KernelError for %s", err, tt.arch)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("error %q does not say %q", err, tt.words)
			}
		})
	}
}

func TestIdentifyRealKernels(t *testing.T) {
	for _, arch := range []string{"s390x", "amd64"} {
		info := Identify(cachedKernel(t, arch))
		if info.Arch != arch || info.Problem != "" || !strings.HasPrefix(info.Version, "6.") {
			t.Errorf("%s: Identify = %+v", arch, info)
		}
		t.Logf("%s: %s, version %q, command line up to %d bytes", arch, info.What, info.Version, info.CmdlineMax)
	}
}

func TestInflateARM64(t *testing.T) {
	img := fakekernel.ARM64(1<<20, false)
	got, err := inflateARM64(gzipped(t, img))
	if err != nil || !bytes.Equal(got, img) {
		t.Fatalf("inflateARM64(gzip(Image)) = %d bytes, %v", len(got), err)
	}
	if got, err := inflateARM64(img); err != nil || &got[0] != &img[0] {
		t.Errorf("inflateARM64(Image) copied or failed: %v", err)
	}
	if _, err := inflateARM64(gzipped(t, fakekernel.S390(0x12000, 4096, ""))); !errors.Is(err, ErrNotKernel) || !strings.Contains(err.Error(), "s390") {
		t.Errorf("inflateARM64(gzip(s390 image)) = %v, want ErrNotKernel naming s390", err)
	}
	if _, err := inflateARM64([]byte("\x1f\x8b\x08\x00broken")); err == nil {
		t.Error("inflateARM64(broken gzip) succeeded")
	}
}

func FuzzCheckKernel(f *testing.F) {
	f.Add(fakekernel.S390(0x10480+896, 0, "root=/dev/ram0"))
	f.Add(fakekernel.BzImage(0x020f, 0x7f, nil)[:0x240])
	f.Add(fakekernel.ARM64(0x40, false))
	f.Add(fakekernel.ELF(2, 2, 22))
	f.Add(zboot("gzip", 0xaa64))
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, kernel []byte) {
		info := Identify(kernel)
		if info.What == "" {
			t.Errorf("Identify gave no description: %+v", info)
		}
		for _, arch := range []string{"s390x", "amd64", "arm64"} {
			err := CheckKernel(arch, kernel)
			if err == nil && !loadable(arch, info.Kind) {
				t.Errorf("CheckKernel(%s) accepted %v", arch, info.Kind)
			}
			if err == nil && info.Arch != arch {
				t.Errorf("CheckKernel(%s) accepted a kernel for %q", arch, info.Arch)
			}
		}
		if CheckKernel("s390x", kernel) == nil {
			// Every image CheckKernel accepts gets a layout or a clear error.
			if _, err := S390Segments(kernel, nil, ""); err != nil && !errors.Is(err, s390image.ErrTruncated) {
				t.Errorf("S390Segments of an accepted image: %v", err)
			}
		}
	})
}
