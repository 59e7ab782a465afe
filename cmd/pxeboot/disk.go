package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// diskVolumes are the volumes of the --disk paths, disk by disk in
// order: a folder is one volume (its base name; the first suffix -2, -3,
// ... when two share it). release undoes what was set up to read them.
func diskVolumes(ctx context.Context, paths []string, log *slog.Logger) (vols []*volume.Volume, release func(), err error) {
	release = func() {}
	taken := map[string]bool{}
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return vols, release, fmt.Errorf("--disk: %w", err)
		}
		if !st.IsDir() {
			return vols, release, fmt.Errorf("--disk %s: not a folder", p)
		}
		v, err := pxeclient.DirVolume(p, i)
		if err != nil {
			return vols, release, fmt.Errorf("--disk: %w", err)
		}
		base := v.Name
		for n := 2; taken[v.Name]; n++ {
			v.Name = fmt.Sprintf("%s-%d", base, n)
		}
		v.Disk = v.Name
		taken[v.Name] = true
		vols = append(vols, v)
	}
	return vols, release, nil
}
