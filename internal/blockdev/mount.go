package blockdev

import (
	"errors"
	"fmt"
	"strings"
)

// mountOption is how one filesystem type is mounted: the kernel driver
// and its options, always on top of MountFlags; or, when driver is "",
// why it is not mounted.
type mountOption struct {
	driver, data, why string
}

// mountOptions is the one table of per-filesystem mount options. Each
// keeps the kernel from writing to the disk on a read-only mount:
// replaying a journal or log writes even with MS_RDONLY (ext4, xfs and
// btrfs all do it), so each gets its own "do not recover" switch.
var mountOptions = map[string]mountOption{
	// noload: do not load the journal, so nothing is replayed
	// (Documentation/admin-guide/ext4.rst); the ext4 driver mounts ext2
	// and ext3 (CONFIG_EXT4_USE_FOR_EXT2), ext2/ext3 drivers are not
	// needed.
	"ext2": {driver: "ext4", data: "noload"},
	"ext3": {driver: "ext4", data: "noload"},
	"ext4": {driver: "ext4", data: "noload"},
	// norecovery: do not replay the log (Documentation/admin-guide/xfs.rst).
	"xfs": {driver: "xfs", data: "norecovery"},
	// A plain read-only btrfs mount still replays the tree-log (fsync
	// log) and writes; rescue=nologreplay (Linux 5.9, before it
	// "nologreplay", which 5.9+ still accepts) stops it
	// (Documentation/filesystems/btrfs.rst). Without subvol= the
	// default subvolume is mounted.
	"btrfs": {driver: "btrfs", data: "rescue=nologreplay"},
	// vfat and iso9660 have no journal. vfat needs the NLS modules of
	// its codepage and iocharset at mount (Debian: CONFIG_FAT_DEFAULT_CODEPAGE=437
	// → nls_cp437, CONFIG_FAT_DEFAULT_IOCHARSET="ascii" → nls_ascii);
	// mount fails with EINVAL without them.
	"vfat":     {driver: "vfat"},
	"iso9660":  {driver: "iso9660"},
	"squashfs": {driver: "squashfs"},
	"erofs":    {driver: "erofs"},

	"swap":              {why: "swap area"},
	"crypto_LUKS":       {why: "encrypted (LUKS): unlocking is not supported"},
	"LVM2_member":       {why: "LVM physical volume: its logical volumes must be activated first"},
	"linux_raid_member": {why: "MD RAID member: the assembled array holds the filesystem"},
	"jbd":               {why: "external ext3/ext4 journal"},
}

// btrfsTopLevel selects btrfs's top-level subvolume (BTRFS_FS_TREE_OBJECTID 5,
// include/uapi/linux/btrfs_tree.h) instead of the default one.
const btrfsTopLevel = "subvolid=5"

// mountFlagsText is the flags of every Mount, as mount(8) writes them:
// read-only, and nothing on the disk is trusted as set-uid, device node
// or program.
const mountFlagsText = "ro,nosuid,nodev,noexec"

// ErrNotMountable is matched (errors.Is) by the error for a filesystem
// type Mount does not mount: one that is not a filesystem (swap, LUKS,
// LVM, RAID member) or that Probe does not know.
var ErrNotMountable = errors.New("not a mountable filesystem")

// ErrUnsupported is returned by what needs Linux (mounts, loop
// devices, device nodes) on other systems; Scan, Probe and ReadTable
// work everywhere.
var ErrUnsupported = errors.New("block devices need Linux")

// Mountable returns nil when Mount mounts fs, else an error wrapping
// ErrNotMountable that says why.
func (fs FS) Mountable() error {
	_, err := mountOptionFor(fs)
	return err
}

func mountOptionFor(fs FS) (mountOption, error) {
	o, ok := mountOptions[fs.Type]
	switch {
	case !ok:
		return o, fmt.Errorf("filesystem type %q: %w", fs.Type, ErrNotMountable)
	case o.driver == "":
		return o, fmt.Errorf("%s: %s: %w", fs.Type, o.why, ErrNotMountable)
	}
	return o, nil
}

// optionsText is the options of a mount as mount(8) would show them.
func optionsText(data string) string {
	if data == "" {
		return mountFlagsText
	}
	return mountFlagsText + "," + data
}

func joinData(a, b string) string {
	return strings.Trim(a+","+b, ",")
}

// Driver is the kernel filesystem driver Mount mounts fs with (the type
// mount(2) takes: "ext4" for ext2 and ext3 too), "" for a filesystem it
// does not mount. The init loads that driver's modules before the mount
// (modload.LoadFS).
func (fs FS) Driver() string {
	o, err := mountOptionFor(fs)
	if err != nil {
		return ""
	}
	return o.driver
}
