package blockdev

import "fmt"

// FAT boot sector (BIOS parameter block) fields, Microsoft's FAT
// specification (fatgen103), little-endian.
const (
	fatBytesPerSector = 11 // BPB_BytsPerSec
	fatSecPerClus     = 13 // BPB_SecPerClus
	fatReserved       = 14 // BPB_RsvdSecCnt
	fatNumFATs        = 16 // BPB_NumFATs
	fatRootEntries    = 17 // BPB_RootEntCnt
	fatTotSec16       = 19 // BPB_TotSec16
	fatFATSz16        = 22 // BPB_FATSz16
	fatTotSec32       = 32 // BPB_TotSec32
	fatFATSz32        = 36 // BPB_FATSz32
	fatRootClus       = 44 // BPB_RootClus
	// Extended boot record: BS_BootSig, BS_VolID, BS_VolLab, at 38 on
	// FAT12/16 and at 66 on FAT32.
	fat16ExtBoot = 38
	fat32ExtBoot = 66
	fatBootSig   = 0x29 // BS_BootSig: the serial and label that follow are valid
	fatBootSig28 = 0x28 // an older signature with the serial only

	fatDirEntry    = 32   // bytes per directory entry
	fatAttrVolume  = 0x08 // ATTR_VOLUME_ID
	fatAttrLFN     = 0x0f // ATTR_LONG_NAME
	fatDeleted     = 0xe5 // DIR_Name[0] of a free entry
	fatEOC         = 0x0ffffff8
	fatClusterMask = 0x0fffffff
	// Cluster-count limits between FAT12, FAT16 and FAT32 (fatgen103 "FAT
	// type determination").
	fat12MaxClusters = 4085
	fat16MaxClusters = 65525
	// fatMaxRootDir bounds how much of the root directory is read for
	// the volume label entry.
	fatMaxRootDir = 1 << 20
)

// fatNoName is the boot-sector label mkfs.fat writes when none is given;
// blkid reports no label for it.
const fatNoName = "NO NAME    "

// parseFAT reads a FAT boot sector: the type from the cluster count, the
// serial as "XXXX-XXXX", and the label from the root directory's volume
// label entry, else from the boot sector.
func parseFAT(d *disk, magic int64) (FS, error) {
	b, err := d.super(0, 512)
	if err != nil {
		return FS{}, err
	}
	bps := int64(le.Uint16(b[fatBytesPerSector:]))
	spc := int64(b[fatSecPerClus])
	reserved := int64(le.Uint16(b[fatReserved:]))
	nfats := int64(b[fatNumFATs])
	rootEntries := int64(le.Uint16(b[fatRootEntries:]))
	switch {
	case bps != 512 && bps != 1024 && bps != 2048 && bps != 4096:
		return FS{}, corrupt("BPB_BytsPerSec %d", bps)
	case !isPow2(uint64(spc)):
		return FS{}, corrupt("BPB_SecPerClus %d", spc)
	case reserved == 0:
		return FS{}, corrupt("BPB_RsvdSecCnt 0")
	case nfats == 0:
		return FS{}, corrupt("BPB_NumFATs 0")
	}
	total := int64(le.Uint16(b[fatTotSec16:]))
	if total == 0 {
		total = int64(le.Uint32(b[fatTotSec32:]))
	}
	fatSize := int64(le.Uint16(b[fatFATSz16:]))
	fat32 := fatSize == 0
	if fat32 {
		fatSize = int64(le.Uint32(b[fatFATSz32:]))
	}
	rootSectors := (rootEntries*fatDirEntry + bps - 1) / bps
	firstData := reserved + nfats*fatSize + rootSectors
	if fatSize == 0 || total <= firstData {
		return FS{}, corrupt("FAT size %d sectors, %d sectors in all, data from sector %d", fatSize, total, firstData)
	}
	clusters := (total - firstData) / spc
	fs := FS{Type: "vfat"}
	ext := int64(fat16ExtBoot)
	switch {
	case fat32:
		fs.Version, ext = "FAT32", fat32ExtBoot
	case clusters < fat12MaxClusters:
		fs.Version = "FAT12"
	case clusters < fat16MaxClusters:
		fs.Version = "FAT16"
	default:
		return FS{}, corrupt("%d clusters with a FAT16 BPB", clusters)
	}
	var bootLabel string
	if sig := b[ext]; sig == fatBootSig || sig == fatBootSig28 {
		s := b[ext+1 : ext+5]
		fs.UUID = fmt.Sprintf("%02X%02X-%02X%02X", s[3], s[2], s[1], s[0])
		if sig == fatBootSig && string(b[ext+5:ext+16]) != fatNoName {
			bootLabel = text(b[ext+5 : ext+16])
		}
	}
	// The root directory: after the FATs on FAT12/16, a cluster chain
	// on FAT32.
	var label string
	var found bool
	if fat32 {
		label, found, err = fat32RootLabel(d, bps, spc, reserved, firstData, int64(le.Uint32(b[fatRootClus:])))
	} else {
		n := min(rootEntries*fatDirEntry, fatMaxRootDir)
		var dir []byte
		if dir, err = d.super((reserved+nfats*fatSize)*bps, n); err == nil {
			label, found, _ = fatDirLabel(dir)
		}
	}
	if err != nil {
		return FS{}, fmt.Errorf("root directory: %w", err)
	}
	fs.Label = bootLabel
	if found {
		fs.Label = label
	}
	return fs, nil
}

// fat32RootLabel follows the root directory's cluster chain, at most
// fatMaxRootDir bytes of it (which also ends a chain that loops).
func fat32RootLabel(d *disk, bps, spc, reserved, firstData, cluster int64) (string, bool, error) {
	clusterBytes := bps * spc
	for read := int64(0); read < fatMaxRootDir; read += clusterBytes {
		if cluster < 2 || cluster >= fatEOC {
			return "", false, corrupt("root directory cluster %#x", cluster)
		}
		dir, err := d.super((firstData+(cluster-2)*spc)*bps, clusterBytes)
		if err != nil {
			return "", false, err
		}
		if label, found, end := fatDirLabel(dir); found || end {
			return label, found, nil
		}
		e, err := d.super(reserved*bps+cluster*4, 4)
		if err != nil {
			return "", false, err
		}
		next := int64(le.Uint32(e) & fatClusterMask)
		if next >= fatEOC {
			return "", false, nil
		}
		cluster = next
	}
	return "", false, nil
}

// fatDirLabel looks for the volume label entry in dir; end is true when
// dir holds the end-of-directory mark.
func fatDirLabel(dir []byte) (label string, found, end bool) {
	for i := 0; i+fatDirEntry <= len(dir); i += fatDirEntry {
		e := dir[i : i+fatDirEntry]
		switch {
		case e[0] == 0:
			return "", false, true
		case e[0] == fatDeleted || e[11] == fatAttrLFN || e[11]&fatAttrVolume == 0:
			continue
		}
		name := append([]byte(nil), e[:11]...)
		if name[0] == 0x05 { // a name starting with 0xE5 is stored as 0x05
			name[0] = fatDeleted
		}
		return text(name), true, false
	}
	return "", false, false
}
