// Package initramfs builds the netboot ramdisk: a reproducible newc cpio
// archive holding a static Go init, the kernel modules the network and the
// local disks need (decompressed, with their load order) and a CA bundle,
// compressed for the kernel's initramfs unpacker. cmd/mkpxeramfs is its command line.
//
// Usage:
//
//	res, err := initramfs.WriteFile(ctx, "ramdisk.gz", initramfs.Options{
//		Arch:       "s390x",
//		ModulesDir: "/srv/debian/lib/modules/6.1.0-50-s390x",
//		// Modules and ModuleSets nil: the DefaultModuleSets (net, disk)
//		// Init "": build cmd/pxeinit (see GoInit)
//		Logger: logger,
//	})
//
// The pieces are usable on their own: [Archive] writes reproducible newc
// archives, [OpenModuleTree] and [ModuleTree.Resolve] compute a module
// closure in load order, [ReadModinfo] reads a module's .modinfo, and
// [GoInit] builds a Go init for another architecture. The paths the archive
// shares with the init are constants in package modload.
//
// Two checks guard what the ramdisk is used with: [Identify] says whether
// the kernel's initramfs unpacker can unpack a ramdisk (newc cpio, plain or
// compressed, concatenated), and [CheckFirstStage] whether a kernel can be
// the first stage of the netboot client (its configuration has the kexec
// system call the client needs and the ramdisk's decompressor);
// [RamdiskCheck] combines them for mks390image.
//
// # Security
//
// The module tree is read as untrusted input: module files are decompressed
// up to a fixed size, their ELF headers and .modinfo sections are parsed with
// bounds (see [ReadModinfo]), and archive paths are checked to stay below the
// archive root. A hostile tree can make the build fail, not escape it.
// [Identify] reads an untrusted ramdisk with bounded memory and
// decompression (see its own Security section).
package initramfs
