package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/localboot"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// diskVolumes are the volumes of the --disk paths, disk by disk in
// order: a folder is one volume, read as it is (pxeclient.DirVolumes
// names them); a disk image or a block device is opened with
// localboot.OpenDisk, its filesystems mounted read-only in a temporary
// folder; a device of it that cannot be probed or mounted is reported on
// stderr. release unmounts them, lets loop devices go and removes the
// folder.
func diskVolumes(ctx context.Context, paths []string, log *slog.Logger, stderr io.Writer) (vols []*volume.Volume, release func(), err error) {
	var disks []*localboot.Disks
	var tmp string
	release = func() {
		for _, d := range disks {
			if err := d.Release(); err != nil {
				log.Error(err.Error())
			}
		}
		if tmp != "" {
			os.RemoveAll(tmp)
		}
	}
	var dirs []string
	var dirSlot, dirDisk []int // where each folder's volume goes in vols, and its disk number
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return vols, release, fmt.Errorf("--disk: %w", err)
		}
		if st.IsDir() {
			dirs, dirSlot, dirDisk = append(dirs, p), append(dirSlot, len(vols)), append(dirDisk, i)
			vols = append(vols, nil)
			continue
		}
		if tmp == "" {
			if tmp, err = os.MkdirTemp("", "pxeboot-disks-"); err != nil {
				return vols, release, err
			}
		}
		d, err := localboot.OpenDisk(ctx, p, i, localboot.DiscoverOptions{MountDir: tmp, Logger: log})
		if d != nil {
			disks = append(disks, d)
			for _, pr := range d.Problems {
				fmt.Fprintf(stderr, "pxeboot plan: warning: %v\n", pr)
			}
		}
		if err != nil {
			return vols, release, fmt.Errorf("--disk %s: %w", p, err)
		}
		if len(d.Volumes) == 0 {
			if len(d.Problems) == 0 {
				return vols, release, fmt.Errorf("--disk %s: no filesystem on its %d devices", p, d.Devices)
			}
			return vols, release, fmt.Errorf("--disk %s: no filesystem could be mounted: %w", p, errors.Join(d.Problems...))
		}
		vols = append(vols, d.Volumes...)
	}
	if len(dirs) > 0 {
		dv, err := pxeclient.DirVolumes(dirs...)(ctx)
		if err != nil {
			return vols, release, fmt.Errorf("--disk: %w", err)
		}
		for k, v := range dv {
			v.DiskIndex = dirDisk[k]
			vols[dirSlot[k]] = v
		}
	}
	return vols, release, nil
}
