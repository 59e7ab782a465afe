// Package volume is a filesystem found on one of the machine's disks, as
// the config parsers of local boot (BLS, GRUB, extlinux, UKIs) see it:
// its identity (device, partition, filesystem UUID and label), for
// GRUB's search and (hdN,gptM) paths and for the menu's grouping; its
// tree, read-only, for the parsers; and the one rule that turns a path
// on it into the file a menu entry names (File).
//
//	v := &volume.Volume{Name: "vda2", Disk: "vda", Partition: 2, FSType: "ext4",
//		UUID: "3b5e…", FS: os.DirFS("/run/disks/vda2"), Dir: "/run/disks/vda2"}
//	f := v.File("/vmlinuz-6.1.0-18-amd64") // Name "vda2:/vmlinuz-…", URL "file:///run/disks/vda2/vmlinuz-…"
package volume

import (
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// Volume is one filesystem: a partition, a whole disk without a
// partition table, a CD, or a folder standing for one (`pxeboot plan
// --disk DIR`).
type Volume struct {
	// Name is the block device ("vda2", "nvme0n1p1", "sr0", "dasda1"),
	// or the folder for a tree given as a folder.
	Name string
	// Disk is the whole disk the volume is on ("vda"; Name for a disk
	// without partitions); DiskIndex its place among the machine's disks
	// in the order they were found (0 first: GRUB's hd0). Partition is
	// the partition number, 1-based (GRUB's gpt2/msdos2), 0 for a whole
	// disk.
	Disk      string
	DiskIndex int
	Partition int
	// FSType is the filesystem ("ext4", "xfs", "btrfs", "vfat",
	// "iso9660"); UUID and Label the filesystem's, as blkid prints them
	// (GRUB's search --fs-uuid and --label, root=UUID=).
	FSType      string
	UUID, Label string
	// PartUUID and PartLabel are the GPT partition's (root=PARTUUID=).
	PartUUID, PartLabel string
	// FS is the volume's tree, read-only. Names are relative to the
	// filesystem's root (as io/fs requires: no leading '/').
	FS fs.FS
	// Dir is where the tree is mounted (or the folder itself), from
	// which the boot flow reads the files an entry names; "" when files
	// cannot be read (then File gives no URL).
	Dir string
}

// String is the volume for messages and menu groups: "vda2 (ext4
// "boot")".
func (v *Volume) String() string {
	s := v.Name
	switch {
	case v.FSType != "" && v.Label != "":
		s += " (" + v.FSType + " \"" + v.Label + "\")"
	case v.FSType != "":
		s += " (" + v.FSType + ")"
	}
	return s
}

// Clean gives name as a name inside FS: slashes collapsed, "." and ".."
// resolved without leaving the root, no leading '/'. "" stands for the
// root itself (".").
func Clean(name string) string {
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	if c == "" {
		return "."
	}
	return c
}

// File is the file at name (a path on this volume, with or without the
// leading '/') as a menu entry names it: Name "vda2:/boot/vmlinuz", URL
// "file:///mnt/vda2/boot/vmlinuz" below Dir ("" when Dir is "").
func (v *Volume) File(name string) bootmenu.File {
	c := Clean(name)
	f := bootmenu.File{Name: v.Name + ":/" + strings.TrimPrefix(c, ".")}
	if v.Dir != "" {
		f.URL = (&url.URL{Scheme: "file", Path: path.Join(v.Dir, c)}).String()
	}
	return f
}

// Section is File for the data in one PE section of the file (a UKI's
// ".linux", ".initrd"): the boot flow reads the file and takes the
// section.
func (v *Volume) Section(name, section string) bootmenu.File {
	f := v.File(name)
	f.Section = section
	f.Name += " " + section
	return f
}
