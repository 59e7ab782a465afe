package blockdev

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestScan reads the fake sysfs trees of testdata/sysfs (made by its
// make.sh, laid out as on the machines its README names).
func TestScan(t *testing.T) {
	for _, c := range []struct {
		machine string
		devs    []string // "NAME DISK DISKINDEX PARTITION SIZE MAJ:MIN [removable]"
		skipped []string // "NAME: start of the reason"
	}{
		{"qemu-virtio", []string{
			"vda1 vda 0 1 536870912 254:1",
			"vda2 vda 0 2 1073741824 254:2",
			"vda3 vda 0 3 9124708352 254:3",
			"vdb vdb 1 0 1073741824 254:16",
			"sr0 sr0 2 0 658505728 11:0 removable",
		}, []string{
			"vda: has partitions (vda1, vda2, vda3)",
			"loop0: loop device without a backing file", "loop1: loop", "loop2: loop", "loop3: loop",
			"loop4: loop", "loop5: loop", "loop6: loop", "loop7: loop",
		}},
		{"nvme-laptop", []string{
			"sda1 sda 0 1 30751588352 8:1 removable",
			"nvme0n1p1 nvme0n1 1 1 630194176 259:1",
			"nvme0n1p2 nvme0n1 1 2 2147483648 259:2",
			"mmcblk0p1 mmcblk0 2 1 32006733824 179:1",
			"dm-0 dm-0 3 0 509314334720 253:0",
		}, []string{
			"sda: has partitions",
			"nvme0n1: has partitions",
			"nvme0n1p3: held by dm-0",
			"mmcblk0: has partitions",
			"loop0: loop", "loop1: loop", "loop2: loop", "loop3: loop",
			"loop4: loop", "loop5: loop", "loop6: loop", "loop7: loop",
			"zram0: compressed RAM disk",
		}},
		{"s390x-dasd", []string{
			"vda1 vda 0 1 10736369664 252:1",
			"dasda1 dasda 1 1 1073741824 94:1",
			"dasda2 dasda 1 2 1073741824 94:2",
			"dasda3 dasda 1 3 5237735424 94:3",
		}, []string{
			"vda: has partitions",
			"dasda: has partitions",
		}},
		{"cdrom", []string{
			"sr0 sr0 0 0 3864526848 11:0 removable",
		}, []string{
			"sr1: no medium (size 0)",
		}},
		{"md-raid1", []string{
			"sda1 sda 0 1 536870912 8:1",
			"sdb1 sdb 1 1 536870912 8:17",
			"md127 md127 2 0 999530430464 9:127",
		}, []string{
			"sda: has partitions",
			"sda2: held by md127",
			"sdb: has partitions",
			"sdb2: held by md127",
		}},
		{"lvm", []string{
			"sda1 sda 0 1 1073741824 8:1",
			"dm-0 dm-0 1 0 18249416704 253:0",
			"dm-1 dm-1 2 0 2147483648 253:1",
		}, []string{
			"sda: has partitions",
			"sda2: held by dm-0, dm-1",
		}},
	} {
		t.Run(c.machine, func(t *testing.T) {
			devs, skipped, err := Scan(filepath.Join("testdata", "sysfs", c.machine))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range devs {
				s := fmt.Sprintf("%s %s %d %d %d %d:%d", d.Name, d.Disk, d.DiskIndex, d.Partition, d.Size, d.Major, d.Minor)
				if d.Removable {
					s += " removable"
				}
				got = append(got, s)
			}
			if !slices.Equal(got, c.devs) {
				t.Errorf("devices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.devs, "\n"))
			}
			if len(skipped) != len(c.skipped) {
				t.Errorf("skipped %d: %+v, want %d", len(skipped), skipped, len(c.skipped))
			}
			for i := range min(len(skipped), len(c.skipped)) {
				if s := skipped[i].Name + ": " + skipped[i].Reason; !strings.HasPrefix(s, c.skipped[i]) {
					t.Errorf("skipped[%d] = %q, want %q...", i, s, c.skipped[i])
				}
			}
		})
	}
}

func TestScanNoSysfs(t *testing.T) {
	if _, _, err := Scan(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Scan of an empty folder = %v, want a not-exist error", err)
	}
}

func TestCompareDisks(t *testing.T) {
	want := []string{"vda", "vdb", "vdz", "vdaa", "sda", "sdb", "sdz", "sdaa", "sdab", "nvme0n1", "nvme0n2", "nvme1n1", "nvme10n1",
		"dasda", "dasdb", "mmcblk0", "mmcblk1", "loop0", "md0", "md127", "xvda", "sr0", "sr1", "sr10"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, compareDisks)
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v\nwant   %v", got, want)
	}
}
