package pid1

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Mount is one file system the init mounts.
type Mount struct {
	Source, Target, FSType string
	Flags                  uintptr
	Data                   string
}

// Mount flags for the pseudo file systems: nothing there is meant to be
// executed or to carry set-uid bits (as systemd mounts them).
const (
	pseudoFlags = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	devFlags    = unix.MS_NOSUID | unix.MS_NOEXEC
	tmpFlags    = unix.MS_NOSUID | unix.MS_NODEV
)

// DefaultMounts are the file systems the netboot init needs, in order:
// /proc, /sys, devtmpfs on /dev (the kernel creates the nodes, including
// /dev/console), tmpfs on /run and /tmp.
var DefaultMounts = []Mount{
	{"proc", "/proc", "proc", pseudoFlags, ""},
	{"sysfs", "/sys", "sysfs", pseudoFlags, ""},
	{"devtmpfs", "/dev", "devtmpfs", devFlags, "mode=0755"},
	{"tmpfs", "/run", "tmpfs", tmpFlags, "mode=0755"},
	{"tmpfs", "/tmp", "tmpfs", tmpFlags, "mode=1777"},
}

// MountAll mounts ms in order, creating the mount points (mode 0755).
// A file system that is already mounted there (EBUSY: the kernel mounted
// devtmpfs itself with CONFIG_DEVTMPFS_MOUNT) counts as success; other
// failures are logged and returned joined, and the rest are still tried.
func MountAll(log *slog.Logger, ms []Mount) error {
	log = logging.Or(log)
	var errs []error
	for _, m := range ms {
		if err := mountOne(m); err != nil {
			log.Warn("pid1: mount failed", "target", m.Target, "fstype", m.FSType, "err", err)
			errs = append(errs, err)
			continue
		}
		log.Debug("pid1: mounted", "target", m.Target, "fstype", m.FSType)
	}
	return errors.Join(errs...)
}

func mountOne(m Mount) error {
	if err := os.MkdirAll(m.Target, 0o755); err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.FSType, m.Target, err)
	}
	err := unix.Mount(m.Source, m.Target, m.FSType, m.Flags, m.Data)
	if errors.Is(err, unix.EBUSY) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w", m.FSType, m.Target, err)
	}
	return nil
}
