package kexec

import (
	"fmt"
	"strings"
)

// Syscall is one of the kernel's two kexec system calls, with the kernel
// configuration option that builds it in.
type Syscall struct {
	Name   string // "kexec_file_load"
	Config string // "CONFIG_KEXEC_FILE"
}

func (s Syscall) String() string { return s.Name + " (" + s.Config + ")" }

// The kexec system calls (kernel/kexec_file.c and kernel/kexec.c, built
// with CONFIG_KEXEC_FILE and CONFIG_KEXEC).
var (
	FileLoadCall = Syscall{Name: "kexec_file_load", Config: ConfigKexecFile}
	LoadCall     = Syscall{Name: "kexec_load", Config: ConfigKexec}
)

// Calls returns the system calls Load can start a kernel with on arch (a
// GOARCH), in the order it tries them; any one of them is enough. It is nil
// where this package cannot kexec. On amd64 Load uses kexec_file_load
// only (the kernel's own loader places the kernel, ramdisk and boot
// parameters); on s390x and arm64 it computes the kexec_load segments
// itself where kexec_file_load is missing (Debian 12's s390x and arm64
// kernels lack it).
func Calls(arch string) []Syscall {
	switch arch {
	case "s390x", "arm64":
		return []Syscall{FileLoadCall, LoadCall}
	case "amd64":
		return []Syscall{FileLoadCall}
	}
	return nil
}

// NoKexecError reports a running kernel built without every system call
// Load can use on this architecture (Calls): such a kernel can never start
// a target, whatever is downloaded. It matches ErrNotSupported.
type NoKexecError struct {
	Arch    string    // GOARCH
	Missing []Syscall // the calls the kernel lacks: all of Calls(Arch)
}

func (e *NoKexecError) Error() string {
	names := make([]string, len(e.Missing))
	for i, c := range e.Missing {
		names[i] = c.String()
	}
	need := "it"
	if len(e.Missing) > 1 {
		need = "one of them"
	}
	return fmt.Sprintf("%v: it was built without %s, and kexec on %s needs %s, so it can never boot a target; "+
		"boot the netboot client on a kernel built with %s",
		ErrNotSupported, strings.Join(names, " and "), e.Arch, need, configs(e.Missing))
}

// Is matches ErrNotSupported.
func (e *NoKexecError) Is(target error) bool { return target == ErrNotSupported }

// configs lists the configuration options of calls as "A or B".
func configs(calls []Syscall) string {
	s := make([]string, len(calls))
	for i, c := range calls {
		s[i] = c.Config + "=y"
	}
	return strings.Join(s, " or ")
}

// probe decides whether a kernel that has the system calls for which has
// returns true can kexec on arch. It asks has in the order of Calls and
// stops at the first call that is there, so a kernel with kexec_file_load
// is not asked about kexec_load.
func probe(arch string, has func(Syscall) bool) error {
	calls := Calls(arch)
	if calls == nil {
		return archError(arch)
	}
	for _, c := range calls {
		if has(c) {
			return nil
		}
	}
	return &NoKexecError{Arch: arch, Missing: calls}
}

// archError reports a GOARCH this package cannot kexec on.
func archError(arch string) error {
	return fmt.Errorf("%w: kexec on GOARCH=%s is not supported (only s390x, amd64 and arm64)", ErrArchNotSupported, arch)
}
