//go:build linux

package kexec

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

// Probe asks the running kernel whether it has a system call Load can
// start a kernel with on this machine (Calls), without loading anything,
// so that a client can say at start, before any download, that this kernel
// can never boot a target. It returns a *NoKexecError (matching
// ErrNotSupported) when the kernel has none, an error matching
// ErrArchNotSupported where this package cannot kexec, and nil otherwise.
// Whether this process may kexec is CheckPermission's question: a call
// refused with EPERM is there.
//
// Each call it makes counts against the kernel.kexec_load_limit_reboot
// sysctl (Linux 6.6 and later) when that limit is set.
func Probe() error { return probe(runtime.GOARCH, hasSyscall) }

// hasSyscall reports whether the running kernel has the system call c. It
// calls it with arguments every kernel refuses before it looks further or
// changes anything, and takes any answer but ENOSYS as there:
//
//   - kexec_file_load with kernel fd -1: EBADF from reading the kernel
//     file (EPERM without CAP_SYS_BOOT, under lockdown or with kexec
//     disabled, EINVAL for unknown flags);
//   - kexec_load with nr_segments = the largest unsigned long: EINVAL, since
//     nr_segments > KEXEC_SEGMENT_MAX (16) is refused before the segments
//     are read (EPERM as above). nr_segments 0 would unload a loaded
//     kernel, so the probe never passes it.
func hasSyscall(c Syscall) bool {
	var err error
	switch c {
	case FileLoadCall:
		err = unix.KexecFileLoad(-1, -1, "", unix.KEXEC_FILE_NO_INITRAMFS)
	case LoadCall:
		if _, _, errno := unix.Syscall6(unix.SYS_KEXEC_LOAD, 0, ^uintptr(0), 0, 0, 0, 0); errno != 0 {
			err = errno
		}
	}
	return callExists(err)
}

// callExists reads the answer of a probing call: only ENOSYS says that
// the kernel was built without it.
func callExists(err error) bool { return !errors.Is(err, unix.ENOSYS) }
