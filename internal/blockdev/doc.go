// Package blockdev finds the machine's block devices and what is on
// them, for booting the systems installed on local disks: the devices
// from sysfs (Scan, and Wait for the ones that come late), the
// filesystem type, UUID and label from the superblock as blkid prints
// them (Probe, ProbeDevice), GPT and MBR partition tables (ReadTable,
// PartitionEntry), read-only mounts that replay no journal (Mount), and
// loop devices for disk images (AttachLoop).
//
// Scan, Probe and ReadTable read files and io.ReaderAt values and work
// anywhere; what needs the kernel (device nodes, mounts, loop devices,
// uevents) is Linux-only and returns ErrUnsupported elsewhere.
//
// The init's disk step, in short:
//
//	devs, skipped, err := blockdev.Wait(ctx, "/sys", blockdev.WaitOptions{
//		Bound: 3 * time.Second, // pxeinit.diskwait
//		Found: func(d []blockdev.Device) { menu.ShowDisks(d) },
//	})
//	for _, s := range skipped {
//		log.Debug("disk skipped", "dev", s.Name, "why", s.Reason)
//	}
//	for _, d := range devs {
//		pctx, cancel := context.WithTimeout(ctx, time.Second)
//		fs, err := blockdev.ProbeDevice(pctx, d) // bounded: a dead disk cannot hang us
//		part, _ := blockdev.PartitionEntry(pctx, "/sys", d) // PARTUUID, PARTLABEL
//		cancel()
//		if err != nil || fs.Mountable() != nil {
//			continue
//		}
//		dir := filepath.Join("/run/disks", d.Name)
//		os.MkdirAll(dir, 0o755)
//		unmount, err := blockdev.Mount(d, fs, dir) // ro, no journal replay
//		...
//	}
//
// and `pxeboot plan --disk disk.img` attaches the image first:
//
//	name, detach, err := blockdev.AttachLoop("disk.img") // "loop3"; Scan finds loop3p1...
//	defer detach()
//
// # Security
//
// Disks are untrusted: a disk image from anywhere, or a machine's disk
// changed by whoever had it. Probe and ReadTable read at most 1 MiB per
// read and a bounded number of reads whatever the superblock says: a
// FAT32 root directory chain at most 1 MiB, at most 32 ISO 9660 volume
// descriptors, GPT entry arrays at most 1 MiB, at most 256 logical MBR
// partitions with a chain that must move forward; every offset and
// length is checked against the device's size before use. A corrupt or
// truncated superblock is an error wrapping ErrCorrupt (ErrBadTable for
// tables), never a panic (FuzzProbe, FuzzReadTable). Labels are returned
// as valid UTF-8.
//
// Nothing is written: devices are opened O_RDONLY, loop devices are
// read-only, and mounts are MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC with
// each filesystem's switch against journal or log replay (ext4 noload,
// xfs norecovery, btrfs rescue=nologreplay), which a read-only mount
// otherwise does and which writes (TestMountNoReplay checks the image's
// SHA-256 on a writable loop device). Reads of a disk that never
// answers are bounded by the caller's context (ProbeDevice,
// PartitionEntry); the reading goroutine then stays blocked in the
// kernel until the device answers or fails, holding its file open.
// The kernel's filesystem drivers still parse what they mount: a
// hostile filesystem image is as dangerous as the driver's bugs.
package blockdev
