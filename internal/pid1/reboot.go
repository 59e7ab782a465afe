package pid1

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Reboot flushes the file systems and restarts the machine. It returns
// only on failure (no CAP_SYS_BOOT, or not in the initial PID namespace
// where the call ends the namespace instead).
func Reboot() error {
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART); err != nil {
		return fmt.Errorf("reboot(LINUX_REBOOT_CMD_RESTART): %w", err)
	}
	return nil
}

// Poweroff flushes the file systems and turns the machine off. It returns
// only on failure.
func Poweroff() error {
	unix.Sync()
	if err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF); err != nil {
		return fmt.Errorf("reboot(LINUX_REBOOT_CMD_POWER_OFF): %w", err)
	}
	return nil
}
