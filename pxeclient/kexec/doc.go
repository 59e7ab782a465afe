// Package kexec loads a kernel and ramdisk held in memory and starts it in
// place of the running one: the last step of a network boot.
//
// Usage, in a client that has downloaded the files of a boot entry:
//
//	// Before downloading anything:
//	if err := kexec.Probe(); err != nil {
//		return err // "... built without kexec_file_load (CONFIG_KEXEC_FILE) and kexec_load (CONFIG_KEXEC) ..."
//	}
//	if err := kexec.CheckPermission(); err != nil {
//		return err // "kexec not permitted: kexec needs root or CAP_SYS_BOOT ..."
//	}
//	if err := kexec.FitsInMemory(kernelSize, initrdSize); err != nil {
//		return err
//	}
//	// ... download ...
//	img := kexec.Image{Kernel: kernel, Initrds: [][]byte{initrd}, Cmdline: "console=ttysclp0"}
//	if err := kexec.Load(img, kexec.Options{Logger: log}); err != nil {
//		return err // a *KernelError for a wrong kernel, a *SyscallError from the kernel
//	}
//	return kexec.Exec() // returns only on failure
//
// Probe asks the running kernel, without loading anything, whether it has
// a system call Load can use here (Calls); a kernel built without kexec
// (Debian 13's s390x kernel sets neither CONFIG_KEXEC nor
// CONFIG_KEXEC_FILE) can never boot a target, and a client can say so
// before it touches the network.
//
// Load first checks the kernel with CheckKernel: a kernel for another
// architecture, a vmlinux, a compressed blob or an HTML error page is
// refused with an error that says what the file is and what was expected,
// instead of being started and hanging the machine silently.
//
// How the kernel is loaded depends on the architecture:
//
//   - s390x: kexec_file_load, and where the running kernel lacks it (ENOSYS;
//     Debian 12 builds without CONFIG_KEXEC_FILE) kexec_load with segments
//     computed by S390Segments: the kernel from its entry point 0x10000 with
//     its parameter area patched through package s390image, the ramdisk at
//     8 MiB or above, entry 0x10000, flags KEXEC_ARCH_S390. A single boot
//     image keeps its embedded ramdisk when the entry names none.
//   - amd64 (bzImage) and arm64 (Image, also gzip-compressed, which Load
//     inflates first: the kernel's arm64 loader takes only the
//     uncompressed Image): kexec_file_load, with errors such as EPERM and
//     EKEYREJECTED (lockdown, Secure Boot, signatures) explained in words.
//   - arm64 kernels without kexec_file_load (Debian 12 builds without
//     CONFIG_KEXEC_FILE): kexec_load with the segments of ARM64Segments:
//     the Image at a 2 MiB-aligned base, the ramdisk, the running kernel's
//     device tree (/sys/firmware/fdt) with bootargs and
//     linux,initrd-start/-end set in /chosen, and a six-instruction
//     purgatory that passes the device tree in x0, in the usable RAM of
//     /proc/iomem (UsableRAM).
//   - elsewhere Load returns ErrArchNotSupported.
//
// Kernel and ramdisks reach kexec_file_load through memfds; several ramdisks
// are joined into one (ConcatInitrds). The pure parts (CheckKernel,
// S390Segments, CheckSegments, ConcatInitrds, CheckMemory) build and are
// tested on every architecture.
//
// # Security
//
// The kernel and ramdisks come from the network and are untrusted input to
// Identify, CheckKernel and S390Segments: they read headers only at
// bounds-checked offsets, never allocate in proportion to a header field,
// and do not panic (fuzzed). Whether the kernel is trustworthy is not
// theirs to decide: that is the job of the transport (HTTPS) or of the
// running kernel's signature checks (kexec_file_load under lockdown).
package kexec
