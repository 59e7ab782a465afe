package kexec

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// The arm64 kexec_load layout, for kernels built without
// CONFIG_KEXEC_FILE (Debian 12's arm64 kernel). The ABI facts come from
// the kernel's Documentation/arch/arm64/booting.rst and
// arch/arm64/kernel/relocate_kernel.S:
//
//   - the Image goes text_offset bytes above a 2 MiB-aligned base in RAM,
//     with image_size bytes free from its start; it is entered at its
//     first byte with the MMU off, x0 = the physical address of the device
//     tree blob and x1 = x2 = x3 = 0;
//   - the device tree is 8-byte aligned and at most 2 MiB; its /chosen
//     node carries bootargs and linux,initrd-start/-end;
//   - after copying the segments, relocate_kernel.S jumps to the entry of
//     kexec_load with the MMU off and x0 = kimage->arch.dtb_mem, which only
//     kexec_file_load sets. So the entry is a purgatory of six
//     instructions that loads x0 with the device tree's address, clears
//     x1-x3 and branches to the Image.
//
// Kernel, ramdisk, device tree and purgatory go one after the other into
// the first usable RAM range that holds them, each aligned to 64 KiB (the
// largest arm64 page size, so the layout suits a kernel of any page size).
const (
	// ARM64KernelAlign is the alignment of the Image's base (booting.rst).
	ARM64KernelAlign = 2 << 20
	// ARM64SegmentAlign aligns every segment: the largest arm64 page size.
	ARM64SegmentAlign = 64 << 10
	// ARM64MaxFDT is the largest device tree the kernel maps (booting.rst).
	ARM64MaxFDT = 2 << 20
	// KexecArchAARCH64 is KEXEC_ARCH_AARCH64, EM_AARCH64 (183) << 16
	// (include/uapi/linux/kexec.h): the kexec_load flags for arm64.
	KexecArchAARCH64 = 183 << 16
)

// arm64Purgatory is the entry code, little-endian A64 instructions
// followed by two 64-bit literals that ARM64Segments fills in:
//
//	0x00 ldr x0, 0x18   // the device tree's address
//	0x04 ldr x4, 0x20   // the Image's address
//	0x08 mov x1, xzr
//	0x0c mov x2, xzr
//	0x10 mov x3, xzr
//	0x14 br  x4
//	0x18 .quad dtb
//	0x20 .quad kernel
var arm64Purgatory = [...]uint32{
	0x580000c0, // LDR (literal) x0, pc+0x18: 0x58000000 | imm19(6)<<5 | Rt(0)
	0x580000e4, // LDR (literal) x4, pc+0x1c: 0x58000000 | imm19(7)<<5 | Rt(4)
	0xaa1f03e1, // ORR x1, xzr, xzr
	0xaa1f03e2, // ORR x2, xzr, xzr
	0xaa1f03e3, // ORR x3, xzr, xzr
	0xd61f0080, // BR x4
}

const (
	arm64PurgatoryDTB    = 0x18
	arm64PurgatoryKernel = 0x20
	arm64PurgatorySize   = 0x28
)

// purgatoryARM64 returns the purgatory code with its two addresses.
func purgatoryARM64(dtb, kernel uint64) []byte {
	b := make([]byte, arm64PurgatorySize)
	for i, w := range arm64Purgatory {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	binary.LittleEndian.PutUint64(b[arm64PurgatoryDTB:], dtb)
	binary.LittleEndian.PutUint64(b[arm64PurgatoryKernel:], kernel)
	return b
}

// MemRange is a range of physical memory, [Start, End).
type MemRange struct{ Start, End uint64 }

func (r MemRange) String() string { return fmt.Sprintf("[%#x-%#x)", r.Start, r.End) }

// UsableRAM reads /proc/iomem text and returns the memory a kexec'd kernel
// may be loaded into: the top-level "System RAM" ranges minus every range
// named "reserved" at any depth (firmware tables, the GIC's pending
// tables, UEFI runtime memory), sorted. The file's ranges are inclusive
// ("40000000-7fffffff : System RAM").
//
// # Security
//
// The input is kernel output; lines that do not parse are skipped, and
// ranges whose end lies before their start are ignored.
func UsableRAM(r io.Reader) ([]MemRange, error) {
	var ram, reserved []MemRange
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		span, name, ok := strings.Cut(strings.TrimLeft(line, " "), " : ")
		if !ok {
			continue
		}
		a, b, ok := strings.Cut(span, "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(a, 16, 64)
		end, err2 := strconv.ParseUint(b, 16, 64)
		if err1 != nil || err2 != nil || end < start || end == 1<<64-1 {
			continue
		}
		m := MemRange{start, end + 1}
		switch {
		case name == "System RAM" && !strings.HasPrefix(line, " "):
			ram = append(ram, m)
		case strings.EqualFold(name, "reserved"):
			reserved = append(reserved, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("/proc/iomem: %w", err)
	}
	if len(ram) == 0 {
		return nil, fmt.Errorf("/proc/iomem: no System RAM (is /proc/iomem readable, as root?)")
	}
	for _, x := range reserved {
		var next []MemRange
		for _, m := range ram {
			if x.End <= m.Start || x.Start >= m.End {
				next = append(next, m)
				continue
			}
			if m.Start < x.Start {
				next = append(next, MemRange{m.Start, x.Start})
			}
			if x.End < m.End {
				next = append(next, MemRange{x.End, m.End})
			}
		}
		ram = next
	}
	sort.Slice(ram, func(i, j int) bool { return ram[i].Start < ram[j].Start })
	return ram, nil
}

// ARM64Segments computes the kexec_load segments for an arm64 Image (not
// compressed), its ramdisks and command line: fdt is the device tree the
// running kernel booted with (/sys/firmware/fdt), which gets the command
// line and the ramdisk's place in its /chosen node; ram is the usable
// memory (UsableRAM). The segments are the kernel, the ramdisk (if any),
// the device tree and the purgatory, which is the entry.
func ARM64Segments(kernel []byte, initrds [][]byte, cmdline string, fdt []byte, ram []MemRange) (Layout, error) {
	if err := CheckKernel("arm64", kernel); err != nil {
		return Layout{}, err
	}
	le := binary.LittleEndian
	textOffset := le.Uint64(kernel[arm64TextOffsetOffset:])
	imageSize := le.Uint64(kernel[arm64ImageSizeOffset:])
	if textOffset%ARM64SegmentAlign != 0 || textOffset >= ARM64KernelAlign {
		return Layout{}, fmt.Errorf("%w: text_offset %#x is not a 64 KiB multiple below 2 MiB", ErrUnsupportedKernel, textOffset)
	}
	if imageSize < uint64(len(kernel)) || imageSize > 1<<32 {
		return Layout{}, fmt.Errorf("%w: image_size %#x for a %d-byte Image", ErrUnsupportedKernel, imageSize, len(kernel))
	}
	tree, err := parseFDT(fdt)
	if err != nil {
		return Layout{}, fmt.Errorf("the running kernel's device tree: %w", err)
	}
	initrdSize := uint64(InitrdsSize(initrds))
	// The device tree grows by the command line and two 8-byte
	// properties with their names; reserve that.
	fdtSize := alignUp(uint64(len(fdt)+len(cmdline))+256, ARM64SegmentAlign)
	kernelMem := alignUp(imageSize, ARM64SegmentAlign)
	initrdMem := alignUp(initrdSize, ARM64SegmentAlign)
	for _, r := range ram {
		base := alignUp(r.Start, ARM64KernelAlign)
		k := base + textOffset
		rd := k + kernelMem
		dtb := rd + initrdMem
		purg := dtb + fdtSize
		end := purg + ARM64SegmentAlign
		if base < r.Start || end > r.End || end < base {
			continue
		}
		chosen := tree.root.child("chosen")
		chosen.set("bootargs", append([]byte(cmdline), 0))
		for _, p := range []string{"linux,initrd-start", "linux,initrd-end", "linux,elfcorehdr", "linux,usable-memory-range"} {
			chosen.remove(p)
		}
		l := Layout{Entry: purg, Flags: KexecArchAARCH64, Cmdline: cmdline}
		l.Segments = append(l.Segments, Segment{Buf: kernel, Mem: k, Memsz: kernelMem})
		if initrdSize > 0 {
			chosen.set("linux,initrd-start", be64(rd))
			chosen.set("linux,initrd-end", be64(rd+initrdSize))
			l.Segments = append(l.Segments, Segment{Buf: ConcatInitrds(initrds), Mem: rd, Memsz: initrdMem})
			l.InitrdStart, l.InitrdSize = rd, initrdSize
		}
		blob := tree.encode()
		if uint64(len(blob)) > fdtSize || len(blob) > ARM64MaxFDT {
			return Layout{}, fmt.Errorf("%w: the device tree grew to %d bytes", ErrBadLayout, len(blob))
		}
		l.Segments = append(l.Segments,
			Segment{Buf: blob, Mem: dtb, Memsz: fdtSize},
			Segment{Buf: purgatoryARM64(dtb, k), Mem: purg, Memsz: ARM64SegmentAlign})
		return l, CheckSegments(l.Segments, ARM64SegmentAlign)
	}
	return Layout{}, fmt.Errorf("%w: no usable RAM range %v holds the kernel (%d bytes), ramdisk (%d) and device tree",
		ErrNotEnoughMemory, ram, kernelMem, initrdSize)
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
