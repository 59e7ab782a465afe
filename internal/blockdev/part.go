package blockdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Table is a disk's partition table.
type Table struct {
	// Type is "gpt" or "dos", as blkid's PTTYPE.
	Type string
	// ID is blkid's PTUUID: the GPT disk GUID, or the MBR disk
	// signature as 8 hex digits.
	ID string
	// SectorSize is the logical sector size the table was found with.
	SectorSize int64
	// Partitions in table order; unused GPT entries are left out.
	Partitions []Partition
}

// Partition is one entry of a partition table.
type Partition struct {
	// Number is the kernel's partition number (vda2 is 2): the GPT
	// entry's index + 1; MBR primaries 1-4, logical partitions from 5.
	Number int
	// Start and Size are in bytes.
	Start, Size int64
	// Type is the GPT type GUID (lower-case) or the MBR type as "0x83".
	Type string
	// UUID is blkid's PARTUUID: the GPT entry's unique GUID, or
	// "DISKID-NN" on MBR (disk signature, partition number in hex).
	UUID string
	// Label is the GPT partition name (PARTLABEL); "" on MBR.
	Label string
	// Bootable is the MBR active flag, or GPT's legacy BIOS bootable
	// attribute (bit 2).
	Bootable bool
}

// GPT partition type GUIDs a boot loader looks for.
const (
	// TypeESP is the EFI system partition (UEFI specification 5.3.3).
	TypeESP = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
	// TypeXBOOTLDR is the Extended Boot Loader partition (Boot Loader
	// Specification, uapi-group specifications).
	TypeXBOOTLDR = "bc13c2ff-59e6-4262-a352-b275fd6f7172"
	// TypeLinuxFS is Linux filesystem data (Discoverable Partitions
	// Specification).
	TypeLinuxFS = "0fc63daf-8483-4772-8e79-3d69d8477de4"
)

// Partition table errors, matched with errors.Is.
var (
	// ErrNoTable: neither a GPT nor an MBR partition table.
	ErrNoTable = errors.New("no partition table")
	// ErrBadTable: a table whose header or entries do not hold together.
	ErrBadTable = errors.New("invalid partition table")
)

// GPT header and entry fields (UEFI specification 5.3), little-endian.
const (
	gptSignature              = "EFI PART"
	gptHeaderSize             = 12 // HeaderSize
	gptHeaderCRC              = 16 // HeaderCRC32
	gptMyLBA                  = 24 // MyLBA
	gptAlternateLBA           = 32 // AlternateLBA
	gptDiskGUID               = 56 // DiskGUID
	gptEntriesLBA             = 72 // PartitionEntryLBA
	gptNumEntries             = 80 // NumberOfPartitionEntries
	gptEntrySize              = 84 // SizeOfPartitionEntry
	gptEntriesCRC             = 88 // PartitionEntryArrayCRC32
	gptMinHeaderSize          = 92
	gptEntryType              = 0  // PartitionTypeGUID
	gptEntryUnique            = 16 // UniquePartitionGUID
	gptEntryFirst             = 32 // StartingLBA
	gptEntryLast              = 40 // EndingLBA
	gptEntryAttrs             = 48 // Attributes
	gptEntryName              = 56 // PartitionName, 36 UTF-16LE code units
	gptNameBytes              = 72
	gptAttrLegacyBIOSBootable = 1 << 2
	// gptMaxEntriesBytes bounds the entry array a header may claim
	// (the specification's minimum is 16 KiB; tools write 16 KiB).
	gptMaxEntriesBytes = 1 << 20
)

// MBR fields (the DOS partition table), little-endian.
const (
	mbrDiskSig     = 440 // disk signature
	mbrEntries     = 446 // four 16-byte entries
	mbrEntrySize   = 16
	mbrBootMagic   = 510 // 0x55 0xAA
	mbrEntryStatus = 0   // 0x80 active, 0x00 inactive
	mbrEntryType   = 4
	mbrEntryStart  = 8  // LBA of the first sector
	mbrEntrySects  = 12 // sectors
	mbrTypeEmpty   = 0x00
	mbrTypeGPT     = 0xee // protective MBR of a GPT disk
	// mbrMaxLogical bounds the chain of extended boot records.
	mbrMaxLogical = 256
)

// isExtended says whether an MBR type is an extended partition holding
// logical ones: DOS (0x05), LBA (0x0f), Linux (0x85).
func isExtended(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }

// ReadTable reads the partition table of the disk r of size bytes: a
// GPT (primary header at LBA 1, else the backup in the last sector; 512
// and 4096-byte sectors are tried) or an MBR. It returns ErrNoTable when
// there is neither, ErrBadTable (wrapped, naming the field) for a table
// that does not hold together.
func ReadTable(r io.ReaderAt, size int64) (*Table, error) {
	d := &disk{r: r, size: size}
	mbr, err := d.read(0, 512)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, ErrNoTable
	}
	if err != nil {
		return nil, err
	}
	for _, ss := range []int64{512, 4096} {
		t, err := readGPT(d, ss)
		if !errors.Is(err, ErrNoTable) {
			return t, err // a GPT, or one that is damaged
		}
	}
	if mbr[mbrBootMagic] != 0x55 || mbr[mbrBootMagic+1] != 0xaa {
		return nil, ErrNoTable
	}
	return readMBR(d, mbr)
}

func readGPT(d *disk, ss int64) (*Table, error) {
	h, err := d.read(ss, ss)
	if err != nil || string(h[:8]) != gptSignature {
		return nil, ErrNoTable
	}
	t, primaryErr := parseGPT(d, h, ss, 1)
	if primaryErr == nil {
		return t, nil
	}
	// The backup header in the last sector (the primary's AlternateLBA
	// may itself be damaged).
	last := d.size/ss - 1
	if b, err := d.read(last*ss, ss); err == nil && string(b[:8]) == gptSignature {
		if t, err := parseGPT(d, b, ss, last); err == nil {
			return t, nil
		}
	}
	return nil, fmt.Errorf("GPT with %d-byte sectors: %w", ss, primaryErr)
}

func parseGPT(d *disk, h []byte, ss, lba int64) (*Table, error) {
	hs := le.Uint32(h[gptHeaderSize:])
	if hs < gptMinHeaderSize || int64(hs) > ss {
		return nil, fmt.Errorf("%w: header size %d", ErrBadTable, hs)
	}
	hdr := append([]byte(nil), h[:hs]...)
	want := le.Uint32(hdr[gptHeaderCRC:])
	binary.LittleEndian.PutUint32(hdr[gptHeaderCRC:], 0)
	if got := crc32.ChecksumIEEE(hdr); got != want {
		return nil, fmt.Errorf("%w: header CRC32 %#08x, computed %#08x", ErrBadTable, want, got)
	}
	if my := le.Uint64(h[gptMyLBA:]); my != uint64(lba) {
		return nil, fmt.Errorf("%w: header at LBA %d says MyLBA %d", ErrBadTable, lba, my)
	}
	n, es := int64(le.Uint32(h[gptNumEntries:])), int64(le.Uint32(h[gptEntrySize:]))
	if es < 128 || es%8 != 0 || n*es > gptMaxEntriesBytes {
		return nil, fmt.Errorf("%w: %d entries of %d bytes", ErrBadTable, n, es)
	}
	at := le.Uint64(h[gptEntriesLBA:])
	if at > uint64(d.size/ss) {
		return nil, fmt.Errorf("%w: entries at LBA %d beyond the disk", ErrBadTable, at)
	}
	entries, err := d.read(int64(at)*ss, n*es)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: entries at LBA %d: %w", ErrBadTable, at, err)
	}
	if err != nil {
		return nil, err
	}
	if got, want := crc32.ChecksumIEEE(entries), le.Uint32(h[gptEntriesCRC:]); got != want {
		return nil, fmt.Errorf("%w: entries CRC32 %#08x, computed %#08x", ErrBadTable, want, got)
	}
	t := &Table{Type: "gpt", ID: guidText(h[gptDiskGUID:]), SectorSize: ss}
	sectors := uint64(d.size / ss)
	for i := int64(0); i < n; i++ {
		e := entries[i*es : (i+1)*es]
		typ := guidText(e[gptEntryType:])
		if typ == "" {
			continue // unused entry
		}
		first, last := le.Uint64(e[gptEntryFirst:]), le.Uint64(e[gptEntryLast:])
		if last < first || last >= sectors {
			return nil, fmt.Errorf("%w: entry %d: LBA %d-%d on a disk of %d sectors", ErrBadTable, i+1, first, last, sectors)
		}
		t.Partitions = append(t.Partitions, Partition{
			Number:   int(i + 1),
			Start:    int64(first) * ss,
			Size:     int64(last-first+1) * ss,
			Type:     typ,
			UUID:     guidText(e[gptEntryUnique:]),
			Label:    ucs2(e[gptEntryName:gptEntryName+gptNameBytes], le),
			Bootable: le.Uint64(e[gptEntryAttrs:])&gptAttrLegacyBIOSBootable != 0,
		})
	}
	return t, nil
}

// guidText is a GUID as stored on disk in lower-case text; "" for the
// all-zero GUID.
func guidText(b []byte) string {
	var u [16]byte
	copy(u[:], b[:16])
	u = guidSwap(u)
	return uuidText(u[:])
}

// guidSwap turns a GUID as stored on disk (the first three fields
// little-endian, UEFI specification appendix A) into the order its text
// writes it, and back.
func guidSwap(u [16]byte) [16]byte {
	u[0], u[1], u[2], u[3] = u[3], u[2], u[1], u[0]
	u[4], u[5] = u[5], u[4]
	u[6], u[7] = u[7], u[6]
	return u
}

func readMBR(d *disk, mbr []byte) (*Table, error) {
	sig := le.Uint32(mbr[mbrDiskSig:])
	t := &Table{Type: "dos", ID: fmt.Sprintf("%08x", sig), SectorSize: 512}
	sectors := d.size / 512
	add := func(num int, e []byte, base int64) error {
		start, n := base+int64(le.Uint32(e[mbrEntryStart:])), int64(le.Uint32(e[mbrEntrySects:]))
		if start+n > sectors {
			return fmt.Errorf("%w: MBR partition %d: sectors %d+%d on a disk of %d", ErrBadTable, num, start, n, sectors)
		}
		t.Partitions = append(t.Partitions, Partition{
			Number:   num,
			Start:    start * 512,
			Size:     n * 512,
			Type:     fmt.Sprintf("0x%x", e[mbrEntryType]),
			UUID:     fmt.Sprintf("%08x-%02x", sig, num),
			Bootable: e[mbrEntryStatus] == 0x80,
		})
		return nil
	}
	var ext []byte
	for i := range 4 {
		e := mbr[mbrEntries+i*mbrEntrySize : mbrEntries+(i+1)*mbrEntrySize]
		if s := e[mbrEntryStatus]; s != 0 && s != 0x80 {
			// A boot sector of a filesystem (a FAT volume without a
			// partition table), not an MBR.
			return nil, ErrNoTable
		}
		if e[mbrEntryType] == mbrTypeEmpty || le.Uint32(e[mbrEntrySects:]) == 0 {
			continue
		}
		if e[mbrEntryType] == mbrTypeGPT {
			return nil, fmt.Errorf("%w: protective MBR without a valid GPT", ErrBadTable)
		}
		if err := add(i+1, e, 0); err != nil {
			return nil, err
		}
		if isExtended(e[mbrEntryType]) && ext == nil {
			ext = e
		}
	}
	if len(t.Partitions) == 0 {
		return nil, ErrNoTable
	}
	if ext != nil {
		if err := readLogical(d, t, ext, add); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// readLogical follows the chain of extended boot records: each holds a
// logical partition (relative to itself) and a link to the next
// (relative to the extended partition's start).
func readLogical(d *disk, t *Table, ext []byte, add func(int, []byte, int64) error) error {
	extStart := int64(le.Uint32(ext[mbrEntryStart:]))
	next := extStart
	num := 5
	for range mbrMaxLogical {
		ebr, err := d.read(next*512, 512)
		if err != nil {
			return fmt.Errorf("%w: extended boot record at sector %d: %w", ErrBadTable, next, err)
		}
		if ebr[mbrBootMagic] != 0x55 || ebr[mbrBootMagic+1] != 0xaa {
			return nil // blkid and the kernel stop at a missing signature too
		}
		e := ebr[mbrEntries : mbrEntries+mbrEntrySize]
		if e[mbrEntryType] != mbrTypeEmpty && le.Uint32(e[mbrEntrySects:]) != 0 {
			if err := add(num, e, next); err != nil {
				return err
			}
			num++
		}
		link := ebr[mbrEntries+mbrEntrySize : mbrEntries+2*mbrEntrySize]
		if !isExtended(link[mbrEntryType]) || le.Uint32(link[mbrEntryStart:]) == 0 {
			return nil
		}
		n := extStart + int64(le.Uint32(link[mbrEntryStart:]))
		if n <= next {
			return fmt.Errorf("%w: extended boot record at sector %d links back to %d", ErrBadTable, next, n)
		}
		next = n
	}
	return fmt.Errorf("%w: more than %d logical partitions", ErrBadTable, mbrMaxLogical)
}

// Find returns the partition numbered n.
func (t *Table) Find(n int) (Partition, bool) {
	for _, p := range t.Partitions {
		if p.Number == n {
			return p, true
		}
	}
	return Partition{}, false
}

// Section returns the part of r that is partition p, for Probe.
func (p Partition) Section(r io.ReaderAt) *io.SectionReader {
	return io.NewSectionReader(r, p.Start, p.Size)
}
