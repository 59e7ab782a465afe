package kexec

import (
	"errors"
	"fmt"

	"github.com/s390netboot/s390netboot/s390image"
)

// Sentinel errors; test them with errors.Is. Errors from the kexec system
// calls also match the errno (errors.Is(err, unix.EPERM)).
var (
	// ErrWrongArch reports a kernel built for another architecture than
	// this machine's.
	ErrWrongArch = errors.New("kernel for the wrong architecture")
	// ErrUnsupportedKernel reports a kernel of the right architecture in a
	// form kexec cannot start (an ELF vmlinux, an old boot protocol, ...),
	// and ENOEXEC from the kernel.
	ErrUnsupportedKernel = errors.New("kernel format not supported by kexec")
	// ErrCompressed reports a compressed file given as the kernel.
	ErrCompressed = errors.New("compressed file instead of a kernel")
	// ErrNotKernel reports a file that is no kernel at all (text, a cpio
	// archive, garbage).
	ErrNotKernel = errors.New("not a kernel")
	// ErrBadCmdline reports a command line the new kernel would misread or
	// cut. It is s390image.ErrBadCmdline, so both tests match.
	ErrBadCmdline = s390image.ErrBadCmdline
	// ErrBadLayout reports kexec_load segments that break the kernel's
	// rules (more than MaxSegments, unaligned, overlapping, bufsz > memsz).
	ErrBadLayout = errors.New("invalid kexec segment layout")
	// ErrArchNotSupported reports a GOARCH (or GOOS) this package cannot
	// kexec on.
	ErrArchNotSupported = errors.New("kexec not supported on this architecture")
	// ErrNotSupported reports a running kernel built without kexec (ENOSYS).
	ErrNotSupported = errors.New("the running kernel does not support kexec")
	// ErrPermission reports a kexec that is not permitted: no
	// CAP_SYS_BOOT, kexec disabled by sysctl, or kernel lockdown (EPERM).
	ErrPermission = errors.New("kexec not permitted")
	// ErrSignature reports a kernel whose signature the running kernel
	// rejected (EKEYREJECTED, ENOKEY, EBADMSG, ENODATA, ...).
	ErrSignature = errors.New("kernel signature rejected")
	// ErrBusy reports a kexec load or reboot already under way (EBUSY).
	ErrBusy = errors.New("kexec busy")
	// ErrNotEnoughMemory reports an image that does not fit in the memory
	// the running system has free, or ENOMEM from the kernel.
	ErrNotEnoughMemory = errors.New("not enough memory for the kexec image")
	// ErrNotLoaded reports Exec without a kernel loaded.
	ErrNotLoaded = errors.New("no kexec kernel loaded")
)

// SyscallError is a failed kexec system call, explained in words. It
// matches both its errno and, where there is one, a sentinel error above.
type SyscallError struct {
	Call   string // the call with its arguments, e.g. "kexec_load(entry=0x10000, 2 segments)"
	Errno  error  // the unix.Errno
	Reason string // what the errno means for kexec, in words
	Kind   error  // a sentinel error, or nil
}

func (e *SyscallError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("%s: %v", e.Call, e.Errno)
	}
	return fmt.Sprintf("%s: %v: %s", e.Call, e.Errno, e.Reason)
}

// Unwrap returns the errno and the sentinel.
func (e *SyscallError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Errno}
	}
	return []error{e.Errno, e.Kind}
}
