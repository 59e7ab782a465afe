package s390image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// IBM Z load files. An LPAR's "Load from Removable Media or Server" (HMC,
// SE, DPM) and z/VM's media loaders read a ".ins" file: a first line
// starting "* " (a title), then one "FILE ADDRESS" line per file, loaded in
// that order at that physical address. Distributions ship one with their
// install media; RHEL's and Fedora's generic.ins (lorax) reads
//
//	images/kernel.img 0x00000000
//	images/initrd.img 0x02000000
//	images/genericdvd.prm 0x00010480
//	images/initrd.addrsize 0x00010408
//
// The kernel goes to 0, the ramdisk somewhere above it, the parameter file
// over the kernel's command line area (CmdlineOffset), and initrd.addrsize
// (16 bytes: the ramdisk's address and size, big-endian) over the ramdisk
// fields (InitrdStartOffset). WriteLoadFiles writes such a set.
const (
	// InsInitrdAddress is where the ramdisk is loaded unless the kernel
	// reaches beyond it: 32 MiB, as in RHEL's and Fedora's generic.ins
	// (lorax, INITRD_ADDRESS).
	InsInitrdAddress = 0x02000000
	// insInitrdAlign is the boundary a ramdisk behind a kernel larger than
	// InsInitrdAddress starts on.
	insInitrdAlign = 1 << 20

	// Names of the files WriteLoadFiles writes, after RHEL's.
	InsKernelName   = "kernel.img"
	InsInitrdName   = "initrd.img"
	InsParmfileName = "generic.prm"
	InsAddrSizeName = "initrd.addrsize"
	InsFileName     = "generic.ins"
)

// InsEntry is one line of an .ins file: a file, relative to the .ins
// file's folder, and the address it is loaded at.
type InsEntry struct {
	Name string
	Addr uint64
}

// FormatIns returns an .ins file: the title line, then entries in load
// order. Newlines in title are replaced by spaces.
func FormatIns(title string, entries []InsEntry) []byte {
	var b strings.Builder
	b.WriteString("* ")
	b.WriteString(strings.Join(strings.Fields(title), " "))
	b.WriteByte('\n')
	for _, e := range entries {
		fmt.Fprintf(&b, "%s 0x%08x\n", e.Name, e.Addr)
	}
	return []byte(b.String())
}

// AddrSize returns the contents of initrd.addrsize: addr and size, 8 bytes
// big-endian each, to be loaded at InitrdStartOffset.
func AddrSize(addr, size uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, addr)
	binary.BigEndian.PutUint64(b[8:], size)
	return b
}

// InsInitrdAddr returns the load address for the ramdisk behind a kernel
// of kernelSize bytes: InsInitrdAddress, or the first MiB boundary after a
// larger kernel.
func InsInitrdAddr(kernelSize int64) uint64 {
	return uint64(max(InsInitrdAddress, alignUp(kernelSize, insInitrdAlign)))
}

// LoadFiles are the destinations of WriteLoadFiles, one per file.
type LoadFiles struct {
	Kernel, Initrd, Parmfile, AddrSize, Ins io.Writer
}

// LoadLayout says what WriteLoadFiles wrote.
type LoadLayout struct {
	Entries    []InsEntry // the lines of the .ins file
	KernelSize int64
	InitrdSize int64
	// FromImage is true when the ramdisk came out of the kernel input, a
	// single boot image, because no ramdisk was given.
	FromImage bool
	Cmdline   string
}

// WriteLoadFiles writes the IBM Z load files for a kernel (kernelSize bytes
// from kernel) and a ramdisk (streamed as in Build; UnknownSize allowed).
// A nil ramdisk takes the one embedded in the kernel, a single boot image.
//
// The parameter file holds the command line (opts.Cmdline, or the
// kernel's own) and a newline. The kernel file carries the same ramdisk
// fields as initrd.addrsize and an all-zero command line area, so that
// the parameter file alone decides the command line, even after it is
// edited to a shorter one.
func WriteLoadFiles(w LoadFiles, kernel io.ReaderAt, kernelSize int64, ramdisk io.Reader, ramdiskSize int64, opts Options) (*LoadLayout, error) {
	k, err := openKernel(kernel, kernelSize, true, opts.logger())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.kernel(), err)
	}
	l := &LoadLayout{KernelSize: k.size, Cmdline: k.parm.Cmdline}
	if opts.SetCmdline {
		l.Cmdline = opts.Cmdline
	}
	// The parameter file ends in a newline, which needs a byte.
	if err := CheckCmdline(l.Cmdline+" ", k.parm.CmdlineMax()); err != nil {
		return nil, fmt.Errorf("parameter file (command line and newline): %w", err)
	}
	if ramdisk == nil {
		if k.dropped == 0 {
			return nil, fmt.Errorf("load files need a ramdisk and %s has none: %w", opts.kernel(), ErrNoRamdisk)
		}
		ramdisk = io.NewSectionReader(kernel, int64(k.parm.InitrdStart), k.dropped)
		ramdiskSize = k.dropped
		l.FromImage = true
	}
	if ramdiskSize == 0 {
		return nil, fmt.Errorf("%s: %w", opts.ramdisk(), ErrEmpty)
	}

	// The ramdisk first: its size may be known only at its end.
	ramdisk, checked := opts.watchRamdisk(ramdisk)
	if ramdiskSize == UnknownSize {
		if l.InitrdSize, err = io.Copy(w.Initrd, ramdisk); err == nil && l.InitrdSize == 0 {
			err = ErrEmpty
		}
	} else {
		l.InitrdSize = ramdiskSize
		err = copyExactly(w.Initrd, ramdisk, ramdiskSize)
	}
	if cerr := checked(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.ramdisk(), err)
	}

	addr := InsInitrdAddr(k.size)
	if err := errors.Join(SetInitrd(k.hdr, addr, uint64(l.InitrdSize)), SetCmdline(k.hdr, "")); err != nil {
		return nil, err
	}
	if err := k.writeTo(w.Kernel); err != nil {
		return nil, fmt.Errorf("%s: %w", opts.kernel(), err)
	}
	l.Entries = []InsEntry{
		{InsKernelName, 0},
		{InsInitrdName, addr},
		{InsParmfileName, CmdlineOffset},
		{InsAddrSizeName, InitrdStartOffset},
	}
	title := "s390netboot mks390image load files"
	if k.parm.KernelVersion != 0 {
		if v, err := readVersion(kernel, kernelSize, k.parm.KernelVersion); err == nil {
			title += ": Linux " + v
		}
	}
	for _, f := range []struct {
		w    io.Writer
		data []byte
	}{
		{w.Parmfile, []byte(l.Cmdline + "\n")},
		{w.AddrSize, AddrSize(addr, uint64(l.InitrdSize))},
		{w.Ins, FormatIns(title, l.Entries)},
	} {
		if _, err := f.w.Write(f.data); err != nil {
			return nil, err
		}
	}
	return l, nil
}
