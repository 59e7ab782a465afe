// Package s390image reads and writes s390 (IBM Z) Linux kernel images and
// single boot images: a kernel and its ramdisk in one file, which the
// s390-ccw firmware of QEMU/KVM can network-boot as a "pxelinux.0" and an
// LPAR or z/VM guest can IPL.
//
// An s390 kernel image is loaded at physical address 0, so a file offset
// is an address. Its parameter area (ParmArea, at ParmAreaOffset) holds
// the ramdisk's address and size, the kernel's version string pointer and
// command line size, and the command line itself. A single boot image is
// the kernel zero-padded to a multiple of RamdiskAlign, the ramdisk behind
// it, and the ramdisk's offset and size in the parameter area (the method
// of s390-tools' mk-s390image). The offsets are declared here and only
// here; the kexec loader uses them too.
//
// Build makes a single boot image, streaming the ramdisk; Inspect says
// what an image holds; Extract splits one back into kernel and ramdisk;
// WriteLoadFiles writes the .ins file set of the IBM Z "load from
// removable media or server" procedures. BuildFile, InspectFile,
// ExtractFile and WriteLoadDir do the same on files, never leaving a
// partial output behind.
//
// Usage:
//
//	opts := s390image.Options{Cmdline: "console=ttysclp0 quiet", SetCmdline: true}
//	l, err := s390image.BuildFile("pxelinux.0", "/boot/vmlinuz", "initrd.cpio.gz", opts)
//	if err != nil {
//		return err // errors.Is(err, s390image.ErrELFVmlinux) for a vmlinux, ...
//	}
//	fmt.Printf("ramdisk at %#x, %d bytes\n", l.RamdiskOffset, l.RamdiskSize)
//
//	info, err := s390image.InspectFile("pxelinux.0")
//	// info.KernelVersion, info.Cmdline, info.RamdiskInFile, ...
//
// # Security
//
// Inspect, Extract and the builders read images that may come from anyone
// (a TFTP server, a download). Every field is checked before use: the
// command line size must lie in LegacyCmdlineSize..MaxCmdlineSizeLimit,
// ramdisk offsets and sizes are compared against the file's size without
// overflow, the version string is read at most 512 bytes far and must be
// printable ASCII. Memory use is bounded by the parameter area (at most
// about 1 MiB) whatever the file claims; ramdisks and kernels are copied in
// fixed-size chunks. Malformed input gives an error (ErrNotS390Image,
// ErrTruncated, ...), never a panic; FuzzInspect and FuzzBuildExtract
// check this. A command line is only written when it is printable 7-bit
// ASCII that fits the kernel's buffer with its NUL: the kernel would read
// a line with a byte >= 0x80 as EBCDIC.
//
// The *File functions write through a temporary file in the output's
// folder that is synced and renamed, refuse to overwrite their inputs and
// never follow an output path into a rename over a device.
package s390image
