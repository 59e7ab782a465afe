package initramfs

import (
	"testing"

	"github.com/s390netboot/s390netboot/internal/blockdev"
)

// TestOnDemandDrivers: every filesystem loaded on demand is named as
// the init asks for it, by the kernel driver a disk's filesystem is
// mounted with (blockdev.FS.Driver), and every driver blockdev mounts
// with a module in the disk set has its file.
func TestOnDemandDrivers(t *testing.T) {
	drivers := map[string]bool{}
	for _, typ := range []string{"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "iso9660"} {
		d := blockdev.FS{Type: typ}.Driver()
		if d == "" {
			t.Errorf("blockdev does not mount %s", typ)
		}
		drivers[d] = true
	}
	for d := range fsModules {
		if !drivers[d] {
			t.Errorf("fsModules names %q, which is no driver blockdev mounts with", d)
		}
	}
	for d := range drivers {
		if len(fsModules[d]) == 0 {
			t.Errorf("blockdev mounts with %q, which the disk set does not load on demand", d)
		}
	}
}
