package localboot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/blockdev"
	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// Defaults of DiscoverOptions.
const (
	// DefaultMountDir is where Discover mounts the volumes, one folder
	// each named by the device (/run/s390netboot/disks/vda2): /run is a
	// tmpfs of the init's, nothing of it reaches a disk.
	DefaultMountDir = "/run/s390netboot/disks"
	// DefaultProbeTimeout bounds the reads of one device (its
	// superblock, its partition table): a disk that never answers costs
	// this once, and the others are still probed.
	DefaultProbeTimeout = time.Second
)

// DiscoverOptions say where and how long Discover looks.
type DiscoverOptions struct {
	// SysRoot is the root of sysfs ("" is "/sys").
	SysRoot string
	// MountDir is where volumes are mounted ("" is DefaultMountDir).
	MountDir string
	// Wait bounds the wait for disks that appear late (pxeinit.diskwait;
	// 0 takes the devices there at once, without waiting).
	Wait time.Duration
	// ProbeTimeout bounds the reads of one device ("" is
	// DefaultProbeTimeout).
	ProbeTimeout time.Duration
	// Disk, when set, keeps only the devices of this disk (a loop
	// device's "loop3", for pxeboot plan --disk IMAGE), Device only this
	// one ("sdb2"); DiskIndex is then their DiskIndex.
	Disk, Device string
	DiskIndex    int
	// LoadDriver, when set, loads the kernel filesystem driver a volume
	// is mounted with ("ext4", "xfs": blockdev.FS.Driver) before its
	// mount, once per driver: the init's modload.LoadFS, which loads the
	// ramdisk's modules for it. A failure is logged and the mount tried
	// anyway (the driver may be built in).
	LoadDriver func(driver string) error
	// Logger gets what was found and skipped; nil discards it.
	Logger *slog.Logger
}

// loadDriver loads the filesystem driver through o.LoadDriver, the first
// time it is needed.
func (d *Disks) loadDriver(driver string, o DiscoverOptions, log *slog.Logger) {
	if o.LoadDriver == nil || driver == "" || d.drivers[driver] {
		return
	}
	if d.drivers == nil {
		d.drivers = map[string]bool{}
	}
	d.drivers[driver] = true
	start := time.Now()
	if err := o.LoadDriver(driver); err != nil {
		log.Warn("filesystem driver not loaded", "driver", driver, "err", err)
		return
	}
	log.Info("filesystem driver ready", "driver", driver, "sec", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
}

// Disks are the volumes Discover mounted.
type Disks struct {
	// Volumes are the mounted filesystems in disk order.
	Volumes []*volume.Volume
	// Problems are the devices that could not be probed (a corrupt
	// superblock, a disk that did not answer in time) or mounted, each
	// an error naming the device.
	Problems []error
	// Devices is how many devices were looked at.
	Devices int
	release []func() error
	drivers map[string]bool // filesystem drivers LoadDriver was asked for
}

// Release unmounts what Discover mounted (the boot flow does it before
// it looks again, after a failed pass).
func (d *Disks) Release() error {
	if d == nil {
		return nil
	}
	var errs []error
	for i := len(d.release) - 1; i >= 0; i-- {
		errs = append(errs, d.release[i]())
	}
	d.release = nil
	return errors.Join(errs...)
}

// Discover finds the machine's block devices (blockdev.Wait, up to
// o.Wait for late ones), probes each for its filesystem (bounded by
// o.ProbeTimeout), and mounts each mountable one read-only without
// journal replay (blockdev.Mount) at o.MountDir/NAME, giving the volumes
// the parsers read: device, disk, partition, filesystem type, UUID and
// label, GPT PARTUUID and PARTLABEL. Devices without a filesystem (swap,
// an LVM or RAID member, a BIOS boot partition) are logged and left out;
// those that cannot be probed or mounted are in Problems. Nothing is
// written to any device. The error is for the scan itself failing (no
// sysfs) or ctx ending; the volumes found by then are still returned.
func Discover(ctx context.Context, o DiscoverOptions) (*Disks, error) {
	log := logging.Or(o.Logger)
	sys := o.SysRoot
	if sys == "" {
		sys = "/sys"
	}
	if o.MountDir == "" {
		o.MountDir = DefaultMountDir
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	var devs []blockdev.Device
	var skipped []blockdev.Skipped
	var err error
	if o.Wait > 0 {
		devs, skipped, err = blockdev.Wait(ctx, sys, blockdev.WaitOptions{Bound: o.Wait, Logger: log})
	} else {
		devs, skipped, err = blockdev.Scan(sys)
	}
	for _, s := range skipped {
		log.Debug("block device skipped", "dev", s.Name, "why", s.Reason)
	}
	d := &Disks{}
	for _, dev := range devs {
		if o.Disk != "" || o.Device != "" {
			if (o.Disk != "" && dev.Disk != o.Disk) || (o.Device != "" && dev.Name != o.Device) {
				continue
			}
			dev.DiskIndex = o.DiskIndex
		}
		if ctx.Err() != nil {
			break
		}
		d.Devices++
		v, perr := d.mount(ctx, sys, dev, o, log)
		switch {
		case perr != nil:
			log.Warn(perr.Error())
			d.Problems = append(d.Problems, perr)
		case v != nil:
			d.Volumes = append(d.Volumes, v)
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return d, err
}

// mount probes dev and mounts it: the volume, nil for a device without
// a filesystem to mount, or the problem.
func (d *Disks) mount(ctx context.Context, sys string, dev blockdev.Device, o DiscoverOptions, log *slog.Logger) (*volume.Volume, error) {
	pctx, cancel := context.WithTimeout(ctx, o.ProbeTimeout)
	defer cancel()
	fs, err := blockdev.ProbeDevice(pctx, dev)
	switch {
	case errors.Is(err, blockdev.ErrUnknownFS):
		log.Debug("no filesystem", "dev", dev.Name)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("disk %s: cannot probe: %w", dev.Name, err)
	}
	if why := fs.Mountable(); why != nil {
		log.Info("not mounted", "dev", dev.Name, "type", fs.Type, "why", why)
		return nil, nil
	}
	part, err := blockdev.PartitionEntry(pctx, sys, dev)
	if err != nil && !errors.Is(err, blockdev.ErrNoTable) {
		log.Debug("no partition entry", "dev", dev.Name, "err", err)
	}
	d.loadDriver(fs.Driver(), o, log)
	dir := filepath.Join(o.MountDir, dev.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("disk %s: %w", dev.Name, err)
	}
	unmount, err := blockdev.Mount(dev, fs, dir)
	if err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("disk %s: %w", dev.Name, err)
	}
	// The parsers read the tree through an os.Root: a symbolic link on
	// the disk cannot lead them out of the volume (into the init's own
	// files).
	root, err := os.OpenRoot(dir)
	if err != nil {
		unmount()
		os.Remove(dir)
		return nil, fmt.Errorf("disk %s: %w", dev.Name, err)
	}
	d.release = append(d.release, func() error {
		root.Close() // before the unmount, which it would keep busy
		err := unmount()
		os.Remove(dir)
		return err
	})
	log.Info("disk mounted", "dev", dev.Name, "type", fs.Type, "label", fs.Label, "uuid", fs.UUID, "dir", dir)
	return &volume.Volume{
		Name: dev.Name, Disk: dev.Disk, DiskIndex: dev.DiskIndex, Partition: dev.Partition,
		FSType: fs.Type, UUID: fs.UUID, Label: strings.TrimSpace(fs.Label),
		PartUUID: part.UUID, PartLabel: part.Label,
		FS: root.FS(), Dir: dir,
	}, nil
}

// OpenDisk is Discover for one disk named by path, as `pxeboot plan
// --disk` takes it: a disk image (a regular file) or a block device node
// (a disk, /dev/sdb, or one partition, /dev/sdb2). An image is read
// through read-only loop devices: one per partition of its table
// (blockdev.AttachLoopPartition, so that no kernel partition parser is
// needed), or one for the whole image when it has no table. Its volumes
// get DiskIndex index and are mounted read-only below o.MountDir (a
// temporary folder of the caller's); Release unmounts them and lets the
// loop devices go. It needs root (loop devices, mounts): without it the
// error says so and matches fs.ErrPermission.
func OpenDisk(ctx context.Context, path string, index int, o DiscoverOptions) (*Disks, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	o.DiskIndex = index
	switch {
	case st.Mode().IsRegular():
		return openImage(ctx, path, st.Size(), o)
	case st.Mode()&os.ModeDevice != 0 && st.Mode()&os.ModeCharDevice == 0:
		name, disk, err := sysfsName(o.SysRoot, st)
		if err != nil {
			return nil, fmt.Errorf("block device %s: %w", path, err)
		}
		if name == disk {
			o.Disk = disk
		} else {
			o.Device = name
		}
		d, err := Discover(ctx, o)
		if err == nil && d.Devices == 0 {
			err = fmt.Errorf("%s: no partition or filesystem found", path)
		}
		return d, err
	}
	return nil, fmt.Errorf("%s: not a disk image, a block device or a folder", path)
}

// openImage is OpenDisk for the disk image path of size bytes.
func openImage(ctx context.Context, path string, size int64, o DiscoverOptions) (*Disks, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	table, terr := blockdev.ReadTable(f, size)
	f.Close()
	if terr != nil && !errors.Is(terr, blockdev.ErrNoTable) {
		return nil, fmt.Errorf("disk image %s: %w", path, terr)
	}
	var parts []*blockdev.Partition
	if table != nil {
		for i := range table.Partitions {
			parts = append(parts, &table.Partitions[i])
		}
	} else {
		parts = []*blockdev.Partition{nil} // the whole image
	}
	d := &Disks{}
	for _, p := range parts {
		var name string
		var detach func() error
		if p == nil {
			name, detach, err = blockdev.AttachLoop(path)
		} else {
			name, detach, err = blockdev.AttachLoopPartition(path, *p)
		}
		if err != nil {
			return d, fmt.Errorf("disk image %s: %w", path, err)
		}
		d.release = append(d.release, detach)
		sub := o
		sub.Disk, sub.Wait = name, 0
		one, err := Discover(ctx, sub)
		d.release = append(d.release, one.release...)
		d.Problems = append(d.Problems, one.Problems...)
		d.Devices += one.Devices
		for _, v := range one.Volumes {
			v.Disk = filepath.Base(path)
			if p != nil {
				v.Partition, v.PartUUID, v.PartLabel = p.Number, p.UUID, p.Label
			}
			d.Volumes = append(d.Volumes, v)
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}
