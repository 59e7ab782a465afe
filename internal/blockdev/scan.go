package blockdev

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Device is a block device that may hold a filesystem: a partition, or a
// whole disk without partitions (a disk with a filesystem on it, a CD).
type Device struct {
	// Name is the kernel's name ("vda2", "nvme0n1p1", "dasda1", "sr0"),
	// also the node's name in /dev.
	Name string
	// Disk is the whole disk ("vda", "nvme0n1"); Name for a whole disk.
	Disk string
	// DiskIndex is the disk's place among the machine's disks, 0 first
	// (GRUB's hd0 on most machines), by kind: virtio-blk (vd), SCSI,
	// SATA, USB and virtio-scsi (sd), NVMe, DASD, MMC/SD (mmcblk), every
	// other kind (md, dm, loop with an image, xvd ...), CD-ROMs (sr)
	// last; within a kind in the natural order of the kernel names (sdz
	// before sdaa, nvme2n1 before nvme10n1). Every disk counts, also one
	// skipped for being held by RAID or LVM; RAM, zram and unbound loop
	// devices do not.
	DiskIndex int
	// Partition is the partition number (vda2: 2); 0 for a whole disk.
	Partition int
	// Size is in bytes.
	Size int64
	// Major and Minor are the device number (sysfs "dev").
	Major, Minor uint32
	// Removable is the disk's "removable" (CDs, SD cards, USB sticks
	// that say so); ReadOnly the device's "ro".
	Removable, ReadOnly bool
}

// Skipped is a block device Scan does not report, and why.
type Skipped struct {
	Name   string
	Reason string
}

// sectorSize is the unit of sysfs "size" and "start": 512 bytes
// whatever the device's own sector size (include/linux/blk_types.h
// SECTOR_SHIFT).
const sectorSize = 512

// minPartition is the smallest partition worth probing: an extended
// MBR partition shows as 1 KiB (2 sectors) to hold the link to the
// logical ones.
const minPartition = 4096

// diskOrder is the order of disk kinds for Device.DiskIndex, by kernel
// name prefix; "" stands for every other kind. Within a kind the order
// is the one the kernel named the disks in on their bus, not the
// firmware's boot order, which Linux cannot see.
var diskOrder = []string{"vd", "sd", "nvme", "dasd", "mmcblk", "", "sr"}

// pseudo names the devices that are not disks, by kernel name prefix,
// and why they are skipped; ok (when set) says which of them are disks
// after all (a loop device with an image behind it, an nbd with a size).
var pseudo = []struct {
	prefix, reason string
	ok             func(n *node) bool
}{
	{"ram", "RAM disk", nil},
	{"zram", "compressed RAM disk (zram swap)", nil},
	{"loop", "loop device without a backing file", func(n *node) bool { return n.backed }},
	{"nbd", "network block device not connected (size 0)", func(n *node) bool { return n.size > 0 }},
}

// node is one /sys/class/block entry as Scan reads it.
type node struct {
	name      string
	parent    string // the disk, for a partition
	partition int
	size      int64
	major     uint32
	minor     uint32
	ro        bool
	removable bool
	hidden    bool
	backed    bool     // a loop device with a backing file
	holders   []string // devices built on this one (md, dm)
}

// Scan lists the block devices below sysRoot (normally "/sys") that may
// hold a filesystem, in diskOrder, each disk's partitions in number
// order, and the others with the reason each is left out: RAM, zram and
// unbound loop devices, devices held by MD RAID or device-mapper (LVM,
// LUKS: the device built on them is reported instead), empty drives,
// and whole disks that have partitions (their partitions are reported).
// It fails only when sysRoot has no class/block folder; a device whose
// attributes cannot be read is skipped, saying why.
func Scan(sysRoot string) ([]Device, []Skipped, error) {
	dir := filepath.Join(sysRoot, "class", "block")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("block devices: %w", err)
	}
	var skipped []Skipped
	nodes := map[string]*node{}
	for _, e := range ents {
		n, err := readNode(dir, e.Name())
		if err != nil {
			skipped = append(skipped, Skipped{e.Name(), err.Error()})
			continue
		}
		nodes[n.name] = n
	}
	parts := map[string][]*node{}
	var disks []*node
	for _, n := range nodes {
		if n.partition == 0 {
			disks = append(disks, n)
			continue
		}
		if _, ok := nodes[n.parent]; !ok {
			skipped = append(skipped, Skipped{n.name, fmt.Sprintf("partition of %q, which is not a block device", n.parent)})
			continue
		}
		parts[n.parent] = append(parts[n.parent], n)
	}
	slices.SortFunc(disks, func(a, b *node) int { return compareDisks(a.name, b.name) })

	var devs []Device
	index := 0
	for _, d := range disks {
		if reason := pseudoReason(d); reason != "" {
			skipped = append(skipped, Skipped{d.name, reason})
			for _, p := range parts[d.name] {
				skipped = append(skipped, Skipped{p.name, "partition of " + d.name + ": " + reason})
			}
			continue
		}
		dev := func(n *node) Device {
			return Device{Name: n.name, Disk: d.name, DiskIndex: index, Partition: n.partition,
				Size: n.size, Major: n.major, Minor: n.minor, Removable: d.removable, ReadOnly: n.ro}
		}
		ps := parts[d.name]
		slices.SortFunc(ps, func(a, b *node) int { return a.partition - b.partition })
		switch {
		case d.hidden:
			skipped = append(skipped, Skipped{d.name, "hidden (a path of a multipath NVMe namespace)"})
		case len(d.holders) > 0:
			skipped = append(skipped, Skipped{d.name, heldReason(d)})
		case len(ps) > 0:
			names := make([]string, len(ps))
			for i, p := range ps {
				names[i] = p.name
			}
			skipped = append(skipped, Skipped{d.name, "has partitions (" + strings.Join(names, ", ") + "), probed instead"})
		case d.size == 0 && (strings.HasPrefix(d.name, "sr") || d.removable):
			skipped = append(skipped, Skipped{d.name, "no medium (size 0)"})
		case d.size == 0:
			skipped = append(skipped, Skipped{d.name, "size 0"})
		default:
			devs = append(devs, dev(d))
		}
		for _, p := range ps {
			switch {
			case len(p.holders) > 0:
				skipped = append(skipped, Skipped{p.name, heldReason(p)})
			case p.size < minPartition:
				skipped = append(skipped, Skipped{p.name, fmt.Sprintf("%d bytes: an extended partition's link, too small for a filesystem", p.size)})
			default:
				devs = append(devs, dev(p))
			}
		}
		index++
	}
	slices.SortFunc(skipped, func(a, b Skipped) int { return compareDisks(a.Name, b.Name) })
	return devs, skipped, nil
}

func pseudoReason(n *node) string {
	for _, p := range pseudo {
		if strings.HasPrefix(n.name, p.prefix) && isDigits(strings.TrimPrefix(n.name, p.prefix)) {
			if p.ok != nil && p.ok(n) {
				return ""
			}
			return p.reason
		}
	}
	return ""
}

func heldReason(n *node) string {
	return "held by " + strings.Join(n.holders, ", ") + " (an MD RAID member, LVM physical volume or device-mapper target: the device built on it is probed)"
}

// readNode reads the sysfs attributes of /sys/class/block/NAME. The
// entry is a symbolic link into /sys/devices; a partition's folder lies
// inside its disk's, which names the disk.
func readNode(dir, name string) (*node, error) {
	p := filepath.Join(dir, name)
	n := &node{name: name}
	dev, err := attr(p, "dev")
	if err != nil {
		return nil, err
	}
	maj, min, ok := strings.Cut(dev, ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%s/dev %q is not MAJOR:MINOR", p, dev)
	}
	n.major, n.minor = uint32(ma), uint32(mi)
	sectors, err := attrInt(p, "size")
	if err != nil {
		return nil, err
	}
	if sectors < 0 || sectors > 1<<54 {
		return nil, fmt.Errorf("%s/size %d sectors out of range", p, sectors)
	}
	n.size = sectors * sectorSize
	ro, _ := attrInt(p, "ro")
	n.ro = ro == 1
	if nr, err := attrInt(p, "partition"); err == nil {
		if nr <= 0 {
			return nil, fmt.Errorf("%s/partition %d", p, nr)
		}
		n.partition = int(nr)
		// The link's text names the disk's folder: one readlink instead
		// of resolving every folder on the way.
		real, err := os.Readlink(p)
		if err != nil {
			if real, err = filepath.EvalSymlinks(p); err != nil {
				return nil, fmt.Errorf("partition %s: %w", name, err)
			}
		}
		n.parent = filepath.Base(filepath.Dir(real))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else {
		rem, _ := attrInt(p, "removable")
		n.removable = rem == 1
		hidden, _ := attrInt(p, "hidden")
		n.hidden = hidden == 1
		_, err := os.Stat(filepath.Join(p, "loop", "backing_file"))
		n.backed = err == nil
	}
	if hs, err := os.ReadDir(filepath.Join(p, "holders")); err == nil {
		for _, h := range hs {
			n.holders = append(n.holders, h.Name())
		}
	}
	return n, nil
}

func attr(dir, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func attrInt(dir, name string) (int64, error) {
	s, err := attr(dir, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s/%s: %w", dir, name, err)
	}
	return v, nil
}

// compareDisks orders kernel names by diskOrder, then naturally.
func compareDisks(a, b string) int {
	ra, pa := diskRank(a)
	rb, _ := diskRank(b)
	if c := ra - rb; c != 0 {
		return c
	}
	if pa == "" {
		return compareNatural(a, b, false)
	}
	return compareNatural(a[len(pa):], b[len(pa):], true)
}

// diskRank is the place of name's kind in diskOrder, and the kind's
// prefix ("" for the other kinds).
func diskRank(name string) (int, string) {
	for i, p := range diskOrder {
		if p != "" && strings.HasPrefix(name, p) {
			return i, p
		}
	}
	return slices.Index(diskOrder, ""), ""
}

// compareNatural compares names in runs: digit runs by value, letter
// runs alphabetically, or with lettersByLength (the disk letters after
// "sd", "vd", "dasd") by length first: sdz < sdaa, as the kernel names
// the 27th disk.
func compareNatural(a, b string, lettersByLength bool) int {
	for a != "" && b != "" {
		ra, restA := nameRun(a)
		rb, restB := nameRun(b)
		da, db := isDigits(ra), isDigits(rb)
		var c int
		switch {
		case da && db:
			ra, rb = strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			c = len(ra) - len(rb)
		case da != db:
			if da {
				return -1
			}
			return 1
		case lettersByLength:
			c = len(ra) - len(rb)
		}
		if c == 0 {
			c = strings.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		a, b = restA, restB
	}
	return len(a) - len(b)
}

// nameRun splits s after its leading run of digits or of non-digits.
func nameRun(s string) (string, string) {
	digit := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == digit {
		i++
	}
	return s[:i], s[i:]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
