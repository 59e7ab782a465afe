package grub

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// mbrPartUUID is the PARTUUID blkid gives an MBR partition: the disk
// signature and the partition number ("3b5e1a2c-02"); GPT partitions
// have real UUIDs.
var mbrPartUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{2}$`)

// deviceName is v's GRUB device name without the parentheses: "hd0"
// for a whole disk, "hd0,gpt2" or "hd0,msdos1" for a partition (the
// table type told by the form of its PartUUID).
func deviceName(v *volume.Volume) string {
	if v.Partition == 0 {
		return fmt.Sprintf("hd%d", v.DiskIndex)
	}
	scheme := "gpt"
	if mbrPartUUID.MatchString(v.PartUUID) {
		scheme = "msdos"
	}
	return fmt.Sprintf("hd%d,%s%d", v.DiskIndex, scheme, v.Partition)
}

// unsupported are GRUB device name prefixes of storage the client does
// not assemble or cannot read, with what they are.
var unsupported = []struct{ prefix, what string }{
	{"lvm/", "an LVM logical volume"}, {"lvmid/", "an LVM logical volume"},
	{"md/", "an MD RAID array"}, {"mduuid/", "an MD RAID array"}, {"md", "an MD RAID array"},
	{"cryptouuid/", "an encrypted volume"}, {"crypto", "an encrypted volume"},
	{"ldm/", "a Windows dynamic disk"}, {"zfs", "a ZFS pool"},
	{"memdisk", "GRUB's memory disk"}, {"proc", "GRUB's proc device"},
	{"tftp", "a network device"}, {"http", "a network device"}, {"pxe", "a network device"},
	{"cd", "a CD-ROM by BIOS number"}, {"fd", "a floppy"}, {"loop", "a GRUB loopback device"},
}

// hdName matches hdN, hdN,M, hdN,gptM, hdN,msdosM.
var hdName = regexp.MustCompile(`^hd([0-9]+)(?:,(?:gpt|msdos)?([0-9]+))?$`)

// volumeFor finds the volume a GRUB device name (no parentheses) names.
func (in *interp) volumeFor(dev string) (*volume.Volume, error) {
	if m := hdName.FindStringSubmatch(dev); m != nil {
		disk, _ := strconv.Atoi(m[1])
		part := 0
		if m[2] != "" {
			part, _ = strconv.Atoi(m[2])
		}
		for _, v := range in.volumes() {
			if v.DiskIndex == disk && v.Partition == part {
				return v, nil
			}
		}
		return nil, fmt.Errorf("(%s): %w", dev, ErrDevice)
	}
	for _, u := range unsupported {
		if strings.HasPrefix(dev, u.prefix) {
			return nil, fmt.Errorf("(%s) is %s: %w", dev, u.what, ErrUnsupportedDevice)
		}
	}
	return nil, fmt.Errorf("(%s): %w", dev, ErrDevice)
}

// volumes are Options.Volumes with Root among them.
func (in *interp) volumes() []*volume.Volume {
	for _, v := range in.o.Volumes {
		if v == in.o.Root {
			return in.o.Volumes
		}
	}
	return append([]*volume.Volume{in.o.Root}, in.o.Volumes...)
}

// resolve splits a GRUB file name into its volume and path: "(dev)/p"
// names the device, "/p" is on $root.
func (in *interp) resolve(f *frame, name string) (*volume.Volume, string, error) {
	dev, p := "", name
	if strings.HasPrefix(name, "(") {
		end := strings.IndexByte(name, ')')
		if end < 0 {
			return nil, "", fmt.Errorf("%q: no ')' after the device: %w", name, fs.ErrInvalid)
		}
		dev, p = name[1:end], name[end+1:]
	} else {
		dev = strings.TrimSuffix(strings.TrimPrefix(f.vars.get("root"), "("), ")")
		if dev == "" {
			return nil, "", fmt.Errorf("%q: $root is not set: %w", name, ErrDevice)
		}
	}
	v, err := in.volumeFor(dev)
	if err != nil {
		return nil, "", err
	}
	return v, "/" + strings.TrimPrefix(volume.Clean(p), "."), nil
}

// volumeName is a path as an io/fs name.
func volumeName(p string) string { return volume.Clean(p) }

// stat is fs.Stat of a path on a volume.
func stat(v *volume.Volume, p string) (fs.FileInfo, error) {
	if v.FS == nil {
		return nil, fmt.Errorf("%s has no files: %w", v, fs.ErrNotExist)
	}
	return fs.Stat(v.FS, volumeName(p))
}

// cmdSearch is search, search.fs_uuid, search.fs_label and search.file:
// the first volume with that filesystem UUID (any case), label or file
// sets the variable (root by default). Hints are tried first; floppy
// and cache options are accepted and do nothing.
func cmdSearch(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	kind, setVar := "file", "root"
	var names, hints []string
	switch argv[0] {
	case "search.fs_uuid":
		kind = "uuid"
	case "search.fs_label":
		kind = "label"
	}
	if argv[0] != "search" {
		// search.fs_uuid NAME [VARIABLE [HINTS…]]
		rest := argv[1:]
		if len(rest) == 0 {
			in.warn(c.pos, "%s needs a name", argv[0])
			return 1, ctl{}
		}
		names = rest[:1]
		if len(rest) > 1 {
			setVar = rest[1]
		}
		if len(rest) > 2 {
			hints = rest[2:]
		}
	} else {
		for i := 1; i < len(argv); i++ {
			a := argv[i]
			opt, val, hasVal := strings.Cut(a, "=")
			switch {
			case a == "-f" || a == "--file":
				kind = "file"
			case a == "-l" || a == "--label":
				kind = "label"
			case a == "-u" || a == "--fs-uuid":
				kind = "uuid"
			case a == "-s" || a == "--set":
				setVar = "root"
			case opt == "--set" && hasVal:
				setVar = val
			case a == "-h" || a == "--hint":
				if i+1 < len(argv) {
					i++
					hints = append(hints, argv[i])
				}
			case opt == "--hint" && hasVal:
				hints = append(hints, val)
			case strings.HasPrefix(opt, "--hint-") && hasVal:
				plat := strings.TrimPrefix(opt, "--hint-")
				if plat == "bios" && in.o.Platform == "pc" || plat == in.o.Platform {
					hints = append(hints, val)
				}
			case strings.HasPrefix(a, "-"):
				// --no-floppy, --efidisk-only, --root-dev-only, --hint-*
				// for other platforms
			default:
				names = append(names, a)
			}
		}
	}
	if len(names) == 0 {
		in.warn(c.pos, "%s needs a name", argv[0])
		return 1, ctl{}
	}
	name := names[0]
	var order []*volume.Volume
	for _, h := range hints {
		if v, err := in.volumeFor(strings.Trim(h, "()")); err == nil {
			order = append(order, v)
		}
	}
	order = append(order, in.volumes()...)
	for _, v := range order {
		if matches(v, kind, name) {
			if !in.setVar(f, c.pos, setVar, deviceName(v), "") {
				return 1, ctl{}
			}
			return 0, ctl{}
		}
	}
	what := map[string]string{"uuid": "filesystem UUID", "label": "label", "file": "file"}[kind]
	if r := in.o.Root; kind != "file" && unidentified(r) {
		// A folder standing for a volume (pxeboot plan --disk DIR) has
		// no UUID or label to be found by. grub-mkconfig's searches name
		// the volume that holds the kernels, which is the one holding
		// grub.cfg (a separate /boot, or the root holding /boot): take
		// it, and say so.
		in.warn(c.pos, "search: no volume has the %s %s; taking %s, a folder that has none", what, name, r.Name)
		if !in.setVar(f, c.pos, setVar, deviceName(r), "") {
			return 1, ctl{}
		}
		return 0, ctl{}
	}
	in.warn(c.pos, "search: no volume has the %s %s: %w", what, name, ErrDevice)
	return 1, ctl{}
}

// unidentified reports whether v is a folder standing for a volume: no
// filesystem, so no UUID or label.
func unidentified(v *volume.Volume) bool {
	return v != nil && v.FSType == "" && v.UUID == "" && v.Label == ""
}

func matches(v *volume.Volume, kind, name string) bool {
	switch kind {
	case "uuid":
		return v.UUID != "" && strings.EqualFold(v.UUID, name)
	case "label":
		return v.Label != "" && v.Label == name
	}
	if !strings.HasPrefix(name, "/") {
		return false
	}
	_, err := stat(v, name)
	return err == nil
}
