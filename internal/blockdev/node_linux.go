package blockdev

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// devNode returns a device node for d: /dev/NAME when it is the block
// device d.Major:d.Minor (devtmpfs makes it), else one made with mknod in
// a new private folder, which done removes. The folder is made in /dev
// when it can be (the init mounts /tmp and /run nodev, where a node could
// not be opened), else in os.TempDir().
func devNode(d Device) (path string, done func(), err error) {
	p := filepath.Join("/dev", d.Name)
	var st unix.Stat_t
	if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK && st.Rdev == unix.Mkdev(d.Major, d.Minor) {
		return p, func() {}, nil
	}
	dir, err := os.MkdirTemp("/dev", ".blockdev-")
	if err != nil {
		if dir, err = os.MkdirTemp("", "blockdev-"); err != nil {
			return "", nil, fmt.Errorf("device node for %s: %w", d.Name, err)
		}
	}
	p = filepath.Join(dir, d.Name)
	if err := unix.Mknod(p, unix.S_IFBLK|0o600, int(unix.Mkdev(d.Major, d.Minor))); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("mknod %s (block %d:%d): %w", p, d.Major, d.Minor, err)
	}
	return p, func() { os.RemoveAll(dir) }, nil
}

// Open opens the device d read-only.
func Open(d Device) (*os.File, error) {
	p, done, err := devNode(d)
	if err != nil {
		return nil, err
	}
	defer done()
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.Name, err)
	}
	return f, nil
}

// ProbeDevice probes the filesystem on d (Probe), reading in a goroutine
// so that a disk that never answers holds the caller no longer than ctx
// allows: then it returns ctx's error, and the goroutine stays blocked
// in the kernel's read until the device answers or fails (a read in
// uninterruptible sleep cannot be cancelled); it closes the device then.
func ProbeDevice(ctx context.Context, d Device) (FS, error) {
	return bounded(ctx, d.Name, func() (FS, error) {
		f, err := Open(d)
		if err != nil {
			return FS{}, err
		}
		defer f.Close()
		fs, err := Probe(f, d.Size)
		if err != nil {
			return FS{}, fmt.Errorf("%s: %w", d.Name, err)
		}
		return fs, nil
	})
}

// PartitionEntry reads the partition table of d's disk (found below
// sysRoot, normally "/sys") and returns d's entry (PARTUUID, PARTLABEL,
// type), bounded by ctx as ProbeDevice. Whole disks have none:
// ErrNoTable.
func PartitionEntry(ctx context.Context, sysRoot string, d Device) (Partition, error) {
	if d.Partition == 0 {
		return Partition{}, fmt.Errorf("%s is a whole disk: %w", d.Name, ErrNoTable)
	}
	n, err := readNode(filepath.Join(sysRoot, "class", "block"), d.Disk)
	if err != nil {
		return Partition{}, fmt.Errorf("disk of %s: %w", d.Name, err)
	}
	disk := Device{Name: n.name, Disk: n.name, Size: n.size, Major: n.major, Minor: n.minor}
	return bounded(ctx, d.Name, func() (Partition, error) {
		f, err := Open(disk)
		if err != nil {
			return Partition{}, err
		}
		defer f.Close()
		t, err := ReadTable(f, disk.Size)
		if err != nil {
			return Partition{}, fmt.Errorf("%s: %w", disk.Name, err)
		}
		p, ok := t.Find(d.Partition)
		if !ok {
			return Partition{}, fmt.Errorf("%s: no partition %d in its %s table: %w", d.Name, d.Partition, t.Type, ErrNoTable)
		}
		return p, nil
	})
}
