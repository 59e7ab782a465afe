package blockdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// loopControl is the loop driver's control device (misc 10:237,
// Documentation/admin-guide/devices.txt).
const loopControl = "/dev/loop-control"

// loopTries bounds the retries when another process takes the free loop
// device between LOOP_CTL_GET_FREE and LOOP_CONFIGURE.
const loopTries = 8

// AttachLoop attaches the disk image at path to a free loop device,
// read-only (the image is opened O_RDONLY and the device is
// LO_FLAGS_READ_ONLY), with its partitions scanned (LO_FLAGS_PARTSCAN),
// and returns the device's kernel name ("loop3"; its partitions are
// "loop3p1"...: Scan lists them). detach lets the device go: the kernel
// detaches it when its last user, a mount included, is gone
// (LO_FLAGS_AUTOCLEAR). It needs root: without it the error matches
// fs.ErrPermission.
func AttachLoop(path string) (dev string, detach func() error, err error) {
	return attachLoop(path, true)
}

// AttachLoopPartition attaches partition p of the disk image at path
// (from ReadTable) as a loop device of its own, read-only, as
// AttachLoop: for a kernel without the parser of the image's partition
// table (CONFIG_EFI_PARTITION, CONFIG_MSDOS_PARTITION), where the loop
// device shows no partitions. The device is a whole disk to Scan.
func AttachLoopPartition(path string, p Partition) (dev string, detach func() error, err error) {
	if p.Start < 0 || p.Size <= 0 {
		return "", nil, fmt.Errorf("attach partition %d of %s: bytes %d+%d: %w", p.Number, path, p.Start, p.Size, ErrBadTable)
	}
	return attachLoopAt(path, true, uint64(p.Start), uint64(p.Size))
}

// attachLoop is AttachLoop; readOnly false makes a writable device, for
// the tests that show the mount options alone write nothing.
func attachLoop(path string, readOnly bool) (string, func() error, error) {
	return attachLoopAt(path, readOnly, 0, 0)
}

// attachLoopAt attaches size bytes of path from offset (0, 0: all of
// it).
func attachLoopAt(path string, readOnly bool, offset, size uint64) (string, func() error, error) {
	mode, flags := os.O_RDWR, uint32(unix.LO_FLAGS_PARTSCAN|unix.LO_FLAGS_AUTOCLEAR)
	if readOnly {
		mode, flags = os.O_RDONLY, flags|unix.LO_FLAGS_READ_ONLY
	}
	img, err := os.OpenFile(path, mode|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("attach %s to a loop device: %w", path, err)
	}
	defer img.Close() // the loop device keeps its own reference
	ctl, err := os.OpenFile(loopControl, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("attach %s to a loop device (needs root and the loop driver): %w", path, err)
	}
	defer ctl.Close()
	for range loopTries {
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("attach %s: LOOP_CTL_GET_FREE: %w", path, err)
		}
		name := "loop" + strconv.Itoa(n)
		lo, err := openLoop(name, mode)
		if err != nil {
			return "", nil, fmt.Errorf("attach %s: %w", path, err)
		}
		err = configureLoop(lo, img, path, flags, offset, size)
		if errors.Is(err, unix.EBUSY) {
			lo.Close() // taken meanwhile: ask for another
			continue
		}
		if err != nil {
			lo.Close()
			return "", nil, fmt.Errorf("attach %s to %s: %w", path, name, err)
		}
		return name, func() error {
			// With LO_FLAGS_AUTOCLEAR, LOOP_CLR_FD on a device still in
			// use (mounted) only marks it; the last close detaches.
			err := unix.IoctlSetInt(int(lo.Fd()), unix.LOOP_CLR_FD, 0)
			if cerr := lo.Close(); err == nil {
				err = cerr
			}
			if err != nil && !errors.Is(err, unix.ENXIO) {
				return fmt.Errorf("detach %s from %s: %w", name, path, err)
			}
			return nil
		}, nil
	}
	return "", nil, fmt.Errorf("attach %s: every free loop device was taken by another process (%d tries): %w", path, loopTries, unix.EBUSY)
}

// configureLoop binds img to the loop device lo: LOOP_CONFIGURE (Linux
// 5.8), else LOOP_SET_FD and LOOP_SET_STATUS64 (read-only then follows
// from lo's and img's open mode).
func configureLoop(lo, img *os.File, path string, flags uint32, offset, size uint64) error {
	cfg := unix.LoopConfig{Fd: uint32(img.Fd())}
	cfg.Info.Flags = flags
	cfg.Info.Offset, cfg.Info.Sizelimit = offset, size
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], path)
	err := unix.IoctlLoopConfigure(int(lo.Fd()), &cfg)
	runtime.KeepAlive(img)
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTTY) {
		if err != nil {
			return fmt.Errorf("LOOP_CONFIGURE: %w", err)
		}
		return nil
	}
	if err := unix.IoctlSetInt(int(lo.Fd()), unix.LOOP_SET_FD, int(img.Fd())); err != nil {
		return fmt.Errorf("LOOP_SET_FD: %w", err)
	}
	runtime.KeepAlive(img)
	info := cfg.Info
	info.Flags &^= unix.LO_FLAGS_READ_ONLY // not settable here
	if err := unix.IoctlLoopSetStatus64(int(lo.Fd()), &info); err != nil {
		unix.IoctlSetInt(int(lo.Fd()), unix.LOOP_CLR_FD, 0)
		return fmt.Errorf("LOOP_SET_STATUS64: %w", err)
	}
	return nil
}

// openLoop opens /dev/NAME, or a node made from sysfs's dev when devtmpfs
// has none.
func openLoop(name string, mode int) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join("/dev", name), mode|unix.O_CLOEXEC, 0)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return f, err
	}
	n, err := readNode(filepath.Join("/sys", "class", "block"), name)
	if err != nil {
		return nil, err
	}
	p, done, err := devNode(Device{Name: name, Major: n.major, Minor: n.minor})
	if err != nil {
		return nil, err
	}
	defer done()
	return os.OpenFile(p, mode|unix.O_CLOEXEC, 0)
}
