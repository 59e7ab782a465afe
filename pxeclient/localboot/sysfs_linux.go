package localboot

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysfsName is the kernel's name of the block device st is the node of
// ("sdb2") and of its disk ("sdb"; the same for a whole disk), from
// sysRoot/dev/block/MAJOR:MINOR ("" is "/sys").
func sysfsName(sysRoot string, st fs.FileInfo) (name, disk string, err error) {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "", "", fmt.Errorf("no device number")
	}
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	link := filepath.Join(sysRoot, "dev", "block", fmt.Sprintf("%d:%d", unix.Major(uint64(sys.Rdev)), unix.Minor(uint64(sys.Rdev))))
	target, err := filepath.EvalSymlinks(link)
	if err != nil {
		return "", "", err
	}
	name = filepath.Base(target)
	disk = name
	if _, err := os.Stat(filepath.Join(target, "partition")); err == nil {
		disk = filepath.Base(filepath.Dir(target))
	}
	return name, disk, nil
}
