package kexec

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/s390image"
)

// parmOf decodes the parameter area of a layout's kernel segment.
func parmOf(t *testing.T, l Layout) s390image.ParmArea {
	t.Helper()
	img := make([]byte, s390image.EntryOffset, s390image.EntryOffset+len(l.Segments[0].Buf))
	img = append(img, l.Segments[0].Buf...)
	p, err := s390image.ReadParmArea(img)
	if err != nil {
		t.Fatalf("parameter area of the kernel segment: %v", err)
	}
	return p
}

func TestS390Segments(t *testing.T) {
	const mib = 1 << 20
	small := fakeS390(0x23456, 4096, "root=/dev/ram0 ro")
	big := fakeS390(9*mib+5, 0, "")
	initrd := bytes.Repeat([]byte("initrd"), 1000)
	embedded := bytes.Repeat([]byte("embedded"), 999)
	sbi := singleBootImage(small, embedded)
	sbiKernelEnd := uint64(len(sbi) - len(embedded))

	type want struct {
		segs          []Segment // Buf compared by length and first byte only
		initrd        []byte    // the bytes of the ramdisk segment
		initrdStart   uint64
		embedded      bool
		cmdline       string
		kernelSegBufs int // len(Segments[0].Buf)
	}
	tests := []struct {
		name    string
		kernel  []byte
		initrd  []byte
		cmdline string
		want    want
		err     error
		words   string
	}{
		{
			name: "plain kernel, no ramdisk, keeps its command line", kernel: small,
			want: want{
				segs:    []Segment{{Mem: 0x10000, Memsz: 0x14000}},
				cmdline: "root=/dev/ram0 ro", kernelSegBufs: 0x13456,
			},
		},
		{
			name: "ramdisk at 8 MiB behind a small kernel", kernel: small, initrd: initrd, cmdline: "console=ttysclp0 quiet",
			want: want{
				segs:        []Segment{{Mem: 0x10000, Memsz: 0x14000}, {Mem: 8 * mib, Memsz: 0x2000}},
				initrd:      initrd,
				initrdStart: 8 * mib, cmdline: "console=ttysclp0 quiet", kernelSegBufs: 0x13456,
			},
		},
		{
			name: "ramdisk on the next MiB behind a 9 MiB kernel", kernel: big, initrd: initrd,
			want: want{
				segs:        []Segment{{Mem: 0x10000, Memsz: 9*mib + 4096 - 0x10000}, {Mem: 10 * mib, Memsz: 0x2000}},
				initrd:      initrd,
				initrdStart: 10 * mib, kernelSegBufs: 9*mib + 5 - 0x10000,
			},
		},
		{
			name: "single boot image keeps its embedded ramdisk", kernel: sbi,
			want: want{
				segs:        []Segment{{Mem: 0x10000, Memsz: sbiKernelEnd - 0x10000}, {Mem: 8 * mib, Memsz: 0x2000}},
				initrd:      embedded,
				initrdStart: 8 * mib, embedded: true, cmdline: "root=/dev/ram0 ro", kernelSegBufs: int(sbiKernelEnd) - 0x10000,
			},
		},
		{
			name: "the entry's ramdisk replaces the embedded one", kernel: sbi, initrd: initrd, cmdline: "x",
			want: want{
				segs:        []Segment{{Mem: 0x10000, Memsz: sbiKernelEnd - 0x10000}, {Mem: 8 * mib, Memsz: 0x2000}},
				initrd:      initrd,
				initrdStart: 8 * mib, cmdline: "x", kernelSegBufs: int(sbiKernelEnd) - 0x10000,
			},
		},
		{
			name: "longest command line of an old kernel", kernel: big, cmdline: strings.Repeat("a", 895),
			want: want{
				segs:    []Segment{{Mem: 0x10000, Memsz: 9*mib + 4096 - 0x10000}},
				cmdline: strings.Repeat("a", 895), kernelSegBufs: 9*mib + 5 - 0x10000,
			},
		},
		{
			name: "command line too long for an old kernel", kernel: big, cmdline: strings.Repeat("a", 896),
			err: ErrBadCmdline, words: "896 bytes, this kernel takes at most 895",
		},
		{
			name: "command line too long for 4096", kernel: small, cmdline: strings.Repeat("a", 4096),
			err: ErrBadCmdline, words: "at most 4095",
		},
		{
			name: "non-ASCII command line", kernel: small, cmdline: "root=/dev/ram0 lang=dé",
			err: ErrBadCmdline, words: "EBCDIC",
		},
		{
			name: "control character in the command line", kernel: small, cmdline: "a\nb",
			err: ErrBadCmdline, words: "control character",
		},
		{
			name: "embedded ramdisk beyond the end of the file",
			kernel: func() []byte {
				b := bytes.Clone(sbi)
				s390image.SetInitrd(b, sbiKernelEnd, uint64(len(embedded)+1))
				return b
			}(),
			err: s390image.ErrTruncated, words: "not inside the",
		},
		{
			name: "embedded ramdisk over the parameter area",
			kernel: func() []byte {
				b := bytes.Clone(small)
				s390image.SetInitrd(b, 0x10400, 16)
				return b
			}(),
			err: s390image.ErrTruncated, words: "at 0x10400",
		},
		{
			name: "a broken embedded ramdisk does not matter when the entry gives one",
			kernel: func() []byte {
				b := bytes.Clone(small)
				s390image.SetInitrd(b, 1<<40, 16)
				return b
			}(),
			initrd: initrd,
			want: want{
				segs:        []Segment{{Mem: 0x10000, Memsz: 0x14000}, {Mem: 8 * mib, Memsz: 0x2000}},
				initrd:      initrd,
				initrdStart: 8 * mib, cmdline: "root=/dev/ram0 ro", kernelSegBufs: 0x13456,
			},
		},
		{
			name: "command line area beyond the end of the file", kernel: fakeS390(0x10480+1000, 4096, ""),
			err: s390image.ErrTruncated, words: "command line area ends at 0x11480",
		},
		{
			name: "x86 kernel", kernel: fakeBzImage(0x020f, 0x7f),
			err: ErrWrongArch, words: "x86 bzImage",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bytes.Clone(tt.kernel)
			l, err := S390Segments(tt.kernel, tt.initrd, tt.cmdline)
			if !bytes.Equal(before, tt.kernel) {
				t.Error("S390Segments changed the kernel it was given")
			}
			if tt.err != nil || err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.words) {
					t.Fatalf("err = %v, want %v saying %q", err, tt.err, tt.words)
				}
				return
			}
			if l.Entry != 0x10000 || l.Flags != 0x160000 {
				t.Errorf("entry %#x flags %#x, want 0x10000 0x160000", l.Entry, l.Flags)
			}
			if len(l.Segments) != len(tt.want.segs) {
				t.Fatalf("segments %v, want %v", l.Segments, tt.want.segs)
			}
			for i, s := range l.Segments {
				if w := tt.want.segs[i]; s.Mem != w.Mem || s.Memsz != w.Memsz {
					t.Errorf("segment %d = %v, want %v", i, s, w)
				}
			}
			if got := len(l.Segments[0].Buf); got != tt.want.kernelSegBufs {
				t.Errorf("kernel segment holds %#x bytes, want %#x", got, tt.want.kernelSegBufs)
			}
			// The kernel segment is the image from 0x10000, with only the
			// parameter area changed.
			k := tt.kernel[0x10000 : 0x10000+tt.want.kernelSegBufs]
			if seg := l.Segments[0].Buf; !bytes.Equal(seg[:0x400], k[:0x400]) || !bytes.Equal(seg[0x2000:], k[0x2000:]) {
				t.Error("kernel segment differs from the image outside the parameter area")
			}
			p := parmOf(t, l)
			if p.InitrdStart != tt.want.initrdStart || p.InitrdSize != uint64(len(tt.want.initrd)) {
				t.Errorf("parameter area: ramdisk %#x+%d, want %#x+%d", p.InitrdStart, p.InitrdSize, tt.want.initrdStart, len(tt.want.initrd))
			}
			if l.InitrdStart != p.InitrdStart || l.InitrdSize != p.InitrdSize {
				t.Errorf("Layout says ramdisk %#x+%d, parameter area %#x+%d", l.InitrdStart, l.InitrdSize, p.InitrdStart, p.InitrdSize)
			}
			if p.Cmdline != tt.want.cmdline || l.Cmdline != tt.want.cmdline {
				t.Errorf("command line %q (Layout %q), want %q", p.Cmdline, l.Cmdline, tt.want.cmdline)
			}
			if tt.want.initrd != nil && !bytes.Equal(l.Segments[1].Buf, tt.want.initrd) {
				t.Error("ramdisk segment does not hold the ramdisk")
			}
			if l.EmbeddedInitrd != tt.want.embedded {
				t.Errorf("EmbeddedInitrd = %v", l.EmbeddedInitrd)
			}
		})
	}
}

// TestS390SegmentsCmdlineAreaZeroed checks that a shorter command line
// leaves no tail of the old one.
func TestS390SegmentsCmdlineAreaZeroed(t *testing.T) {
	k := fakeS390(0x12000, 4096, strings.Repeat("x", 4000))
	l, err := S390Segments(k, nil, "short")
	if err != nil {
		t.Fatal(err)
	}
	area := l.Segments[0].Buf[0x480 : 0x480+4096]
	if string(area[:6]) != "short\x00" || bytes.Count(area, []byte{0}) != 4096-5 {
		t.Errorf("command line area not zeroed behind the new line: %q", bytes.TrimRight(area, "\x00"))
	}
}

func TestS390SegmentsDebianKernel(t *testing.T) {
	k := cachedKernel(t, "s390x")
	initrd := make([]byte, 3<<20+17)
	l, err := S390Segments(k, initrd, "console=ttysclp0 root=/dev/ram0")
	if err != nil {
		t.Fatal(err)
	}
	end := alignUp(uint64(len(k)), S390PageSize)
	wantInitrd := S390InitrdAddr(end)
	if len(k) < 7<<20 && wantInitrd != 8<<20 {
		t.Errorf("ramdisk address %#x for a %d-byte kernel, want 8 MiB", wantInitrd, len(k))
	}
	want := []Segment{{Mem: 0x10000, Memsz: end - 0x10000}, {Mem: wantInitrd, Memsz: alignUp(uint64(len(initrd)), 4096)}}
	for i, s := range l.Segments {
		if s.Mem != want[i].Mem || s.Memsz != want[i].Memsz {
			t.Errorf("segment %d = %v, want %v", i, s, want[i])
		}
	}
	p := parmOf(t, l)
	if p.MaxCmdlineSize != 4096 || p.Cmdline != "console=ttysclp0 root=/dev/ram0" || p.KernelVersion == 0 {
		t.Errorf("parameter area %+v", p)
	}
	t.Logf("Debian kernel %d bytes: %v", len(k), l.Segments)
}

func TestCheckSegments(t *testing.T) {
	page := uint64(4096)
	seg := func(mem, memsz uint64, bufsz int) Segment {
		return Segment{Buf: make([]byte, bufsz), Mem: mem, Memsz: memsz}
	}
	many := func(n int) []Segment {
		var s []Segment
		for i := range n {
			s = append(s, seg(uint64(i)*page, page, 1))
		}
		return s
	}
	tests := []struct {
		name  string
		segs  []Segment
		words string // "" for no error
	}{
		{"none", nil, ""},
		{"sixteen", many(16), ""},
		{"seventeen", many(17), "17 segments, kexec_load takes at most 16"},
		{"adjacent", []Segment{seg(0x10000, 0x1000, 0x1000), seg(0x11000, 0x1000, 0)}, ""},
		{"unaligned mem", []Segment{seg(0x10001, 0x1000, 1)}, "not aligned"},
		{"unaligned memsz", []Segment{seg(0x10000, 0x1001, 1)}, "not aligned"},
		{"bufsz over memsz", []Segment{seg(0x10000, 0x1000, 0x1001)}, "more bytes than its memory size"},
		{"empty", []Segment{seg(0x10000, 0, 0)}, "empty"},
		{"overlap", []Segment{seg(0x800000, 0x2000, 1), seg(0x10000, 0x7f2000, 1)}, "overlap"},
		{"wrap", []Segment{seg(1<<64-0x1000, 0x2000, 1)}, "wraps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSegments(tt.segs, page)
			if tt.words == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrBadLayout) || !strings.Contains(err.Error(), tt.words) {
				t.Fatalf("err = %v, want ErrBadLayout saying %q", err, tt.words)
			}
		})
	}
}

func TestConcatInitrds(t *testing.T) {
	a, b, c := []byte("first"), bytes.Repeat([]byte{7}, 512), []byte("third")
	if got := ConcatInitrds(nil); got != nil {
		t.Errorf("none: %q", got)
	}
	if got := ConcatInitrds([][]byte{{}, a, nil}); &got[0] != &a[0] {
		t.Error("one ramdisk was copied")
	}
	got := ConcatInitrds([][]byte{a, b, {}, c})
	want := slices.Concat([]byte("first"), make([]byte, 507), b, c)
	if !bytes.Equal(got, want) {
		t.Errorf("ConcatInitrds = %d bytes, want %d", len(got), len(want))
	}
	for _, off := range []int{0, 512, 1024} {
		if off%4 != 0 || got[off] == 0 {
			t.Errorf("archive at %d not where the kernel looks for it", off)
		}
	}
}

func FuzzS390Segments(f *testing.F) {
	f.Add(fakeS390(0x10480+896, 0, "root=/dev/ram0"), []byte("initrd"), "console=ttysclp0")
	f.Add(singleBootImage(fakeS390(0x11000, 0, ""), []byte("ramdisk")), []byte(nil), "")
	f.Fuzz(func(t *testing.T, kernel, initrd []byte, cmdline string) {
		l, err := S390Segments(kernel, initrd, cmdline)
		if err != nil {
			return
		}
		if err := CheckSegments(l.Segments, S390PageSize); err != nil {
			t.Fatalf("S390Segments made a bad layout: %v", err)
		}
		if p := parmOf(t, l); p.InitrdStart != l.InitrdStart || p.InitrdSize != l.InitrdSize {
			t.Fatalf("parameter area and layout disagree")
		}
		if l.InitrdSize > 0 && l.InitrdStart < l.Segments[0].Mem+l.Segments[0].Memsz {
			t.Fatalf("ramdisk inside the kernel")
		}
	})
}

func BenchmarkS390Segments(b *testing.B) {
	k := cachedKernel(b, "s390x")
	initrd := make([]byte, 16<<20)
	b.SetBytes(int64(len(k) + len(initrd)))
	for b.Loop() {
		if _, err := S390Segments(k, initrd, "console=ttysclp0"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConcatInitrds(b *testing.B) {
	parts := [][]byte{make([]byte, 8<<20+3), make([]byte, 4<<20+1), make([]byte, 1<<20)}
	b.SetBytes(13<<20 + 4)
	for b.Loop() {
		ConcatInitrds(parts)
	}
}
