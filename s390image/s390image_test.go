package s390image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestIdentify(t *testing.T) {
	valid := debianLike.bytes()
	with := func(b []byte, off int, s string) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], s)
		return b
	}
	elf := func(machine uint16) []byte {
		b := make([]byte, 0x40)
		copy(b, elfMagic+"\x02\x02\x01")
		binary.BigEndian.PutUint16(b[0x12:], machine)
		return b
	}
	x86 := make([]byte, 0x1000)
	copy(x86, "MZ")
	copy(x86[x86HeaderOffset:], x86HeaderMagic)
	arm64 := make([]byte, 0x1000)
	copy(arm64[imageMagicOffset:], arm64ImageMagic)
	badMax := append([]byte(nil), valid...)
	binary.BigEndian.PutUint64(badMax[MaxCmdlineSizeOffset:], 100)

	for _, tc := range []struct {
		name    string
		in      []byte
		want    error
		wantMsg string // a fragment the message must carry
	}{
		{"valid", valid, nil, ""},
		{"legacy kernel", synth{}.bytes(), nil, ""},
		{"empty", nil, ErrEmpty, ""},
		{"vmlinux s390", elf(elfMachineS390), ErrELFVmlinux, "not vmlinux"},
		{"vmlinux x86", elf(62), ErrELFVmlinux, "vmlinux"},
		{"x86 bzImage", x86, ErrX86BzImage, "bzImage"},
		{"arm64 Image", arm64, ErrNotS390Image, "arm64"},
		{"gzip", []byte("\x1f\x8b\x08\x00rest"), ErrCompressed, "gzip"},
		{"xz", []byte("\xfd7zXZ\x00rest"), ErrCompressed, "xz"},
		{"zstd", []byte("\x28\xb5\x2f\xfdrest"), ErrCompressed, "zstd"},
		{"lzma", []byte("\x5d\x00\x00\x80\x00rest"), ErrCompressed, "lzma"},
		{"bzip2", []byte("BZh91AY&SYrest"), ErrCompressed, "bzip2"},
		{"lz4 legacy", []byte("\x02\x21\x4c\x18rest"), ErrCompressed, "lz4 (legacy)"},
		{"lzop", []byte("\x89LZO\x00\r\n\x1a\nrest"), ErrCompressed, "lzop"},
		{"cpio ramdisk", []byte("07070100000001rest"), ErrNotS390Image, "cpio"},
		{"no magic", with(valid, MagicOffset, "XXXXXX"), ErrNotS390Image, "S390EP"},
		{"short, no magic", make([]byte, 0x10100), ErrNotS390Image, ""},
		{"short with magic", valid[:CmdlineOffset-1], ErrTruncated, ""},
		{"tiny", []byte{0, 8, 0, 0}, ErrTruncated, ""},
		{"command line area cut", valid[:CmdlineOffset+1000], ErrTruncated, "0x11480"},
		{"bad command line size", badMax, ErrNotS390Image, "outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Inspect(bytes.NewReader(tc.in), int64(len(tc.in)))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Inspect: %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
			// Build refuses the same kernels for the same reason.
			_, _, berr := build(t, tc.in, []byte("ramdisk"), Options{})
			if !errors.Is(berr, tc.want) || (tc.want == nil) != (berr == nil) {
				t.Fatalf("Build: %v, want %v", berr, tc.want)
			}
		})
	}
	for _, e := range []error{ErrELFVmlinux, ErrX86BzImage, ErrCompressed} {
		if !errors.Is(e, ErrNotS390Image) {
			t.Errorf("%v does not match ErrNotS390Image", e)
		}
	}
}

func TestBuildIsCatAndPatch(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kernel  synth
		ramdisk int
	}{
		{"aligned kernel", synth{size: 0x14000}, 5000},
		{"unaligned kernel", synth{size: 0x14001}, 4096},
		{"one byte short", synth{size: 0x14fff}, 1},
		{"debian-like", debianLike, 123457},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, rd := tc.kernel.bytes(), pattern(tc.ramdisk, 0x5a)
			got, l, err := build(t, k, rd, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if want := catAndPatch(k, rd); !bytes.Equal(got, want) {
				t.Fatalf("output differs from cat+pad+patch (%d vs %d bytes)", len(got), len(want))
			}
			if l.RamdiskOffset%RamdiskAlign != 0 || l.RamdiskOffset < int64(len(k)) || l.RamdiskSize != int64(len(rd)) || l.Size != int64(len(got)) {
				t.Errorf("layout %+v for a %d-byte kernel", l, len(k))
			}
		})
	}
}

func TestBuildCmdline(t *testing.T) {
	long := strings.Repeat("a", 4095)
	for _, tc := range []struct {
		name    string
		kernel  synth
		cmdline string
		want    error
		wantMsg string
	}{
		{"simple", debianLike, "console=ttysclp0 quiet", nil, ""},
		{"empty clears", debianLike, "", nil, ""},
		{"longest", debianLike, long, nil, ""},
		{"one too long", debianLike, long + "b", ErrBadCmdline, "at most 4095"},
		{"legacy longest", synth{}, long[:895], nil, ""},
		{"legacy too long", synth{}, long[:896], ErrBadCmdline, "at most 895"},
		{"non-ASCII", debianLike, "root=/dev/ram0 lang=dé", ErrBadCmdline, "position 21"},
		{"newline", debianLike, "a\nb", ErrBadCmdline, "position 1"},
		{"DEL", debianLike, "a\x7f", ErrBadCmdline, "0x7f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.kernel.bytes()
			rd := []byte("ramdisk")
			got, l, err := build(t, k, rd, Options{Cmdline: tc.cmdline, SetCmdline: true})
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Build: %v, want %v", err, tc.want)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.wantMsg) {
					t.Errorf("error %q does not mention %q", err, tc.wantMsg)
				}
				return
			}
			// Only the command line area differs from cat+patch, and
			// all of it is zero past the line.
			want := catAndPatch(k, rd)
			max := CmdlineOffset + (&ParmArea{MaxCmdlineSize: tc.kernel.maxCmdline}).CmdlineMax()
			area := got[CmdlineOffset:max]
			if !bytes.Equal(got[:CmdlineOffset], want[:CmdlineOffset]) || !bytes.Equal(got[max:], want[max:]) {
				t.Error("bytes outside the command line area changed")
			}
			if string(area[:len(tc.cmdline)]) != tc.cmdline || strings.Trim(string(area[len(tc.cmdline):]), "\x00") != "" {
				t.Errorf("command line area %q...", area[:min(len(area), 40)])
			}
			if l.Cmdline != tc.cmdline {
				t.Errorf("Layout.Cmdline %q", l.Cmdline)
			}
			info, err := Inspect(bytes.NewReader(got), int64(len(got)))
			if err != nil || info.Cmdline != tc.cmdline {
				t.Errorf("Inspect: %q, %v", info.Cmdline, err)
			}
		})
	}
}

func TestBuildReplacesRamdisk(t *testing.T) {
	k := debianLike.bytes()
	first, _, err := build(t, k, pattern(10000, 1), Options{Cmdline: "first", SetCmdline: true})
	if err != nil {
		t.Fatal(err)
	}
	rd := pattern(777, 2)
	got, l, err := build(t, first, rd, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.ReplacedRamdisk != 10000 {
		t.Errorf("ReplacedRamdisk %d, want 10000", l.ReplacedRamdisk)
	}
	want, _, _ := build(t, k, rd, Options{Cmdline: "first", SetCmdline: true})
	if !bytes.Equal(got, want) {
		t.Error("rebuilding a single boot image stacked or mangled the ramdisk")
	}

	// A nil ramdisk keeps the embedded one and only sets the command line.
	got, l, err = build(t, first, nil, Options{Cmdline: "second", SetCmdline: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ = build(t, k, pattern(10000, 1), Options{Cmdline: "second", SetCmdline: true})
	if !bytes.Equal(got, want) || l.ReplacedRamdisk != 0 || l.RamdiskSize != 10000 {
		t.Errorf("command line only: layout %+v, equal %v", l, bytes.Equal(got, want))
	}

	// A ramdisk that runs past the end of the file is refused.
	if _, _, err := build(t, first[:len(first)-1], rd, Options{}); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated single boot image: %v, want ErrTruncated", err)
	}
}

// TestBuildUnknownSize streams a ramdisk whose size is known only at its
// end into a file.
func TestBuildUnknownSize(t *testing.T) {
	k, rd := debianLike.bytes(), pattern(99999, 3)
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := Build(f, bytes.NewReader(k), int64(len(k)), io.MultiReader(bytes.NewReader(rd)), UnknownSize, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, f.Name()); !bytes.Equal(got, catAndPatch(k, rd)) || l.RamdiskSize != int64(len(rd)) {
		t.Errorf("unknown-size build differs (layout %+v)", l)
	}
	if _, err := Build(io.Discard, bytes.NewReader(k), int64(len(k)), bytes.NewReader(rd), UnknownSize, Options{}); err == nil {
		t.Error("unknown size into a writer without WriteAt: no error")
	}
	if _, err := Build(f, bytes.NewReader(k), int64(len(k)), bytes.NewReader(rd), int64(len(rd))+1, Options{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ramdisk shorter than announced: %v", err)
	}
}

// TestBuildStreams checks that a 1 GiB ramdisk does not need 1 GiB of
// memory.
func TestBuildStreams(t *testing.T) {
	const size = 1 << 30
	k := debianLike.bytes()
	var n countingWriter
	var l *Layout
	var err error
	cost := testenv.Measure(func() { l, err = Build(&n, bytes.NewReader(k), int64(len(k)), zeroReader{}, size, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	if int64(n) != l.Size || l.RamdiskSize != size {
		t.Fatalf("wrote %d bytes, layout %+v", n, l)
	}
	if alloc := cost.Alloc; alloc > 8<<20 {
		t.Errorf("building with a 1 GiB ramdisk allocated %d MiB", alloc>>20)
	} else {
		t.Logf("1 GiB ramdisk: %d KiB allocated", alloc>>10)
	}
}

// countingWriter counts the bytes written to it; behind io.TeeReader,
// the bytes read.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestInspect(t *testing.T) {
	k := debianLike.bytes()
	img, _, err := build(t, k, pattern(5000, 4), Options{})
	if err != nil {
		t.Fatal(err)
	}
	patched := func(b []byte, off int, v uint64) []byte {
		b = append([]byte(nil), b...)
		binary.BigEndian.PutUint64(b[off:], v)
		return b
	}
	ebcdic := append([]byte(nil), k...)
	copy(ebcdic[CmdlineOffset:], "\x99\x96\x96\xa3")
	for _, tc := range []struct {
		name      string
		in        []byte
		inFile    bool
		kernel    int64
		version   string
		wantNotes []string
	}{
		{"kernel", k, false, int64(len(k)), debianLike.version, nil},
		{"single boot image", img, true, 0x13000, debianLike.version, nil},
		{"trailing bytes", append(append([]byte(nil), img...), 1, 2, 3), true, 0x13000, debianLike.version, []string{"3 bytes follow"}},
		{"ramdisk beyond end", patched(img[:0x13000], InitrdStartOffset, 0x2000000), false, 0x13000, debianLike.version, []string{"beyond the end"}},
		{"ramdisk cut", img[:len(img)-1], false, int64(len(img) - 1), debianLike.version, []string{"past the end"}},
		{"ramdisk in parameter area", patched(img, InitrdStartOffset, CmdlineOffset), false, int64(len(img)), debianLike.version, []string{"inside the kernel's parameter area"}},
		{"version beyond end", patched(k, KernelVersionOffset, 1<<40), false, int64(len(k)), "", []string{"kernel version at 0x10000000000: beyond"}},
		{"version unterminated", patched(k, KernelVersionOffset, uint64(len(k)-3)), false, int64(len(k)), "", []string{"no NUL"}},
		{"version not text", patched(k, KernelVersionOffset, 0x10), false, int64(len(k)), "", []string{"not printable"}},
		{"EBCDIC command line", ebcdic, false, int64(len(k)), debianLike.version, []string{"EBCDIC"}},
		{"old kernel", synth{}.bytes(), false, 0x14000, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := Inspect(bytes.NewReader(tc.in), int64(len(tc.in)))
			if err != nil {
				t.Fatal(err)
			}
			if info.RamdiskInFile != tc.inFile || info.KernelSize != tc.kernel || info.KernelVersion != tc.version || info.Magic != MagicString {
				t.Errorf("Inspect = %+v", info)
			}
			if len(info.Notes) != len(tc.wantNotes) {
				t.Fatalf("notes %q, want %q", info.Notes, tc.wantNotes)
			}
			for i, n := range tc.wantNotes {
				if !strings.Contains(info.Notes[i], n) {
					t.Errorf("note %q does not mention %q", info.Notes[i], n)
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kernel  synth
		ramdisk int
		cmdline string
	}{
		{"aligned", debianLike, 4096, ""},
		{"small ramdisk", synth{size: 0x20000, maxCmdline: 2048}, 1, ""},
		{"with command line", debianLike, 70000, "console=ttysclp0 init=/init"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, rd := tc.kernel.bytes(), pattern(tc.ramdisk, 9)
			opts := Options{Cmdline: tc.cmdline, SetCmdline: tc.cmdline != ""}
			img, _, err := build(t, k, rd, opts)
			if err != nil {
				t.Fatal(err)
			}
			var gotK, gotR bytes.Buffer
			l, err := Extract(bytes.NewReader(img), int64(len(img)), &gotK, &gotR)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotR.Bytes(), rd) {
				t.Error("extracted ramdisk differs")
			}
			if wantK, _, _ := build(t, k, nil, opts); !bytes.Equal(gotK.Bytes(), wantK) {
				t.Error("extracted kernel differs from the input kernel (with the command line applied)")
			}
			if l.KernelSize != int64(gotK.Len()) || l.RamdiskSize != int64(len(rd)) {
				t.Errorf("layout %+v", l)
			}
			again, _, err := build(t, gotK.Bytes(), gotR.Bytes(), Options{})
			if err != nil || !bytes.Equal(again, img) {
				t.Errorf("Build(Extract(image)) differs from the image: %v", err)
			}
		})
	}

	k := synth{size: 0x14001}.bytes()
	img, _, _ := build(t, k, []byte("rd"), Options{})
	var gotK bytes.Buffer
	if _, err := Extract(bytes.NewReader(img), int64(len(img)), &gotK, nil); err != nil {
		t.Fatal(err)
	}
	if gotK.Len() != 0x15000 || !bytes.Equal(gotK.Bytes()[:len(k)], k) {
		t.Errorf("unaligned kernel: got %d bytes back", gotK.Len())
	}
}

func TestExtractRefuses(t *testing.T) {
	k := debianLike.bytes()
	if _, err := Extract(bytes.NewReader(k), int64(len(k)), io.Discard, io.Discard); !errors.Is(err, ErrNoRamdisk) {
		t.Errorf("plain kernel: %v, want ErrNoRamdisk", err)
	}
	img, _, _ := build(t, k, []byte("ramdisk"), Options{})
	cut := img[:len(img)-2]
	if _, err := Extract(bytes.NewReader(cut), int64(len(cut)), io.Discard, io.Discard); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut image: %v, want ErrTruncated", err)
	}
	if _, err := Extract(bytes.NewReader([]byte("\x1f\x8b")), 2, io.Discard, io.Discard); !errors.Is(err, ErrCompressed) {
		t.Errorf("gzip: %v, want ErrCompressed", err)
	}
}

func TestParseParmfile(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"root=/dev/ram0 ro\n", "root=/dev/ram0 ro"},
		{"  cio_ignore=all,!condev\r\n rd.znet=qeth,0.0.0600,0.0.0601,0.0.0602,layer2=1 \r\n\n\tip=dhcp\n", "cio_ignore=all,!condev rd.znet=qeth,0.0.0600,0.0.0601,0.0.0602,layer2=1 ip=dhcp"},
		{"a  b\n\n\nc", "a  b c"},
	} {
		if got := ParseParmfile(tc.in); got != tc.want {
			t.Errorf("ParseParmfile(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
