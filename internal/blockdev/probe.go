package blockdev

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/s390netboot/s390netboot/internal/uuid"
)

// FS is what a superblock says of the filesystem (or other signature) on
// a device, in the words blkid uses, so that GRUB's search --fs-uuid,
// root=UUID= and LABEL= match.
type FS struct {
	// Type is blkid's TYPE: "ext2", "ext3", "ext4", "xfs", "btrfs",
	// "vfat", "iso9660", "squashfs", "erofs", and for what is not
	// mounted: "swap", "crypto_LUKS", "LVM2_member",
	// "linux_raid_member".
	Type string
	// UUID is as blkid prints it: lower-case 8-4-4-4-12 for most,
	// "XXXX-XXXX" for vfat, "YYYY-MM-DD-HH-MM-SS-cc" for iso9660, the
	// LVM PV id in 6-4-4-4-4-4-6 groups. "" when the filesystem has none.
	UUID string
	// Label is the volume label ("" when there is none), trailing spaces
	// and NULs removed.
	Label string
	// Version is blkid's VERSION where it tells variants apart: "FAT12",
	// "FAT16", "FAT32" for vfat, "1"/"2" for LUKS, the metadata version
	// ("1.2", "0.90") for linux_raid_member; "" otherwise.
	Version string
}

// Probe errors, matched with errors.Is.
var (
	// ErrUnknownFS: no signature in the table matched.
	ErrUnknownFS = errors.New("no known filesystem signature")
	// ErrCorrupt: a signature matched but the superblock around it is
	// out of range or cut short.
	ErrCorrupt = errors.New("corrupt superblock")
)

// signature is one row of the probe table: the magic bytes and where
// they stand, and the function that reads the rest of that superblock.
// off returns the magic's offset on a device of size bytes (most are
// fixed; MD RAID 0.90 and 1.0 keep theirs at the end); parse gets it.
type signature struct {
	typ   string
	off   func(size int64) int64
	magic string
	parse func(d *disk, magicOff int64) (FS, error)
}

func at(n int64) func(int64) int64 { return func(int64) int64 { return n } }

// signatures is the one table of magics and offsets, in the order they
// are tried: containers first (an MD RAID1 member with metadata 1.0 also
// shows the filesystem it mirrors at offset 0; a LUKS or LVM header
// hides whatever was there before), then the filesystems.
var signatures = []signature{
	// MD_SB_MAGIC 0xa92b4efc, little-endian in 1.x (include/uapi/linux/raid/md_p.h);
	// 1.1 at 0, 1.2 at 4 KiB, 1.0 at ((sectors-16) & ~7) sectors from the start.
	{"linux_raid_member", at(0), "\xfc\x4e\x2b\xa9", parseMD1},
	{"linux_raid_member", at(4096), "\xfc\x4e\x2b\xa9", parseMD1},
	{"linux_raid_member", md10Offset, "\xfc\x4e\x2b\xa9", parseMD1},
	// MD_SB_MAGIC in the creating host's byte order, 0.90 superblock at
	// MD_NEW_SIZE_SECTORS(sectors): the last 64 KiB-aligned 64 KiB (md_p.h).
	{"linux_raid_member", md090Offset, "\xfc\x4e\x2b\xa9", parseMD090},
	{"linux_raid_member", md090Offset, "\xa9\x2b\x4e\xfc", parseMD090},
	// LUKS_MAGIC "LUKS\xba\xbe" at 0 (cryptsetup lib/luks1/luks.h, LUKS2 on-disk format).
	{"crypto_LUKS", at(0), "LUKS\xba\xbe", parseLUKS},
	// LABEL_ID "LABELONE" at the start of one of the first four sectors,
	// LVM2_LABEL "LVM2 001" 24 bytes later (lvm2 lib/label/label.h, lib/format_text/layout.h).
	{"LVM2_member", at(0), "LABELONE", parseLVM2},
	{"LVM2_member", at(512), "LABELONE", parseLVM2},
	{"LVM2_member", at(1024), "LABELONE", parseLVM2},
	{"LVM2_member", at(1536), "LABELONE", parseLVM2},
	// ISO_STANDARD_ID "CD001" at byte 1 of the volume descriptors from
	// sector 16 of 2048 bytes (include/uapi/linux/iso_fs.h, ECMA-119 8.1).
	{"iso9660", at(16*isoSector + 1), "CD001", parseISO9660},
	// XFS_SB_MAGIC "XFSB" at 0 (fs/xfs/libxfs/xfs_format.h).
	{"xfs", at(0), "XFSB", parseXFS},
	// BTRFS_MAGIC "_BHRfS_M" at 0x40 of the superblock at 64 KiB
	// (include/uapi/linux/btrfs_tree.h, BTRFS_SUPER_INFO_OFFSET fs/btrfs/disk-io.h).
	{"btrfs", at(btrfsSuper + 0x40), "_BHRfS_M", parseBtrfs},
	// EXT4_SUPER_MAGIC 0xEF53 in s_magic at 0x38 of the superblock at 1 KiB (fs/ext4/ext4.h).
	{"ext2/ext3/ext4", at(extSuper + 0x38), "\x53\xef", parseExt},
	// SQUASHFS_MAGIC 0x73717368 "hsqs" at 0 (fs/squashfs/squashfs_fs.h).
	{"squashfs", at(0), "hsqs", parseSquashfs},
	// EROFS_SUPER_MAGIC_V1 0xE0F5E1E2 at EROFS_SUPER_OFFSET 1024 (fs/erofs/erofs_fs.h).
	{"erofs", at(erofsSuper), "\xe2\xe1\xf5\xe0", parseErofs},
	// BS_FilSysType "FAT32   " at 0x52, "FAT12   "/"FAT16   "/"FAT     "
	// at 0x36 of the boot sector (Microsoft FAT specification, fatgen103).
	{"vfat", at(0x52), "FAT32   ", parseFAT},
	{"vfat", at(0x36), "FAT12   ", parseFAT},
	{"vfat", at(0x36), "FAT16   ", parseFAT},
	{"vfat", at(0x36), "FAT     ", parseFAT},
	// SWAP_SIGNATURE "SWAPSPACE2" in the last 10 bytes of the first page,
	// for the page sizes Linux has (include/linux/swap.h union swap_header).
	{"swap", at(4096 - 10), "SWAPSPACE2", parseSwap},
	{"swap", at(8192 - 10), "SWAPSPACE2", parseSwap},
	{"swap", at(16384 - 10), "SWAPSPACE2", parseSwap},
	{"swap", at(65536 - 10), "SWAPSPACE2", parseSwap},
}

// Superblock locations the parsers below read from.
const (
	extSuper   = 1024  // EXT4 superblock offset, fs/ext4/ext4.h (EXT4_MIN_BLOCK_SIZE)
	erofsSuper = 1024  // EROFS_SUPER_OFFSET, fs/erofs/erofs_fs.h
	btrfsSuper = 65536 // BTRFS_SUPER_INFO_OFFSET, fs/btrfs/disk-io.h
	isoSector  = 2048  // ISO_BLOCK_SIZE, ECMA-119 6.1.2
)

func md10Offset(size int64) int64 {
	sectors := size >> 9
	if sectors < 16 {
		return -1
	}
	return ((sectors - 16) &^ 7) << 9
}

func md090Offset(size int64) int64 {
	const reserved = 64 << 10 // MD_RESERVED_BYTES, md_p.h
	if size < reserved {
		return -1
	}
	return size&^(reserved-1) - reserved
}

// Probe reads the signature table's superblocks from r, a device or
// image of size bytes, and returns the first that matches. It returns
// ErrUnknownFS when none does and ErrCorrupt (wrapped, naming the field)
// when one matches but its superblock does not hold together. Read
// errors other than the end of r are returned as they are.
func Probe(r io.ReaderAt, size int64) (FS, error) {
	d := &disk{r: r, size: size}
	for _, s := range signatures {
		off := s.off(size)
		if off < 0 {
			continue
		}
		b, err := d.read(off, int64(len(s.magic)))
		if errors.Is(err, io.ErrUnexpectedEOF) {
			continue // the device is too short for this signature
		}
		if err != nil {
			return FS{}, err
		}
		if string(b) != s.magic {
			continue
		}
		fs, err := s.parse(d, off)
		if errors.Is(err, errNotThis) {
			continue
		}
		if err != nil {
			return FS{}, fmt.Errorf("%s signature at byte %d: %w", s.typ, off, err)
		}
		return fs, nil
	}
	return FS{}, ErrUnknownFS
}

// errNotThis makes Probe go on to the next row: the magic matched, but a
// second check (LVM2's type string) says it is not this signature.
var errNotThis = errors.New("signature does not match")

// maxRead bounds every single read a parser makes, whatever a superblock
// claims.
const maxRead = 1 << 20

// disk is r with its size, read in bounded pieces.
type disk struct {
	r    io.ReaderAt
	size int64
}

// read returns n bytes at off: io.ErrUnexpectedEOF when they are not all
// inside the device.
func (d *disk) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || n > maxRead || off > d.size-n {
		return nil, fmt.Errorf("%d bytes at %d on a device of %d bytes: %w", n, off, d.size, io.ErrUnexpectedEOF)
	}
	b := make([]byte, n)
	m, err := d.r.ReadAt(b, off)
	if m == len(b) {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("read %d bytes at %d: %w", n, off, err)
}

// super reads a superblock of n bytes at off whose magic has matched: a
// short read is corruption (the superblock is cut off), not a mismatch.
func (d *disk) super(off, n int64) ([]byte, error) {
	b, err := d.read(off, n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("superblock truncated: %w: %w", ErrCorrupt, err)
	}
	return b, err
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorrupt)
}

// text is a fixed-size string field: up to the first NUL, trailing
// spaces removed, invalid UTF-8 replaced (blkid passes bytes through;
// a label must still print).
func text(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s := strings.TrimRight(string(b), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// ucs2 is a big- or little-endian UTF-16 string field, up to the first
// NUL, trailing spaces removed.
func ucs2(b []byte, order binary.ByteOrder) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := order.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.TrimRight(string(utf16.Decode(u)), " ")
}

// uuidText is 16 bytes in the order written as 8-4-4-4-12, or "" when
// all are zero (blkid prints no UUID then).
func uuidText(b []byte) string {
	var u uuid.UUID
	copy(u[:], b)
	if u == (uuid.UUID{}) {
		return ""
	}
	return u.String()
}

func isPow2(n uint64) bool { return n != 0 && n&(n-1) == 0 }
