package localboot

import (
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// Kind is the kind of a config, and the parser that reads it.
type Kind int

const (
	// BLS is a volume's Boot Loader Specification entries: type #1
	// (loader/entries/*.conf, with loader/loader.conf) and type #2
	// (unified kernel images in EFI/Linux), package bls.
	BLS Kind = iota
	// GRUB is a grub.cfg, package grub.
	GRUB
	// Extlinux is an extlinux.conf, syslinux.cfg or isolinux.cfg, read by
	// the PXELINUX engine (package pxelinux).
	Extlinux
)

func (k Kind) String() string {
	switch k {
	case BLS:
		return "bls"
	case GRUB:
		return "grub"
	case Extlinux:
		return "extlinux"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// A Place is where a kind of config is looked for on every volume.
type Place struct {
	Kind Kind
	// Path is below the volume's root; "*" stands for any one name (a
	// distribution's folder of an ESP), matched without regard to case
	// as FAT does.
	Path string
	// Where says whose layout it is, for the table in the docs.
	Where string
}

// Places are where configs are looked for, in the order between the
// configs of one disk (see the package doc). It is the one list of
// them; the README's table is Table's output.
var Places = []Place{
	{BLS, "loader/entries", "BLS #1: an ESP, XBOOTLDR or /boot partition"},
	{BLS, "boot/loader/entries", "BLS #1: /boot on the root (Fedora, zipl)"},
	{BLS, "EFI/Linux", "BLS #2: unified kernel images (*.efi)"},
	{GRUB, "boot/grub/grub.cfg", "Debian, Ubuntu: /boot on the root"},
	{GRUB, "grub/grub.cfg", "Debian, Ubuntu: a /boot partition"},
	{GRUB, "boot/grub2/grub.cfg", "Fedora, RHEL, openSUSE: /boot on the root"},
	{GRUB, "grub2/grub.cfg", "Fedora, RHEL: a /boot partition"},
	{GRUB, "@/boot/grub/grub.cfg", "Ubuntu on btrfs: the @ subvolume"},
	{GRUB, "@rootfs/boot/grub/grub.cfg", "Debian on btrfs: the @rootfs subvolume"},
	{GRUB, "EFI/*/grub.cfg", "an ESP's folders (often stubs for /boot)"},
	{Extlinux, "boot/extlinux/extlinux.conf", "extlinux, U-Boot's distro boot"},
	{Extlinux, "extlinux/extlinux.conf", "extlinux on a /boot partition"},
	{Extlinux, "extlinux.conf", "Alpine: a /boot partition"},
	{Extlinux, "boot/extlinux.conf", "Alpine: /boot on the root"},
	{Extlinux, "boot/syslinux/syslinux.cfg", "syslinux"},
	{Extlinux, "syslinux/syslinux.cfg", "syslinux: a /boot partition, a USB stick"},
	{Extlinux, "isolinux/isolinux.cfg", "a CD or a hybrid ISO image"},
}

// Table is Places as text, a line each: the place, the kind and whose
// layout it is, as the package doc and the README show it.
func Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %-9s %s\n", "path on a volume", "parser", "whose layout")
	for _, p := range Places {
		fmt.Fprintf(&b, "%-28s %-9s %s\n", p.Path, p.Kind, p.Where)
	}
	return b.String()
}

// Config is one config found on a volume.
type Config struct {
	Volume *volume.Volume
	Kind   Kind
	// Path is the config on the volume, with a leading '/'
	// ("/boot/grub/grub.cfg"); for BLS the first folder of entries or
	// images found ("/loader/entries").
	Path string
	// Roots are, for BLS, the folders holding loader/ and EFI/Linux
	// ("/", "/boot").
	Roots []string
	// place is the index in Places, the order between configs.
	place int
}

// Name is the config as a menu names it: "vda2:/boot/grub/grub.cfg".
func (c Config) Name() string { return c.Volume.File(c.Path).Name }

// Title is the heading of the config's group in the menu: the volume
// and the path ("vda2 (ext4 "boot") /grub/grub.cfg").
func (c Config) Title() string { return c.Volume.String() + " " + c.Path }

// Find lists the configs on vols, in the order documented in the
// package doc: disk by disk (DiskIndex), then by Places, then volume by
// volume (Partition). A volume gives at most one BLS config (its roots
// together), one GRUB config of the paths outside EFI/ and one of each
// EFI/*/ folder, and one extlinux config (the first Place that exists, as
// extlinux reads one config). Nothing is read but folder listings and
// file metadata.
func Find(vols []*volume.Volume) []Config {
	var out []Config
	for _, v := range vols {
		if v == nil || v.FS == nil {
			continue
		}
		out = append(out, find(v)...)
	}
	slices.SortStableFunc(out, func(a, b Config) int {
		return cmp.Or(cmp.Compare(a.Volume.DiskIndex, b.Volume.DiskIndex), cmp.Compare(a.place, b.place),
			cmp.Compare(a.Volume.Partition, b.Volume.Partition))
	})
	return out
}

// find lists the configs of one volume in Places order.
func find(v *volume.Volume) []Config {
	var out []Config
	bls := -1 // the index of the BLS config in out
	grub, extlinux := false, false
	for i, p := range Places {
		for _, name := range match(v.FS, p.Path) {
			c := Config{Volume: v, Kind: p.Kind, Path: "/" + name, place: i}
			switch {
			case p.Kind == BLS:
				root := "/"
				if strings.HasPrefix(p.Path, "boot/") {
					root = "/boot"
				}
				if bls < 0 {
					bls = len(out)
					out = append(out, c)
				}
				if !slices.Contains(out[bls].Roots, root) {
					out[bls].Roots = append(out[bls].Roots, root)
				}
			case p.Kind == GRUB && !strings.HasPrefix(p.Path, "EFI/"):
				if !grub {
					grub = true
					out = append(out, c)
				}
			case p.Kind == Extlinux:
				if !extlinux {
					extlinux = true
					out = append(out, c)
				}
			default:
				out = append(out, c)
			}
		}
	}
	return out
}

// match gives the names in fsys that pattern (a Places path) stands
// for: the path itself when it exists, and for a "*" element every
// folder there, in name order. Elements are matched as written first,
// then without regard to case (FAT on an ESP: "efi/boot", "EFI/BOOT").
func match(fsys fs.FS, pattern string) []string {
	names := []string{"."}
	for _, el := range strings.Split(pattern, "/") {
		var next []string
		for _, dir := range names {
			next = append(next, children(fsys, dir, el)...)
		}
		names = next
	}
	return names
}

// maxDirNames bounds how many names of one folder Find looks at when it
// matches without regard to case or lists an ESP's folders: a hostile
// volume's root of a million names costs no more than this.
const maxDirNames = 4096

// children are the entries of dir that el names ("*": every folder).
func children(fsys fs.FS, dir, el string) []string {
	if el != "*" {
		if _, err := fs.Stat(fsys, path.Join(dir, el)); err == nil {
			return []string{path.Join(dir, el)}
		}
	}
	var out []string
	for _, e := range readDir(fsys, dir) {
		switch {
		case el == "*" && e.IsDir():
			out = append(out, path.Join(dir, e.Name()))
		case el != "*" && strings.EqualFold(e.Name(), el):
			return []string{path.Join(dir, e.Name())}
		}
	}
	return out
}

// readDir is the first maxDirNames entries of dir in name order, read
// in batches so that a huge folder is not read whole.
func readDir(fsys fs.FS, dir string) []fs.DirEntry {
	f, err := fsys.Open(dir)
	if err != nil {
		return nil
	}
	defer f.Close()
	rd, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil
	}
	var out []fs.DirEntry
	for len(out) < maxDirNames {
		batch, err := rd.ReadDir(256)
		out = append(out, batch...)
		if err != nil || len(batch) == 0 {
			break
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}
