package kexec

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
)

// qemuVirtFDT returns the device tree of QEMU's arm64 virt machine
// (testdata/README.md says how it was made).
func qemuVirtFDT(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("testdata/qemu-virt.dtb.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFDTRoundTrip(t *testing.T) {
	tree, err := parseFDT(qemuVirtFDT(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tree.root.children {
		names = append(names, c.name)
	}
	if s := strings.Join(names, " "); !strings.Contains(s, "chosen") || !strings.Contains(s, "memory@40000000") {
		t.Errorf("root's children %q lack chosen and memory@40000000", s)
	}
	blob := tree.encode()
	again, err := parseFDT(blob)
	if err != nil {
		t.Fatalf("parsing the encoded tree: %v", err)
	}
	if !reflect.DeepEqual(tree, again) {
		t.Error("the tree changed in an encode/parse round trip")
	}
	if !bytes.Equal(again.encode(), blob) {
		t.Error("encoding is not stable")
	}
}

func TestParseFDTErrors(t *testing.T) {
	good := qemuVirtFDT(t)
	corrupt := func(off int, v uint32) []byte {
		b := bytes.Clone(good)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	tests := map[string][]byte{
		"empty":              nil,
		"text":               []byte(strings.Repeat("<html>", 10)),
		"bad magic":          corrupt(0, 0xfeedd00d),
		"total size too big": corrupt(4, uint32(len(good)+1)),
		"old version":        corrupt(20, 15),
		"strings outside":    corrupt(12, uint32(len(good))),
		"bad first token":    corrupt(int(binary.BigEndian.Uint32(good[8:])), 7),
		"truncated":          good[:len(good)/2],
	}
	for name, b := range tests {
		if _, err := parseFDT(b); !errors.Is(err, ErrBadFDT) {
			t.Errorf("%s: parseFDT = %v, want ErrBadFDT", name, err)
		}
	}
}

const iomemARM64 = `09000000-09000fff : pl011@9000000
  09000000-09000fff : 9000000.pl011 pl011@9000000
40000000-7fffffff : System RAM
  40210000-4173ffff : Kernel code
  41740000-41b1ffff : reserved
  41b20000-4245ffff : Kernel data
  48000000-483fffff : reserved
  7fe00000-7fffffff : reserved
4010000000-401fffffff : PCI ECAM
`

func TestUsableRAM(t *testing.T) {
	got, err := UsableRAM(strings.NewReader(iomemARM64))
	if err != nil {
		t.Fatal(err)
	}
	want := []MemRange{{0x40000000, 0x41740000}, {0x41b20000, 0x48000000}, {0x48400000, 0x7fe00000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UsableRAM = %v, want %v", got, want)
	}
	if _, err := UsableRAM(strings.NewReader("00000000-00000000 : Reserved\n")); err == nil {
		t.Error("UsableRAM without System RAM succeeded")
	}
}

func TestARM64Segments(t *testing.T) {
	fdt := qemuVirtFDT(t)
	kernel := fakekernel.ARM64(3<<20+123, false)
	binary.LittleEndian.PutUint64(kernel[arm64ImageSizeOffset:], 5<<20) // image_size beyond the file: bss
	initrds := [][]byte{[]byte("first ramdisk"), bytes.Repeat([]byte{7}, 100000)}
	ram, err := UsableRAM(strings.NewReader(iomemARM64))
	if err != nil {
		t.Fatal(err)
	}
	const cmdline = "console=ttyAMA0 BOOTIF=01-52-54-00-12-34-56"
	l, err := ARM64Segments(kernel, initrds, cmdline, fdt, ram)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Segments) != 4 || l.Flags != KexecArchAARCH64 {
		t.Fatalf("layout %+v: want 4 segments (kernel, ramdisk, device tree, purgatory), flags %#x", l, KexecArchAARCH64)
	}
	k, rd, dtb, purg := l.Segments[0], l.Segments[1], l.Segments[2], l.Segments[3]
	if k.Mem != 0x40000000 || k.Memsz != 5<<20 || !bytes.Equal(k.Buf, kernel) {
		t.Errorf("kernel segment %v, want the Image at 0x40000000 with its 5 MiB image_size", k)
	}
	if rd.Mem != k.Mem+k.Memsz || !bytes.Equal(rd.Buf, ConcatInitrds(initrds)) || l.InitrdStart != rd.Mem || l.InitrdSize != uint64(InitrdsSize(initrds)) {
		t.Errorf("ramdisk segment %v (start %#x size %d)", rd, l.InitrdStart, l.InitrdSize)
	}
	if l.Entry != purg.Mem {
		t.Errorf("entry %#x, want the purgatory at %#x", l.Entry, purg.Mem)
	}
	tree, err := parseFDT(dtb.Buf)
	if err != nil {
		t.Fatal(err)
	}
	chosen := tree.root.child("chosen")
	if got := string(chosen.get("bootargs")); got != cmdline+"\x00" {
		t.Errorf("bootargs %q", got)
	}
	start, end := binary.BigEndian.Uint64(chosen.get("linux,initrd-start")), binary.BigEndian.Uint64(chosen.get("linux,initrd-end"))
	if start != rd.Mem || end != rd.Mem+l.InitrdSize {
		t.Errorf("linux,initrd-start/-end %#x-%#x, want %#x-%#x", start, end, rd.Mem, rd.Mem+l.InitrdSize)
	}
	if got := binary.LittleEndian.Uint64(purg.Buf[arm64PurgatoryDTB:]); got != dtb.Mem {
		t.Errorf("purgatory loads x0 = %#x, want the device tree at %#x", got, dtb.Mem)
	}
	if got := binary.LittleEndian.Uint64(purg.Buf[arm64PurgatoryKernel:]); got != k.Mem {
		t.Errorf("purgatory branches to %#x, want the kernel at %#x", got, k.Mem)
	}
	for _, s := range l.Segments {
		inside := false
		for _, r := range ram {
			inside = inside || s.Mem >= r.Start && s.Mem+s.Memsz <= r.End
		}
		if !inside {
			t.Errorf("segment %v is not inside usable RAM %v", s, ram)
		}
	}

	// Without a ramdisk: no segment, no initrd properties.
	l, err = ARM64Segments(kernel, nil, "quiet", fdt, ram)
	if err != nil || len(l.Segments) != 3 {
		t.Fatalf("without a ramdisk: %d segments, %v", len(l.Segments), err)
	}
	tree, _ = parseFDT(l.Segments[1].Buf)
	if tree.root.child("chosen").get("linux,initrd-start") != nil {
		t.Error("linux,initrd-start is left in /chosen without a ramdisk")
	}

	badOffset := bytes.Clone(kernel)
	binary.LittleEndian.PutUint64(badOffset[arm64TextOffsetOffset:], 0x1234)
	for name, tt := range map[string]struct {
		kernel []byte
		fdt    []byte
		ram    []MemRange
		want   error
	}{
		"no room":            {kernel, fdt, []MemRange{{0x40000000, 0x40400000}}, ErrNotEnoughMemory},
		"bad device tree":    {kernel, fdt[:100], ram, ErrBadFDT},
		"odd text_offset":    {badOffset, fdt, ram, ErrUnsupportedKernel},
		"an x86 kernel":      {fakekernel.BzImage(0x020f, x86XLFKernel64|x86XLFAbove4G, []byte("payload")), fdt, ram, ErrWrongArch},
		"gzip, not inflated": {gzipped(t, kernel), fdt, ram, ErrCompressed},
	} {
		if _, err := ARM64Segments(tt.kernel, initrds, "", tt.fdt, tt.ram); !errors.Is(err, tt.want) {
			t.Errorf("%s: ARM64Segments = %v, want %v", name, err, tt.want)
		}
	}
}

func FuzzParseFDT(f *testing.F) {
	good := qemuVirtFDT(f)
	f.Add(good)
	f.Add(good[:200])
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := parseFDT(b)
		if err != nil {
			return
		}
		again, err := parseFDT(tree.encode())
		if err != nil {
			t.Fatalf("parsing the encoding of a parsed tree: %v", err)
		}
		if !reflect.DeepEqual(tree, again) {
			t.Error("round trip changed the tree")
		}
	})
}

func FuzzUsableRAM(f *testing.F) {
	f.Add(iomemARM64)
	f.Add("00001000-0009fbff : System RAM\n00100000-bfffffff : System RAM\n  01000000-02276987 : Kernel code\n")
	f.Fuzz(func(t *testing.T, s string) {
		ram, err := UsableRAM(strings.NewReader(s))
		if err != nil {
			return
		}
		for i, r := range ram {
			if r.End <= r.Start || i > 0 && r.Start < ram[i-1].Start {
				t.Errorf("range %d %v: empty or out of order in %v", i, r, ram)
			}
		}
	})
}
