package kexec

import (
	"log/slog"

	"golang.org/x/sys/unix"
)

// The flags constant used by the pure layout code must be the kernel's.
var _ = [1]struct{}{}[KexecArchS390-unix.KEXEC_ARCH_S390]

// load uses kexec_file_load, or kexec_load with the segments of the layout
// when the running kernel lacks kexec_file_load (built without
// CONFIG_KEXEC_FILE, as Debian 12's s390x kernel is; hasSyscall asks
// before the kernel and ramdisks are copied into memfds).
//
// Any error of kexec_file_load itself is returned, not retried with
// kexec_load: the call exists and refused this image for a reason
// kexec_load would not cure: EPERM (no CAP_SYS_BOOT, kexec disabled,
// lockdown; kexec_load is refused in all three), a signature error
// (lockdown, where kexec_load is refused outright), or EINVAL (a command
// line longer than the new kernel takes, bad arguments), which the same
// check in S390Segments already rules out for the command line; retrying
// with kexec_load would only hide the reason.
func load(p plan, log *slog.Logger) error {
	if !hasSyscall(FileLoadCall) {
		log.Info("kexec: kexec_file_load not available (ENOSYS), using kexec_load")
		return segmentLoad(*p.layout, log)
	}
	if err := fileLoad(p.kernel, p.initrds, p.cmdline, log); err != nil {
		return err
	}
	log.Info("kexec: loaded with kexec_file_load")
	return nil
}
