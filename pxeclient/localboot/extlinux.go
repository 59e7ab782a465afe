package localboot

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// extlinuxMenu reads the extlinux/syslinux/isolinux config at name on v
// with the PXELINUX engine (package pxelinux: one parser for the
// language), as extlinux reads it from a disk: a name with a leading '/'
// is absolute on the volume, any other is relative to the config's
// directory (extlinux's working directory), ".." included; URLs and
// host::name paths name nothing on a disk. Entries name v's files
// (volume.File); the facts are empty (no network: IPAPPEND adds nothing
// useful).
func extlinuxMenu(ctx context.Context, v *volume.Volume, name string, log *slog.Logger) (*bootmenu.Menu, error) {
	r := &extlinuxPaths{v: v, dir: path.Dir(volume.Clean(name))}
	files := pxelinux.FSOpener(v.FS, 0)
	opener := pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
		n, err := r.resolve(p)
		if err != nil {
			return nil, err
		}
		return files.Open(ctx, pxelinux.Path{Name: n})
	})
	p := &pxelinux.Parser{Opener: opener, Logger: log}
	cfg, err := p.Parse(ctx, "", pxelinux.Path{Name: v.File(name).Name})
	if err != nil {
		return nil, err
	}
	return cfg.FileMenu(pxelinux.Facts{}, r.file, p), nil
}

// extlinuxPaths is where the names of one extlinux config are.
type extlinuxPaths struct {
	v   *volume.Volume
	dir string // the config's directory on v, volume.Clean'd
}

// resolve gives the name on the volume of a path the config names.
func (r *extlinuxPaths) resolve(p pxelinux.Path) (string, error) {
	if p.URL != "" || p.Host != "" {
		return "", fmt.Errorf("%s: a config on %s names only files of its disk: %w", p, r.v.Name, pxelinux.ErrNotFound)
	}
	n := p.Name
	// The config itself, named as v.File names it ("vda2:/boot/...").
	if rest, ok := strings.CutPrefix(n, r.v.Name+":"); ok {
		return volume.Clean(rest), nil
	}
	if strings.HasPrefix(n, "/") {
		return volume.Clean(n), nil
	}
	return volume.Clean(r.dir + "/" + n), nil
}

// file is the file an entry names: v's file at the resolved name, or
// for a URL or another host only the name (nothing to fetch it from).
func (r *extlinuxPaths) file(p pxelinux.Path) bootmenu.File {
	n, err := r.resolve(p)
	if err != nil {
		return bootmenu.File{Name: p.String()}
	}
	return r.v.File(n)
}
