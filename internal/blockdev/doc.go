// Package blockdev finds the machine's block devices and what is on
// them, for booting the systems installed on local disks: the devices
// from sysfs (Scan, Wait), the filesystem type, UUID and label from the
// superblock (Probe), GPT and MBR partition tables (ReadTable),
// read-only mounts without journal replay (Mount), and loop devices for
// disk images (AttachLoop).
package blockdev
