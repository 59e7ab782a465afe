package blockdev

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mountFlags: see mountFlagsText.
const mountFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// Mount mounts the filesystem fs (from Probe) on dev at dir, read-only
// and without journal or log replay (the options table in mount.go), and
// returns the function that unmounts it. For btrfs it mounts the default
// subvolume: on openSUSE the current root snapshot (holding /boot); on
// Ubuntu and Fedora the top level, where the system's subvolumes are
// folders ("@/boot", "root/boot"). MountTopLevel reaches the top level
// when the default is something else. Errors name the device, the
// filesystem and the options.
func Mount(dev Device, fs FS, dir string) (unmount func() error, err error) {
	return mount(dev, fs, dir, "")
}

// MountTopLevel is Mount, but for btrfs the top-level subvolume
// (subvolid=5), below which every subvolume is a folder ("@",
// "@/boot/grub2/x86_64-efi", ".snapshots"). Other filesystems mount as
// with Mount.
func MountTopLevel(dev Device, fs FS, dir string) (unmount func() error, err error) {
	if fs.Type == "btrfs" {
		return mount(dev, fs, dir, btrfsTopLevel)
	}
	return mount(dev, fs, dir, "")
}

func mount(dev Device, fs FS, dir, extra string) (func() error, error) {
	o, err := mountOptionFor(fs)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", dev.Name, err)
	}
	data := joinData(o.data, extra)
	node, done, err := devNode(dev)
	if err != nil {
		return nil, fmt.Errorf("mount %s (%s): %w", dev.Name, fs.Type, err)
	}
	defer done() // the mount holds the device; the node is not needed after
	if err := unix.Mount(node, dir, o.driver, mountFlags, data); err != nil {
		err = fmt.Errorf("mount %s (%s, -t %s -o %s) on %s: %w", dev.Name, fs.Type, o.driver, optionsText(data), dir, err)
		if o.driver == "vfat" {
			err = fmt.Errorf("%w%s", err, missingNLS())
		}
		return nil, err
	}
	return func() error {
		if err := unix.Unmount(dir, 0); err != nil {
			return fmt.Errorf("unmount %s (%s) from %s: %w", dev.Name, fs.Type, dir, err)
		}
		return nil
	}, nil
}

// vfatNLS are the modules the vfat driver loads for the default codepage
// and iocharset of Debian's kernels (CONFIG_FAT_DEFAULT_CODEPAGE=437,
// CONFIG_FAT_DEFAULT_IOCHARSET="ascii").
var vfatNLS = []string{"nls_cp437", "nls_ascii"}

// missingNLS names the vfat NLS modules that are not loaded, for the
// error of a failed vfat mount ("" when all are or when it cannot tell:
// a module built in has no /sys/module folder unless it has parameters).
func missingNLS() string {
	var missing []string
	for _, m := range vfatNLS {
		if _, err := os.Stat("/sys/module/" + m); err != nil {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf(" (modules %v not loaded: vfat needs them for its default codepage and iocharset)", missing)
}
