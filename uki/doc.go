// Package uki builds unified kernel images (UKIs): one EFI executable that
// carries a Linux kernel, its initrd and command line, the UEFI
// counterpart of an s390 single boot image. The executable is systemd's
// EFI stub (Debian's systemd-boot-efi: linuxx64.efi.stub,
// linuxaa64.efi.stub) with the parts added as PE sections that the stub
// looks up by name when the firmware starts it:
//
//	.osrel    an os-release text (boot menus show its PRETTY_NAME)
//	.cmdline  the kernel command line
//	.initrd   the initrd
//	.ucode    a microcode initrd, handed to the kernel before .initrd
//	.linux    the kernel, itself an EFI executable (CONFIG_EFI_STUB)
//
// (the Unified Kernel Image specification of the UAPI group, and
// systemd-stub(7)). Copied to an EFI system partition as the removable
// media path (RemovablePath: EFI/BOOT/BOOTX64.EFI on x86-64), the file
// boots on any UEFI machine without a boot loader; WriteESP makes such a
// partition image with dosfstools and mtools.
//
//	stub, _ := os.ReadFile(uki.DefaultStub("amd64"))
//	img, err := uki.Build(uki.Image{Stub: stub, Kernel: vmlinuz, Initrd: ramdisk,
//		Cmdline: "console=ttyS0", OSRelease: uki.DefaultOSRelease})
//	if err != nil {
//		return err // errors.Is(err, uki.ErrMachine) for a kernel of another architecture, ...
//	}
//
// The sections are appended after the stub's data, at the next section
// alignment, the section headers go into the room the stub's header area
// has left, and SizeOfImage, SizeOfInitializedData and the checksum are
// updated. Nothing else of the stub changes, so its relocations and code
// stay valid. A stub that carries an Authenticode signature is refused:
// the signature would no longer match; sign the UKI instead (sbsign).
//
// # Security
//
// Inspect reads files that may come from anyone. It parses the PE headers
// with debug/pe and checks every section's offset and size against the
// file before reading it; malformed input gives an error wrapping
// ErrNotPE, never a panic (FuzzInspect). Build checks its stub the same
// way before writing into its headers.
package uki
