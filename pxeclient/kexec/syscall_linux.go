//go:build linux

package kexec

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// memfd returns a read-only file holding the concatenation of parts
// (written by write), for kexec_file_load.
//
// The bytes go into a memfd. kexec_file_load refuses a file that someone
// holds open for writing (ETXTBSY: deny_write_access in kernel_read_file).
// So that this holds whether or not the kernel counts the memfd's own
// descriptor as a writer, the memfd is reopened read-only through
// /proc/self/fd and the writable descriptor closed; without /proc the
// writable memfd itself is used.
func memfd(name string, write func(io.Writer) (int64, error)) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create(%q): %w", name, err)
	}
	w := os.NewFile(uintptr(fd), name)
	if n, err := write(w); err != nil {
		w.Close()
		return nil, fmt.Errorf("writing to memfd %q after %d bytes: %w", name, n, err)
	}
	r, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY, 0)
	if err != nil {
		return w, nil
	}
	w.Close()
	return r, nil
}

// fileLoad calls kexec_file_load with kernel, the ramdisks initrds (joined
// as ConcatInitrds does; none: no ramdisk) and cmdline.
func fileLoad(kernel []byte, initrds [][]byte, cmdline string, log *slog.Logger) error {
	call := fmt.Sprintf("kexec_file_load(kernel %d bytes, initrd %d bytes, cmdline %d bytes)", len(kernel), InitrdsSize(initrds), len(cmdline))
	kf, err := memfd("kernel", func(w io.Writer) (int64, error) {
		n, err := w.Write(kernel)
		return int64(n), err
	})
	if err != nil {
		return err
	}
	defer kf.Close()
	initrdFd, flags := -1, 0
	if len(nonEmpty(initrds)) > 0 {
		rf, err := memfd("initrd", func(w io.Writer) (int64, error) { return WriteInitrds(w, initrds) })
		if err != nil {
			return err
		}
		defer rf.Close()
		initrdFd = int(rf.Fd())
	} else {
		flags |= unix.KEXEC_FILE_NO_INITRAMFS
	}
	log.Debug("kexec: "+call, "flags", flags)
	if err := unix.KexecFileLoad(int(kf.Fd()), initrdFd, cmdline, flags); err != nil {
		return explain(call, err)
	}
	return nil
}

// Exec starts the loaded kernel: it syncs the file systems and calls
// reboot(LINUX_REBOOT_CMD_KEXEC). It returns only on failure; without a
// loaded kernel the error matches ErrNotLoaded.
func Exec() error {
	unix.Sync()
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_KEXEC)
	if err == nil {
		return errors.New("reboot(LINUX_REBOOT_CMD_KEXEC) returned")
	}
	return explain("reboot(LINUX_REBOOT_CMD_KEXEC)", err)
}

// explain turns an errno from a kexec system call into a *SyscallError that
// says in words what it means.
func explain(call string, err error) error {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return fmt.Errorf("%s: %w", call, err)
	}
	e := &SyscallError{Call: call, Errno: errno}
	reboot := call == "reboot(LINUX_REBOOT_CMD_KEXEC)"
	switch errno {
	case unix.EPERM:
		e.Kind = ErrPermission
		e.Reason = "kexec needs root or CAP_SYS_BOOT, is refused after sysctl kernel.kexec_load_disabled=1 " +
			"or when kernel.kexec_load_limit_* is used up, and under kernel lockdown (e.g. UEFI Secure Boot) " +
			"kexec_load is refused and kexec_file_load starts only signed kernels"
		if err := CheckPermission(); err != nil {
			e.Reason = err.Error()
		} else if mode := Lockdown(); mode != "" && mode != "none" {
			e.Reason = "the kernel is in " + mode + " lockdown (UEFI Secure Boot?): kexec_load is refused, and kexec_file_load starts only kernels signed with a key the running kernel trusts"
		}
	case unix.EKEYREJECTED, unix.ENOKEY, unix.EKEYREVOKED, unix.EKEYEXPIRED, unix.EBADMSG, unix.ENODATA, unix.ENOPKG:
		e.Kind = ErrSignature
		e.Reason = "the running kernel checks kernel signatures (CONFIG_KEXEC_SIG_FORCE, or lockdown under UEFI Secure Boot) " +
			"and this kernel is unsigned, signed by an untrusted key, or its signature is malformed: " +
			"use a kernel signed with a key in the running kernel's keyrings"
	case unix.ENOEXEC:
		e.Kind = ErrUnsupportedKernel
		e.Reason = "the running kernel has no kexec loader for this image format"
	case unix.ENOSYS:
		e.Kind = ErrNotSupported
		e.Reason = "the running kernel was built without this system call (CONFIG_KEXEC or CONFIG_KEXEC_FILE not set)"
	case unix.EBUSY:
		e.Kind = ErrBusy
		e.Reason = "another kexec load or kexec reboot is under way"
	case unix.ENOMEM:
		e.Kind = ErrNotEnoughMemory
		e.Reason = "not enough memory to hold the new kernel and ramdisk until the reboot"
	case unix.EADDRNOTAVAIL:
		e.Kind = ErrBadLayout
		e.Reason = "a segment is not page-aligned or lies outside the memory the kernel can load into"
	case unix.ETXTBSY:
		e.Reason = "the kernel or ramdisk file is open for writing"
	case unix.EINVAL:
		if reboot {
			e.Kind = ErrNotLoaded
			e.Reason = "no kexec kernel is loaded (call Load first)"
		} else {
			e.Reason = "the kernel refused the arguments: overlapping segments or segments taking more than half of RAM (kexec_load), " +
				"a command line too long for the new kernel, or an image the loader rejected"
		}
	}
	return e
}
