package kexec

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/s390image"
)

// parmOf decodes the parameter area of a layout's kernel segments.
func parmOf(t *testing.T, l Layout) s390image.ParmArea {
	t.Helper()
	p, err := s390image.ReadParmArea(memory(l, 0, l.Segments[0].Mem+l.Segments[0].Memsz))
	if err != nil {
		t.Fatalf("parameter area of the kernel segment: %v", err)
	}
	return p
}

// memory returns physical memory [from, to) as kexec_load would leave it
// with the segments of l: each Buf at its Mem, zeros elsewhere.
func memory(l Layout, from, to uint64) []byte {
	m := make([]byte, to-from)
	for _, s := range l.Segments {
		if s.Mem+uint64(len(s.Buf)) <= from || s.Mem >= to {
			continue
		}
		src := s.Buf
		dst := int64(s.Mem) - int64(from)
		if dst < 0 {
			src, dst = src[-dst:], 0
		}
		copy(m[dst:], src)
	}
	return m
}

// pageJoin joins ramdisks as the layout places them: each but the last
// zero-padded to a page.
func pageJoin(parts ...[]byte) []byte {
	var out []byte
	for i, r := range parts {
		out = append(out, r...)
		if i < len(parts)-1 {
			out = append(out, make([]byte, alignUp(uint64(len(r)), 4096)-uint64(len(r)))...)
		}
	}
	return out
}

func TestS390Segments(t *testing.T) {
	const mib = 1 << 20
	small := fakekernel.S390(0x23456, 4096, "root=/dev/ram0 ro") // command line area ends at 0x11480
	big := fakekernel.S390(9*mib+5, 0, "")                       // legacy area, ends at 0x10800
	tiny := fakekernel.S390(0x10f00, 0, "tiny")
	initrd := bytes.Repeat([]byte("initrd"), 1000)
	embedded := bytes.Repeat([]byte("embedded"), 999)
	sbi := fakekernel.SingleBootImage(small, embedded)
	sbiKernelEnd := uint64(len(sbi) - len(embedded))
	r1, r2, r3 := bytes.Repeat([]byte{1}, 5000), bytes.Repeat([]byte{2}, 4096), []byte("three")
	var many [][]byte
	for i := range 15 {
		many = append(many, bytes.Repeat([]byte{byte(i + 1)}, 100+i))
	}

	// The kernel's segments, then the zero-filled gap up to the ramdisk's
	// address.
	smallSegs := []Segment{{Mem: 0x10000, Memsz: 0x2000}, {Mem: 0x12000, Memsz: 0x12000}, {Mem: 0x24000, Memsz: 8*mib - 0x24000}}
	bigSegs := []Segment{{Mem: 0x10000, Memsz: 0x1000}, {Mem: 0x11000, Memsz: 9*mib + 4096 - 0x11000}, {Mem: 9*mib + 4096, Memsz: mib - 4096}}
	sbiSegs := []Segment{{Mem: 0x10000, Memsz: 0x2000}, {Mem: 0x12000, Memsz: sbiKernelEnd - 0x12000}, {Mem: sbiKernelEnd, Memsz: 8*mib - sbiKernelEnd}}
	manySegs := slices.Clone(smallSegs)
	for i := range 12 {
		manySegs = append(manySegs, Segment{Mem: 8*mib + uint64(i)*4096, Memsz: 4096})
	}
	manySegs = append(manySegs, Segment{Mem: 8*mib + 12*4096, Memsz: 4096})

	type want struct {
		segs        []Segment // Mem and Memsz; the bytes are checked through memory()
		kernelLen   int       // bytes of the kernel image in the segments
		initrd      []byte    // the ramdisk as the kernel sees it
		initrdStart uint64
		embedded    bool
		cmdline     string
	}
	tests := []struct {
		name    string
		kernel  []byte
		initrds [][]byte
		cmdline string
		want    want
		err     error
		words   string
	}{
		{
			name: "plain kernel, no ramdisk, keeps its command line", kernel: small,
			want: want{segs: smallSegs, kernelLen: 0x23456, cmdline: "root=/dev/ram0 ro"},
		},
		{
			name: "ramdisk at 8 MiB behind a small kernel", kernel: small, initrds: [][]byte{initrd}, cmdline: "console=ttysclp0 quiet",
			want: want{
				segs:      append(slices.Clone(smallSegs), Segment{Mem: 8 * mib, Memsz: 0x2000}),
				kernelLen: 0x23456, initrd: initrd, initrdStart: 8 * mib, cmdline: "console=ttysclp0 quiet",
			},
		},
		{
			name: "ramdisk on the next MiB behind a 9 MiB kernel", kernel: big, initrds: [][]byte{initrd},
			want: want{
				segs:      append(slices.Clone(bigSegs), Segment{Mem: 10 * mib, Memsz: 0x2000}),
				kernelLen: 9*mib + 5, initrd: initrd, initrdStart: 10 * mib,
			},
		},
		{
			name: "kernel shorter than a page behind its command line area: one kernel segment", kernel: tiny, cmdline: "x",
			want: want{segs: []Segment{{Mem: 0x10000, Memsz: 0x1000}, {Mem: 0x11000, Memsz: 8*mib - 0x11000}}, kernelLen: 0x10f00, cmdline: "x"},
		},
		{
			name: "three ramdisks, one segment each, page after page", kernel: small, initrds: [][]byte{r1, nil, r2, {}, r3},
			want: want{
				segs: append(slices.Clone(smallSegs),
					Segment{Mem: 8 * mib, Memsz: 0x2000}, Segment{Mem: 8*mib + 0x2000, Memsz: 0x1000}, Segment{Mem: 8*mib + 0x3000, Memsz: 0x1000}),
				kernelLen: 0x23456, initrd: pageJoin(r1, r2, r3), initrdStart: 8 * mib, cmdline: "root=/dev/ram0 ro",
			},
		},
		{
			name: "fifteen ramdisks: the last three joined to stay within 16 segments", kernel: small, initrds: many,
			want: want{
				segs:      manySegs,
				kernelLen: 0x23456, initrd: slices.Concat(pageJoin(many[:12]...), make([]byte, 4096-111), ConcatInitrds(many[12:])), initrdStart: 8 * mib, cmdline: "root=/dev/ram0 ro",
			},
		},
		{
			name: "single boot image keeps its embedded ramdisk", kernel: sbi,
			want: want{
				segs:      append(slices.Clone(sbiSegs), Segment{Mem: 8 * mib, Memsz: 0x2000}),
				kernelLen: int(sbiKernelEnd), initrd: embedded, initrdStart: 8 * mib, embedded: true, cmdline: "root=/dev/ram0 ro",
			},
		},
		{
			name: "the entry's ramdisk replaces the embedded one", kernel: sbi, initrds: [][]byte{initrd}, cmdline: "x",
			want: want{
				segs:      append(slices.Clone(sbiSegs), Segment{Mem: 8 * mib, Memsz: 0x2000}),
				kernelLen: int(sbiKernelEnd), initrd: initrd, initrdStart: 8 * mib, cmdline: "x",
			},
		},
		{
			name: "longest command line of an old kernel", kernel: big, cmdline: strings.Repeat("a", 895),
			want: want{segs: bigSegs, kernelLen: 9*mib + 5, cmdline: strings.Repeat("a", 895)},
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
			initrds: [][]byte{initrd},
			want: want{
				segs:      append(slices.Clone(smallSegs), Segment{Mem: 8 * mib, Memsz: 0x2000}),
				kernelLen: 0x23456, initrd: initrd, initrdStart: 8 * mib, cmdline: "root=/dev/ram0 ro",
			},
		},
		{
			name: "command line area beyond the end of the file", kernel: fakekernel.S390(0x10480+1000, 4096, ""),
			err: s390image.ErrTruncated, words: "command line area ends at 0x11480",
		},
		{
			name: "x86 kernel", kernel: fakekernel.BzImage(0x020f, 0x7f, nil),
			err: ErrWrongArch, words: "x86 bzImage",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := bytes.Clone(tt.kernel)
			l, err := S390Segments(tt.kernel, tt.initrds, tt.cmdline)
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
			// Memory from 0x10000 to the end of the kernel is the image,
			// with only the parameter area changed.
			kernelEnd := alignUp(uint64(tt.want.kernelLen), 4096)
			got := memory(l, 0x10000, kernelEnd)
			k := append(bytes.Clone(tt.kernel[0x10000:tt.want.kernelLen]), make([]byte, kernelEnd-uint64(tt.want.kernelLen))...)
			p := parmOf(t, l)
			areaEnd := 0x480 + p.CmdlineMax()
			if !bytes.Equal(got[:0x400], k[:0x400]) || !bytes.Equal(got[areaEnd:], k[areaEnd:]) {
				t.Error("kernel in memory differs from the image outside the parameter area")
			}
			// The kernel's buffer is used in place, not copied; the gap
			// behind it is zeros that the running kernel allocates.
			for _, s := range l.Segments[1:] {
				if s.Mem < kernelEnd && &s.Buf[0] != &tt.kernel[s.Mem] {
					t.Errorf("segment %v copies the kernel", s)
				}
				if s.Mem == kernelEnd && (len(s.Buf) != 0 || s.Mem+s.Memsz != S390InitrdAddr(kernelEnd)) {
					t.Errorf("segment %v behind the kernel, want zeros up to %#x", s, S390InitrdAddr(kernelEnd))
				}
			}
			if p.InitrdStart != tt.want.initrdStart || p.InitrdSize != uint64(len(tt.want.initrd)) {
				t.Errorf("parameter area: ramdisk %#x+%d, want %#x+%d", p.InitrdStart, p.InitrdSize, tt.want.initrdStart, len(tt.want.initrd))
			}
			if l.InitrdStart != p.InitrdStart || l.InitrdSize != p.InitrdSize {
				t.Errorf("Layout says ramdisk %#x+%d, parameter area %#x+%d", l.InitrdStart, l.InitrdSize, p.InitrdStart, p.InitrdSize)
			}
			if p.Cmdline != tt.want.cmdline || l.Cmdline != tt.want.cmdline {
				t.Errorf("command line %q (Layout %q), want %q", p.Cmdline, l.Cmdline, tt.want.cmdline)
			}
			if tt.want.initrd != nil && !bytes.Equal(memory(l, l.InitrdStart, l.InitrdStart+l.InitrdSize), tt.want.initrd) {
				t.Error("ramdisk in memory is not the ramdisks joined")
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
	k := fakekernel.S390(0x12000, 4096, strings.Repeat("x", 4000))
	l, err := S390Segments(k, nil, "short")
	if err != nil {
		t.Fatal(err)
	}
	area := memory(l, 0x10480, 0x10480+4096)
	if string(area[:6]) != "short\x00" || bytes.Count(area, []byte{0}) != 4096-5 {
		t.Errorf("command line area not zeroed behind the new line: %q", bytes.TrimRight(area, "\x00"))
	}
}

func TestS390SegmentsDebianKernel(t *testing.T) {
	k := cachedKernel(t, "s390x")
	initrd := make([]byte, 3<<20+17)
	l, err := S390Segments(k, [][]byte{initrd}, "console=ttysclp0 root=/dev/ram0")
	if err != nil {
		t.Fatal(err)
	}
	end := alignUp(uint64(len(k)), S390PageSize)
	wantInitrd := S390InitrdAddr(end)
	if len(k) < 7<<20 && wantInitrd != 8<<20 {
		t.Errorf("ramdisk address %#x for a %d-byte kernel, want 8 MiB", wantInitrd, len(k))
	}
	want := []Segment{{Mem: 0x10000, Memsz: 0x2000}, {Mem: 0x12000, Memsz: end - 0x12000}, {Mem: end, Memsz: wantInitrd - end},
		{Mem: wantInitrd, Memsz: alignUp(uint64(len(initrd)), 4096)}}
	if len(l.Segments) != len(want) {
		t.Fatalf("segments %v, want %v", l.Segments, want)
	}
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
	f.Add(fakekernel.S390(0x10480+896, 0, "root=/dev/ram0"), []byte("initrd"), "console=ttysclp0")
	f.Add(fakekernel.SingleBootImage(fakekernel.S390(0x11000, 0, ""), []byte("ramdisk")), []byte(nil), "")
	f.Fuzz(func(t *testing.T, kernel, initrd []byte, cmdline string) {
		l, err := S390Segments(kernel, [][]byte{initrd}, cmdline)
		if err != nil {
			return
		}
		if err := CheckSegments(l.Segments, S390PageSize); err != nil {
			t.Fatalf("S390Segments made a bad layout: %v", err)
		}
		if p := parmOf(t, l); p.InitrdStart != l.InitrdStart || p.InitrdSize != l.InitrdSize {
			t.Fatalf("parameter area and layout disagree")
		}
		if l.InitrdSize > 0 && len(initrd) > 0 && l.InitrdStart < l.Segments[len(l.Segments)-2].Mem+l.Segments[len(l.Segments)-2].Memsz {
			t.Fatalf("ramdisk inside the kernel")
		}
	})
}

func BenchmarkS390Segments(b *testing.B) {
	k := fakekernel.S390(5066752, 4096, "") // as large as Debian 12's kernel
	initrd := make([]byte, 16<<20)
	b.SetBytes(int64(len(k) + len(initrd)))
	for b.Loop() {
		if _, err := S390Segments(k, [][]byte{initrd}, "console=ttysclp0"); err != nil {
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
