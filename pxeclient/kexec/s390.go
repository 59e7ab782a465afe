package kexec

import (
	"bytes"
	"fmt"
	"io"
	"sort"

	"github.com/s390netboot/s390netboot/s390image"
)

// The s390 kexec_load layout. This is the layout of kexec-tools' s390 image
// loader (kexec/arch/s390/kexec-image.c), taken as the ABI reference:
//
//	0x00000 .. 0x0ffff   not loaded: IPL PSW, CCWs and the IPL loader, which
//	                     only a channel IPL runs; the low core stays as is
//	0x10000 .. end       the kernel from its entry point to its last byte,
//	                     with the parameter area (0x10400) patched
//	end .. InitrdAddr    zeros (see below)
//	InitrdAddr(end) ..   the ramdisk
//
// The ramdisk goes to ALIGN_UP(max(8 MiB, end), 1 MiB), not right behind the
// kernel: the kernel's boot code uses the memory just past the end of the
// image for its .bss and its decompression heap (free_mem_ptr = _end in
// arch/s390/boot/decompressor.c) before it gets to move an overlapping
// ramdisk out of the way (rescue_initrd). A ramdisk 8 MiB up is never in the
// way.
//
// The gap between the kernel and the ramdisk is a zero-filled segment (no
// buffer: the running kernel allocates and clears its pages), which kexec's
// relocation writes over in full before the new kernel starts. kexec-tools
// leaves the gap alone. The zeros cost the running kernel up to 8 MiB less
// the kernel's size during kexec_load and change nothing for the new
// kernel, which does not expect its heap cleared. They are there for
// emulators: under QEMU's TCG the gap still holds the old kernel's code,
// and QEMU keeps a page where it has translated code write-protected until
// a write covers that code. The new kernel's decompressor keeps its state on
// the first heap page and stores to it ~10^8 times; without the zeros each
// store takes QEMU's slow path while the old translations last, and the new
// kernel needs 44-88 s instead of ~2 s to start (docs/kexec-tcg-delay.md).
// QEMU 10.0 drops the translations of a page that the relocation's block
// copy covers; 7.2 does not (there only a small translation cache helps).
const (
	// S390PageSize is the s390 page size (PAGE_SIZE,
	// arch/s390/include/asm/page.h); kexec_load segments are aligned to it.
	S390PageSize = 4096
	// S390InitrdMin is the lowest ramdisk address (kexec-tools' s390 loader,
	// 0x800000).
	S390InitrdMin = 8 << 20
	// S390InitrdAlign is the ramdisk alignment (kexec-tools: 1 MiB).
	S390InitrdAlign = 1 << 20
	// KexecArchS390 is KEXEC_ARCH_S390, EM_S390 << 16
	// (include/uapi/linux/kexec.h): the kexec_load flags for s390.
	KexecArchS390 = 22 << 16
	// MaxSegments is KEXEC_SEGMENT_MAX (include/linux/kexec.h).
	MaxSegments = 16
)

// Segment is one piece of memory kexec_load copies into place: Buf at
// physical address Mem, zero-filled up to Memsz.
type Segment struct {
	Buf   []byte
	Mem   uint64
	Memsz uint64
}

func (s Segment) String() string {
	return fmt.Sprintf("[%#x-%#x) %d bytes", s.Mem, s.Mem+s.Memsz, len(s.Buf))
}

// Layout is what kexec_load needs to load an s390 kernel.
type Layout struct {
	Entry    uint64    // physical entry address (s390image.EntryOffset)
	Flags    uint64    // kexec_load flags (KexecArchS390)
	Segments []Segment // the kernel, then the ramdisk if any
	// InitrdStart and InitrdSize are the values written to the parameter
	// area (0 and 0 without a ramdisk).
	InitrdStart, InitrdSize uint64
	// EmbeddedInitrd is true when the ramdisk is the one a single boot
	// image carried.
	EmbeddedInitrd bool
	// Cmdline is the command line the kernel will see.
	Cmdline string
}

// S390InitrdAddr returns where the ramdisk goes behind a kernel image that
// ends at kernelEnd: ALIGN_UP(max(8 MiB, kernelEnd), 1 MiB).
func S390InitrdAddr(kernelEnd uint64) uint64 {
	return alignUp(max(S390InitrdMin, kernelEnd), S390InitrdAlign)
}

// splitS390 separates a single boot image into its kernel and its embedded
// ramdisk, as the image's parameter area describes them. For a plain kernel
// it returns kernel and nil. The ramdisk must lie behind the command line
// area and inside the file.
func splitS390(kernel []byte) (k, initrd []byte, p s390image.ParmArea, err error) {
	p, err = s390image.ReadParmArea(kernel)
	if err != nil {
		return nil, nil, p, err
	}
	areaEnd := uint64(s390image.CmdlineOffset + p.CmdlineMax())
	if uint64(len(kernel)) < areaEnd {
		return nil, nil, p, fmt.Errorf("%w: %d bytes, the command line area ends at %#x", s390image.ErrTruncated, len(kernel), areaEnd)
	}
	if p.InitrdSize == 0 {
		return kernel, nil, p, nil
	}
	start, size := p.InitrdStart, p.InitrdSize
	if start < areaEnd || start > uint64(len(kernel)) || size > uint64(len(kernel))-start {
		return nil, nil, p, fmt.Errorf("%w: the parameter area names a %d-byte ramdisk at %#x, which is not inside the %d-byte image behind its parameter area",
			s390image.ErrTruncated, size, start, len(kernel))
	}
	return kernel[:start], kernel[start : start+size], p, nil
}

// S390Segments computes the kexec_load segments for the s390 kernel image
// kernel with the ramdisks initrds and the command line cmdline. It neither
// changes nor copies kernel or initrds: only the kernel's first pages up to
// the end of its command line area are copied, to patch the parameter area;
// every other segment points into the buffers it was given. So loading
// costs no memory beyond the downloaded files themselves.
//
// The segments are, in this order: the patched first pages of the kernel
// from 0x10000, the rest of the kernel, the zero-filled gap from the
// kernel's last page to S390InitrdAddr (no buffer; omitted when the kernel
// ends there), and one segment per ramdisk, each starting on the page where
// the previous one's last page ends (S390InitrdAddr for the first). The kernel zero-fills each segment's tail up to its
// page-aligned memory size, and it skips zeros between concatenated
// archives when it unpacks them (init/initramfs.c looks for the next
// archive at 4-byte boundaries), so the ramdisk the parameter area
// describes, from the first ramdisk to the end of the last, unpacks as
// their concatenation. More ramdisks than the segment limit leaves room
// for (MaxSegments-3) are joined with ConcatInitrds, a copy, from the last
// one that fits on.
//
// A kernel that is itself a single boot image keeps its embedded ramdisk
// when initrds holds none (the ramdisk moves to the address the layout
// above gives it); a non-empty one replaces it. An empty cmdline keeps the
// command line stored in the image; otherwise cmdline must be printable
// 7-bit ASCII shorter than the kernel's command line area (checked with
// s390image.SetCmdline: 896 bytes on old kernels, what the kernel announces
// at 0x10430 on 5.16+).
//
// The result passes CheckSegments.
func S390Segments(kernel []byte, initrds [][]byte, cmdline string) (Layout, error) {
	if err := CheckKernel("s390x", kernel); err != nil {
		return Layout{}, err
	}
	parts := nonEmpty(initrds)
	k, embedded, p, err := splitS390(kernel)
	if err != nil {
		if len(parts) == 0 {
			return Layout{}, err
		}
		// The ramdisk the image names is replaced anyway.
		k = kernel
	}
	l := Layout{Entry: s390image.EntryOffset, Flags: KexecArchS390, Cmdline: p.Cmdline}
	if len(parts) == 0 && len(embedded) > 0 {
		parts, l.EmbeddedInitrd = [][]byte{embedded}, true
	}
	if maxInitrds := MaxSegments - 3; len(parts) > maxInitrds {
		parts = append(parts[:maxInitrds-1:maxInitrds-1], ConcatInitrds(parts[maxInitrds-1:]))
	}

	// The patched copy of the kernel's first pages, addressed from 0 like
	// the image: up to the end of the command line area, or of the kernel.
	kernelEnd := alignUp(uint64(len(k)), S390PageSize)
	headEnd := min(alignUp(uint64(s390image.CmdlineOffset+p.CmdlineMax()), S390PageSize), kernelEnd)
	head := make([]byte, headEnd)
	copy(head, k)
	if cmdline != "" {
		if err := s390image.SetCmdline(head, cmdline); err != nil {
			return Layout{}, err
		}
		l.Cmdline = cmdline
	}
	var initrdSegs []Segment
	if len(parts) > 0 {
		l.InitrdStart = S390InitrdAddr(kernelEnd)
		addr := l.InitrdStart
		for _, r := range parts {
			s := Segment{Buf: r, Mem: addr, Memsz: alignUp(uint64(len(r)), S390PageSize)}
			initrdSegs = append(initrdSegs, s)
			addr += s.Memsz
		}
		last := initrdSegs[len(initrdSegs)-1]
		l.InitrdSize = last.Mem + uint64(len(last.Buf)) - l.InitrdStart
	}
	if err := s390image.SetInitrd(head, l.InitrdStart, l.InitrdSize); err != nil {
		return Layout{}, err
	}
	l.Segments = append(l.Segments, Segment{
		Buf:   head[s390image.EntryOffset:min(headEnd, uint64(len(k)))],
		Mem:   s390image.EntryOffset,
		Memsz: headEnd - s390image.EntryOffset,
	})
	if headEnd < kernelEnd {
		l.Segments = append(l.Segments, Segment{Buf: k[headEnd:], Mem: headEnd, Memsz: kernelEnd - headEnd})
	}
	if gapEnd := S390InitrdAddr(kernelEnd); gapEnd > kernelEnd {
		l.Segments = append(l.Segments, Segment{Mem: kernelEnd, Memsz: gapEnd - kernelEnd})
	}
	l.Segments = append(l.Segments, initrdSegs...)
	if err := CheckSegments(l.Segments, S390PageSize); err != nil {
		return Layout{}, err
	}
	return l, nil
}

// nonEmpty returns the non-empty ramdisks of initrds.
func nonEmpty(initrds [][]byte) [][]byte {
	var parts [][]byte
	for _, r := range initrds {
		if len(r) > 0 {
			parts = append(parts, r)
		}
	}
	return parts
}

// CheckSegments checks segs against the kernel's rules for kexec_load
// (sanity_check_segment_list in kernel/kexec_core.c): at most MaxSegments,
// Mem and Memsz multiples of pageSize, len(Buf) <= Memsz, no overlaps and no
// address overflow. Errors match ErrBadLayout.
func CheckSegments(segs []Segment, pageSize uint64) error {
	if len(segs) > MaxSegments {
		return fmt.Errorf("%w: %d segments, kexec_load takes at most %d", ErrBadLayout, len(segs), MaxSegments)
	}
	for i, s := range segs {
		switch {
		case s.Memsz == 0:
			return fmt.Errorf("%w: segment %d %v is empty", ErrBadLayout, i, s)
		case s.Mem%pageSize != 0 || s.Memsz%pageSize != 0:
			return fmt.Errorf("%w: segment %d %v is not aligned to %d-byte pages", ErrBadLayout, i, s, pageSize)
		case uint64(len(s.Buf)) > s.Memsz:
			return fmt.Errorf("%w: segment %d %v holds more bytes than its memory size", ErrBadLayout, i, s)
		case s.Mem+s.Memsz < s.Mem:
			return fmt.Errorf("%w: segment %d at %#x size %#x wraps around the address space", ErrBadLayout, i, s.Mem, s.Memsz)
		}
	}
	sorted := append([]Segment(nil), segs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Mem < sorted[j].Mem })
	for i := 1; i < len(sorted); i++ {
		if prev := sorted[i-1]; prev.Mem+prev.Memsz > sorted[i].Mem {
			return fmt.Errorf("%w: segments %v and %v overlap", ErrBadLayout, prev, sorted[i])
		}
	}
	return nil
}

// InitrdPad is the multiple ConcatInitrds pads each ramdisk to. The kernel
// looks for the next archive at 4-byte boundaries and skips zeros between
// archives (init/initramfs.c), so any multiple of 4 works; 512 is the cpio
// block size that cpio(1) and most ramdisk tools pad to themselves.
const InitrdPad = 512

// ConcatInitrds joins ramdisks into one, as the kernel unpacks
// concatenated (also compressed) cpio archives: each but the last is
// zero-padded to a multiple of InitrdPad. Empty ramdisks are left out. One
// ramdisk is returned as it is, without a copy; none gives nil.
func ConcatInitrds(initrds [][]byte) []byte {
	parts := nonEmpty(initrds)
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	var b bytes.Buffer
	b.Grow(int(InitrdsSize(parts)))
	WriteInitrds(&b, parts) // writes to a bytes.Buffer do not fail
	return b.Bytes()
}

// WriteInitrds writes ramdisks to w as ConcatInitrds joins them, without
// joining them in memory first. It returns the number of bytes written.
func WriteInitrds(w io.Writer, initrds [][]byte) (int64, error) {
	parts := nonEmpty(initrds)
	var pad [InitrdPad]byte
	var n int64
	for i, r := range parts {
		m, err := w.Write(r)
		n += int64(m)
		if err != nil {
			return n, err
		}
		if i < len(parts)-1 {
			m, err := w.Write(pad[:initrdPadding(len(r))])
			n += int64(m)
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// InitrdsSize is the length of ConcatInitrds(initrds).
func InitrdsSize(initrds [][]byte) int64 {
	parts := nonEmpty(initrds)
	var n int64
	for i, r := range parts {
		n += int64(len(r))
		if i < len(parts)-1 {
			n += int64(initrdPadding(len(r)))
		}
	}
	return n
}

// initrdPadding is the number of zeros behind a ramdisk of n bytes that is
// not the last.
func initrdPadding(n int) int { return int(alignUp(uint64(n), InitrdPad)) - n }

func alignUp(n, align uint64) uint64 { return (n + align - 1) &^ (align - 1) }
