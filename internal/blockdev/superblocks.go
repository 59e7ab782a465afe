package blockdev

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

var (
	le = binary.LittleEndian
	be = binary.BigEndian
)

// ext2/3/4 superblock fields and feature bits, fs/ext4/ext4.h.
const (
	extLogBlockSize = 0x18 // s_log_block_size: block size is 1024 << n
	extCompat       = 0x5c // s_feature_compat
	extIncompat     = 0x60 // s_feature_incompat
	extROCompat     = 0x64 // s_feature_ro_compat
	extUUID         = 0x68 // s_uuid[16]
	extLabel        = 0x78 // s_volume_name[16]

	extCompatHasJournal   = 0x0004 // EXT4_FEATURE_COMPAT_HAS_JOURNAL
	extIncompatFiletype   = 0x0002 // EXT4_FEATURE_INCOMPAT_FILETYPE
	extIncompatRecover    = 0x0004 // EXT4_FEATURE_INCOMPAT_RECOVER
	extIncompatJournalDev = 0x0008 // EXT4_FEATURE_INCOMPAT_JOURNAL_DEV
	extIncompatMetaBG     = 0x0010 // EXT4_FEATURE_INCOMPAT_META_BG
	// The ro_compat features ext2 and ext3 know: SPARSE_SUPER,
	// LARGE_FILE, BTREE_DIR (0x1, 0x2, 0x4).
	ext23ROCompat = 0x0007
	// The incompat features ext2 and ext3 know.
	ext2Incompat = extIncompatFiletype | extIncompatMetaBG
	ext3Incompat = ext2Incompat | extIncompatRecover
)

// parseExt tells ext2, ext3 and ext4 apart as blkid does: ext4 when a
// feature is set that ext3 does not know (extents, 64bit, flex_bg,
// metadata_csum ...), else ext3 when there is a journal, else ext2. A
// filesystem that is an external journal is "jbd".
func parseExt(d *disk, magic int64) (FS, error) {
	b, err := d.super(extSuper, 1024)
	if err != nil {
		return FS{}, err
	}
	if lb := le.Uint32(b[extLogBlockSize:]); lb > 6 {
		return FS{}, corrupt("s_log_block_size %d (block size above 64 KiB)", lb)
	}
	compat, incompat, ro := le.Uint32(b[extCompat:]), le.Uint32(b[extIncompat:]), le.Uint32(b[extROCompat:])
	fs := FS{UUID: uuidText(b[extUUID : extUUID+16]), Label: text(b[extLabel : extLabel+16])}
	switch {
	case incompat&extIncompatJournalDev != 0:
		fs.Type = "jbd"
	case ro&^ext23ROCompat != 0 || incompat&^ext3Incompat != 0:
		fs.Type = "ext4"
	case compat&extCompatHasJournal != 0:
		fs.Type = "ext3"
	case incompat&^ext2Incompat != 0:
		fs.Type = "ext4" // RECOVER without a journal: not something ext2 mounts
	default:
		fs.Type = "ext2"
	}
	return fs, nil
}

// XFS superblock fields (struct xfs_dsb, fs/xfs/libxfs/xfs_format.h), big-endian.
const (
	xfsBlockSize = 4   // sb_blocksize
	xfsDBlocks   = 8   // sb_dblocks
	xfsUUID      = 32  // sb_uuid[16]
	xfsAGCount   = 88  // sb_agcount
	xfsSectSize  = 102 // sb_sectsize
	xfsLabel     = 108 // sb_fname[12]
)

func parseXFS(d *disk, magic int64) (FS, error) {
	b, err := d.super(0, 512)
	if err != nil {
		return FS{}, err
	}
	if bs := be.Uint32(b[xfsBlockSize:]); !isPow2(uint64(bs)) || bs < 512 || bs > 65536 {
		return FS{}, corrupt("sb_blocksize %d", bs)
	}
	if ss := be.Uint16(b[xfsSectSize:]); !isPow2(uint64(ss)) || ss < 512 || ss > 32768 {
		return FS{}, corrupt("sb_sectsize %d", ss)
	}
	if be.Uint32(b[xfsAGCount:]) == 0 || be.Uint64(b[xfsDBlocks:]) == 0 {
		return FS{}, corrupt("sb_agcount or sb_dblocks is 0")
	}
	return FS{Type: "xfs", UUID: uuidText(b[xfsUUID : xfsUUID+16]), Label: text(b[xfsLabel : xfsLabel+12])}, nil
}

// btrfs superblock fields (struct btrfs_super_block,
// include/uapi/linux/btrfs_tree.h), little-endian.
const (
	btrfsFSID       = 0x20  // fsid[16]
	btrfsBytenr     = 0x30  // bytenr: where this copy is
	btrfsSectorSize = 0x90  // sectorsize
	btrfsNodeSize   = 0x94  // nodesize
	btrfsLabel      = 0x12b // label[256]
	btrfsLabelSize  = 256
)

func parseBtrfs(d *disk, magic int64) (FS, error) {
	b, err := d.super(btrfsSuper, 4096)
	if err != nil {
		return FS{}, err
	}
	if at := le.Uint64(b[btrfsBytenr:]); at != btrfsSuper {
		return FS{}, corrupt("bytenr %d, want %d", at, btrfsSuper)
	}
	ss, ns := le.Uint32(b[btrfsSectorSize:]), le.Uint32(b[btrfsNodeSize:])
	if !isPow2(uint64(ss)) || ss < 512 || ss > 65536 || !isPow2(uint64(ns)) || ns < ss || ns > 65536 {
		return FS{}, corrupt("sectorsize %d, nodesize %d", ss, ns)
	}
	return FS{Type: "btrfs", UUID: uuidText(b[btrfsFSID : btrfsFSID+16]), Label: text(b[btrfsLabel : btrfsLabel+btrfsLabelSize])}, nil
}

// squashfs superblock fields (struct squashfs_super_block,
// fs/squashfs/squashfs_fs.h), little-endian. It has no UUID or label.
const (
	sqshBlockSize = 12 // block_size
	sqshMajor     = 28 // s_major
)

func parseSquashfs(d *disk, magic int64) (FS, error) {
	b, err := d.super(0, 96)
	if err != nil {
		return FS{}, err
	}
	if v := le.Uint16(b[sqshMajor:]); v != 4 {
		return FS{}, corrupt("squashfs version %d, Linux mounts 4", v)
	}
	if bs := le.Uint32(b[sqshBlockSize:]); !isPow2(uint64(bs)) || bs < 4096 || bs > 1<<20 {
		return FS{}, corrupt("block_size %d", bs)
	}
	return FS{Type: "squashfs"}, nil
}

// erofs superblock fields (struct erofs_super_block, fs/erofs/erofs_fs.h).
const (
	erofsBlkSzBits = 12 // blkszbits
	erofsUUID      = 48 // uuid[16]
	erofsLabel     = 64 // volume_name[16]
)

func parseErofs(d *disk, magic int64) (FS, error) {
	b, err := d.super(erofsSuper, 128)
	if err != nil {
		return FS{}, err
	}
	if bits := b[erofsBlkSzBits]; bits < 9 || bits > 16 {
		return FS{}, corrupt("blkszbits %d", bits)
	}
	return FS{Type: "erofs", UUID: uuidText(b[erofsUUID : erofsUUID+16]), Label: text(b[erofsLabel : erofsLabel+16])}, nil
}

// Swap header fields (union swap_header, include/linux/swap.h), in the
// byte order of the machine that made it.
const (
	swapVersion = 1024 // info.version
	swapUUID    = 1036 // info.sws_uuid[16]
	swapLabel   = 1052 // info.sws_volume[16]
)

func parseSwap(d *disk, magic int64) (FS, error) {
	b, err := d.super(0, 1068)
	if err != nil {
		return FS{}, err
	}
	if v := le.Uint32(b[swapVersion:]); v != 1 && be.Uint32(b[swapVersion:]) != 1 {
		return FS{}, corrupt("swap header version %#x, want 1", v)
	}
	return FS{Type: "swap", Version: "1", UUID: uuidText(b[swapUUID : swapUUID+16]), Label: text(b[swapLabel : swapLabel+16])}, nil
}

// LUKS header fields (cryptsetup docs/on-disk-format*.pdf), big-endian.
const (
	luksVersion = 6   // version u16
	luksLabel   = 24  // LUKS2 label[48]
	luksUUID    = 168 // uuid[40], text
)

func parseLUKS(d *disk, magic int64) (FS, error) {
	b, err := d.super(0, 208)
	if err != nil {
		return FS{}, err
	}
	fs := FS{Type: "crypto_LUKS", UUID: text(b[luksUUID : luksUUID+40])}
	switch v := be.Uint16(b[luksVersion:]); v {
	case 1:
		fs.Version = "1"
	case 2:
		fs.Version = "2"
		fs.Label = text(b[luksLabel : luksLabel+48])
	default:
		return FS{}, corrupt("LUKS version %d", v)
	}
	return fs, nil
}

// LVM2 label header (struct label_header, lvm2 lib/label/label.h) and
// PV header (struct pv_header, lib/format_text/layout.h), little-endian.
const (
	lvmSector   = 8  // sector_xl: the label's own sector
	lvmCRC      = 16 // crc_xl: of the label sector from offset_xl on
	lvmOffset   = 20 // offset_xl: where the pv_header starts, from the label
	lvmType     = 24 // type[8]
	lvmTypeLVM2 = "LVM2 001"
	lvmIDLen    = 32 // ID_LEN: the PV UUID, 32 characters
	// lvmCRCInit is INITIAL_CRC, lvm2 lib/misc/crc.h: LVM's CRC-32 is
	// the IEEE one started from this value, without the final inversion.
	lvmCRCInit = 0xf597a6cf
)

// lvmChecksum is calc_crc(INITIAL_CRC, b) of lvm2 lib/misc/crc.c.
func lvmChecksum(b []byte) uint32 {
	return ^crc32.Update(^uint32(lvmCRCInit), crc32.IEEETable, b)
}

func parseLVM2(d *disk, magic int64) (FS, error) {
	b, err := d.super(magic, 512)
	if err != nil {
		return FS{}, err
	}
	if string(b[lvmType:lvmType+8]) != lvmTypeLVM2 {
		return FS{}, errNotThis
	}
	if s := le.Uint64(b[lvmSector:]); s != uint64(magic/512) {
		return FS{}, corrupt("label sector_xl %d, found in sector %d", s, magic/512)
	}
	if got, want := lvmChecksum(b[lvmOffset:]), le.Uint32(b[lvmCRC:]); got != want {
		return FS{}, corrupt("label crc_xl %#08x, computed %#08x", want, got)
	}
	off := le.Uint32(b[lvmOffset:])
	if off < 32 || off > 512-lvmIDLen {
		return FS{}, corrupt("pv_header offset %d", off)
	}
	id := b[off : off+lvmIDLen]
	// blkid prints the 32 characters in groups of 6-4-4-4-4-4-6.
	var u []byte
	for i, g := range []int{6, 4, 4, 4, 4, 4, 6} {
		if i > 0 {
			u = append(u, '-')
		}
		u, id = append(u, id[:g]...), id[g:]
	}
	return FS{Type: "LVM2_member", Version: "LVM2 001", UUID: text(u)}, nil
}

// MD RAID superblock fields: struct mdp_superblock_1 (1.x, little-endian)
// and mdp_super_t (0.90, the creator's byte order),
// include/uapi/linux/raid/md_p.h.
const (
	md1Major       = 4   // major_version: 1
	md1SetUUID     = 16  // set_uuid[16]
	md1SetName     = 32  // set_name[32]
	md1SuperOffset = 144 // super_offset, in sectors
	md090Major     = 4   // major_version: 0
	md090Minor     = 8   // minor_version: 90
	md090UUID0     = 20  // set_uuid0
	md090UUID1     = 52  // set_uuid1..3
)

func parseMD1(d *disk, magic int64) (FS, error) {
	b, err := d.super(magic, 256)
	if err != nil {
		return FS{}, err
	}
	if v := le.Uint32(b[md1Major:]); v != 1 {
		return FS{}, corrupt("major_version %d, want 1", v)
	}
	if so := le.Uint64(b[md1SuperOffset:]); so != uint64(magic/512) {
		// Not this superblock's place: a 1.0 superblock seen at 1.2's
		// offset, or stale data.
		return FS{}, errNotThis
	}
	fs := FS{Type: "linux_raid_member", UUID: uuidText(b[md1SetUUID : md1SetUUID+16]), Label: text(b[md1SetName : md1SetName+32])}
	switch magic {
	case 0:
		fs.Version = "1.1"
	case 4096:
		fs.Version = "1.2"
	default:
		fs.Version = "1.0"
	}
	return fs, nil
}

func parseMD090(d *disk, magic int64) (FS, error) {
	b, err := d.super(magic, 64)
	if err != nil {
		return FS{}, err
	}
	var order binary.ByteOrder = le
	if bytes.Equal(b[:4], []byte("\xa9\x2b\x4e\xfc")) {
		order = be
	}
	if maj, min := order.Uint32(b[md090Major:]), order.Uint32(b[md090Minor:]); maj != 0 || min != 90 {
		return FS{}, corrupt("version %d.%d, want 0.90", maj, min)
	}
	var u [16]byte
	copy(u[:4], b[md090UUID0:md090UUID0+4])
	copy(u[4:], b[md090UUID1:md090UUID1+12])
	return FS{Type: "linux_raid_member", Version: "0.90.0", UUID: uuidText(u[:])}, nil
}

// ISO 9660 volume descriptors (ECMA-119 8.4, include/uapi/linux/iso_fs.h).
const (
	isoVDPrimary       = 1   // volume descriptor type: primary
	isoVDSupplementary = 2   // supplementary (Joliet when its escape sequence says UCS-2)
	isoVDEnd           = 255 // set terminator
	isoVolumeID        = 40  // volume identifier[32]
	isoEscapes         = 88  // escape sequences[32]
	isoCreated         = 813 // volume creation date and time[17]
	isoModified        = 830 // volume modification date and time[17]
	// isoMaxDescriptors bounds the walk over the descriptor set.
	isoMaxDescriptors = 32
)

func parseISO9660(d *disk, magic int64) (FS, error) {
	var pvd, joliet []byte
	for i := int64(0); i < isoMaxDescriptors; i++ {
		b, err := d.super((16+i)*isoSector, isoSector)
		if err != nil {
			return FS{}, err
		}
		if string(b[1:6]) != "CD001" {
			return FS{}, corrupt("volume descriptor %d has no CD001", 16+i)
		}
		switch b[0] {
		case isoVDPrimary:
			if pvd == nil {
				pvd = b
			}
		case isoVDSupplementary:
			e := b[isoEscapes : isoEscapes+3]
			if joliet == nil && e[0] == '%' && e[1] == '/' && (e[2] == '@' || e[2] == 'C' || e[2] == 'E') {
				joliet = b
			}
		}
		if b[0] == isoVDEnd {
			break
		}
	}
	if pvd == nil {
		return FS{}, corrupt("no primary volume descriptor")
	}
	fs := FS{Type: "iso9660", Label: text(pvd[isoVolumeID : isoVolumeID+32])}
	if joliet != nil {
		// The Joliet name keeps the case and length the ISO name's
		// character set loses; blkid prefers it when it has more to say.
		if j := ucs2(joliet[isoVolumeID:isoVolumeID+32], be); len(j) > 0 && (len([]rune(j)) >= len([]rune(fs.Label)) || !prefixFold(fs.Label, j)) {
			fs.Label = j
		}
	}
	fs.UUID = isoDate(pvd[isoCreated : isoCreated+17])
	if fs.UUID == "" {
		fs.UUID = isoDate(pvd[isoModified : isoModified+17])
	}
	return fs, nil
}

// prefixFold says whether j is a prefix of s, ignoring case.
func prefixFold(s, j string) bool {
	return len(j) <= len(s) && bytes.EqualFold([]byte(s[:len(j)]), []byte(j))
}

// isoDate is blkid's UUID of an ISO 9660 volume: its date and time
// "YYYYMMDDHHMMSScc" written "YYYY-MM-DD-HH-MM-SS-cc"; "" for a date
// that is unset (all '0' or all NUL, ECMA-119 8.4.26.1) or not digits.
func isoDate(b []byte) string {
	digits := b[:16]
	if bytes.Count(digits, []byte{'0'}) == 16 || bytes.Count(digits, []byte{0}) == 16 {
		return ""
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return fmt.Sprintf("%s-%s-%s-%s-%s-%s-%s", digits[0:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:14], digits[14:16])
}
