package kexec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// capSysBoot is CAP_SYS_BOOT (include/uapi/linux/capability.h): the
// capability kexec_load, kexec_file_load and reboot need.
const capSysBoot = 22

// Files CheckPermission reads.
const (
	procStatus        = "/proc/self/status"
	kexecLoadDisabled = "/proc/sys/kernel/kexec_load_disabled"
	lockdownFile      = "/sys/kernel/security/lockdown"
)

// ParseCapEff returns the effective capability set from /proc/PID/status
// text (the hexadecimal "CapEff:" line).
func ParseCapEff(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return 0, fmt.Errorf("bad CapEff line %q: %w", sc.Text(), err)
		}
		return caps, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no CapEff line")
}

// ParseLockdown returns the active mode from the text of
// /sys/kernel/security/lockdown ("none [integrity] confidentiality"), or ""
// when no mode is bracketed.
func ParseLockdown(s string) string {
	for _, f := range strings.Fields(s) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			return f[1 : len(f)-1]
		}
	}
	return ""
}

// CheckPermission reports whether this process may kexec, before anything is
// downloaded: it needs CAP_SYS_BOOT (root has it) and kexec must not be
// switched off with the kernel.kexec_load_disabled sysctl. The error
// matches ErrPermission and says which condition failed. Lockdown (see
// Lockdown) is not an error here: it still lets kexec_file_load start
// signed kernels.
func CheckPermission() error {
	b, err := os.ReadFile(procStatus)
	if err != nil {
		return fmt.Errorf("checking for CAP_SYS_BOOT: %w", err)
	}
	caps, err := ParseCapEff(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("checking for CAP_SYS_BOOT in %s: %w", procStatus, err)
	}
	if caps&(1<<capSysBoot) == 0 {
		return fmt.Errorf("%w: kexec needs root or CAP_SYS_BOOT, which this process lacks (CapEff %#x)", ErrPermission, caps)
	}
	if b, err := os.ReadFile(kexecLoadDisabled); err == nil && strings.TrimSpace(string(b)) == "1" {
		return fmt.Errorf("%w: kexec is disabled until the next reboot (%s is 1)", ErrPermission, kexecLoadDisabled)
	}
	return nil
}

// Lockdown returns the kernel lockdown mode ("none", "integrity",
// "confidentiality"), or "" when it cannot be read (no securityfs mounted,
// or a kernel without lockdown). Under integrity or confidentiality
// lockdown kexec_load is refused and kexec_file_load starts only kernels
// signed with a trusted key.
func Lockdown() string {
	b, err := os.ReadFile(lockdownFile)
	if err != nil {
		return ""
	}
	return ParseLockdown(string(b))
}
