package blockdev

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/s390netboot/s390netboot/internal/uuid"
)

// Superblocks the tests build byte by byte, for the signatures no tool
// here makes (mdadm and lvm2 need block devices and root) and for the
// fuzz seeds (which must not change from run to run).

// patch is bytes to put at an offset of an otherwise zero image.
type patch struct {
	off  int64
	data []byte
}

// synthImage is a sparse image: its size and the non-zero parts.
type synthImage struct {
	size    int64
	patches []patch
}

func (s synthImage) bytes() []byte {
	b := make([]byte, s.size)
	for _, p := range s.patches {
		copy(b[p.off:], p.data)
	}
	return b
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

var synthUUID = []byte{0x5b, 0xcd, 0x7b, 0x56, 0x0c, 0x70, 0x4c, 0x5d, 0x9f, 0x0b, 0x2f, 0xc5, 0xfa, 0x9b, 0x0d, 0x4e}

// synthLVM2 is an LVM2 physical volume label in sector 1, as pvcreate
// writes it.
func synthLVM2() synthImage {
	l := make([]byte, 512)
	copy(l, "LABELONE")
	copy(l[lvmSector:], le64(1))
	copy(l[lvmOffset:], le32(32))
	copy(l[lvmType:], lvmTypeLVM2)
	copy(l[32:], "Wq3VQJ9fa7Ck2vTtMUzTnfRc8XTpcJxN") // pv_header.pv_uuid
	copy(l[64:], le64(64<<20))                       // device_size_xl
	copy(l[lvmCRC:], le32(lvmChecksum(l[lvmOffset:])))
	// blkid skips RAID and LVM signatures on devices under 1 MiB.
	return synthImage{size: 32 << 20, patches: []patch{{512, l}}}
}

// synthMD1 is an MD RAID superblock of metadata 1.2 (at 4 KiB), as
// mdadm --create --metadata=1.2 --level=1 --raid-devices=2 writes it,
// with its checksum (calc_sb_1_csum, drivers/md/md.c).
func synthMD1() synthImage {
	const maxDev = 2
	sb := make([]byte, 256+2*maxDev)
	copy(sb, "\xfc\x4e\x2b\xa9")
	copy(sb[md1Major:], le32(1))
	copy(sb[md1SetUUID:], synthUUID)
	copy(sb[md1SetName:], "debian:0")
	copy(sb[72:], le32(1))             // level
	copy(sb[92:], le32(2))             // raid_disks
	copy(sb[128:], le64(2048))         // data_offset
	copy(sb[136:], le64(2048*30))      // data_size
	copy(sb[md1SuperOffset:], le64(8)) // super_offset: sector 8 = 4 KiB
	copy(sb[220:], le32(maxDev))       // max_dev
	var sum uint64
	for i := 0; i+4 <= len(sb); i += 4 {
		sum += uint64(binary.LittleEndian.Uint32(sb[i:]))
	}
	copy(sb[216:], le32(uint32(sum&0xffffffff)+uint32(sum>>32))) // sb_csum
	return synthImage{size: 32 << 20, patches: []patch{{4096, sb}}}
}

// synthExt4 is the fields of an ext4 superblock Probe reads.
func synthExt4() synthImage {
	sb := make([]byte, 1024)
	copy(sb[0x38:], "\x53\xef")
	copy(sb[extLogBlockSize:], le32(2))
	copy(sb[extCompat:], le32(extCompatHasJournal))
	copy(sb[extIncompat:], le32(extIncompatFiletype|0x40|0x80)) // extents, 64bit
	copy(sb[extUUID:], synthUUID)
	copy(sb[extLabel:], "root")
	return synthImage{size: 4096, patches: []patch{{extSuper, sb}}}
}

// synthFAT16 is a FAT16 boot sector with its root directory's label.
func synthFAT16() synthImage {
	bs := make([]byte, 512)
	copy(bs, "\xeb\x3c\x90mkfs.fat")
	binary.LittleEndian.PutUint16(bs[fatBytesPerSector:], 512)
	bs[fatSecPerClus] = 4
	binary.LittleEndian.PutUint16(bs[fatReserved:], 4)
	bs[fatNumFATs] = 2
	binary.LittleEndian.PutUint16(bs[fatRootEntries:], 512)
	binary.LittleEndian.PutUint16(bs[fatTotSec16:], 65535)
	bs[21] = 0xf8
	binary.LittleEndian.PutUint16(bs[fatFATSz16:], 64)
	bs[fat16ExtBoot] = fatBootSig
	copy(bs[fat16ExtBoot+1:], le32(0x1234abcd))
	copy(bs[fat16ExtBoot+5:], "NO NAME    FAT16   ")
	bs[510], bs[511] = 0x55, 0xaa
	root := make([]byte, 64)
	copy(root, "ESP        ")
	root[11] = fatAttrVolume
	return synthImage{size: 1 << 20, patches: []patch{{0, bs}, {(4 + 2*64) * 512, root}}}
}

// synthGPT is a GPT with an ESP, as the seed of FuzzReadTable.
func synthGPT() synthImage {
	const sectors = 2048
	e := make([]byte, 128*128)
	copy(e, guidBytes(TypeESP))
	copy(e[16:], synthUUID)
	copy(e[gptEntryFirst:], le64(34))
	copy(e[gptEntryLast:], le64(1000))
	for i, r := range "EFI" {
		binary.LittleEndian.PutUint16(e[gptEntryName+2*i:], uint16(r))
	}
	h := make([]byte, 92)
	copy(h, gptSignature)
	copy(h[8:], le32(0x00010000))
	copy(h[gptHeaderSize:], le32(92))
	copy(h[gptMyLBA:], le64(1))
	copy(h[gptAlternateLBA:], le64(sectors-1))
	copy(h[40:], le64(34))         // FirstUsableLBA
	copy(h[48:], le64(sectors-34)) // LastUsableLBA
	copy(h[gptDiskGUID:], synthUUID)
	copy(h[gptEntriesLBA:], le64(2))
	copy(h[gptNumEntries:], le32(128))
	copy(h[gptEntrySize:], le32(128))
	copy(h[gptEntriesCRC:], le32(crc32.ChecksumIEEE(e)))
	copy(h[gptHeaderCRC:], le32(crc32.ChecksumIEEE(h)))
	mbr := make([]byte, 512)
	copy(mbr[mbrEntries:], []byte{0, 0, 2, 0, mbrTypeGPT, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0xff, 0xff, 0, 0})
	mbr[510], mbr[511] = 0x55, 0xaa
	return synthImage{size: sectors * 512, patches: []patch{{0, mbr}, {512, h}, {1024, e[:128]}}}
}

// guidBytes is a GUID's text in its on-disk (mixed-endian) bytes.
func guidBytes(s string) []byte {
	u, err := uuid.Parse(s)
	if err != nil {
		panic(err) // a GUID constant of the package
	}
	b := guidSwap(u)
	return b[:]
}

// TestSynthSignatures probes the built superblocks and compares them
// with blkid -p, which must read them alike.
func TestSynthSignatures(t *testing.T) {
	for _, c := range []struct {
		name string
		img  synthImage
		want FS
	}{
		{"lvm2", synthLVM2(), FS{Type: "LVM2_member", Version: "LVM2 001", UUID: "Wq3VQJ-9fa7-Ck2v-TtMU-zTnf-Rc8X-TpcJxN"}},
		{"md1.2", synthMD1(), FS{Type: "linux_raid_member", Version: "1.2", UUID: testUUID, Label: "debian:0"}},
		{"ext4", synthExt4(), FS{Type: "ext4", UUID: testUUID, Label: "root"}},
		{"fat16", synthFAT16(), FS{Type: "vfat", Version: "FAT16", UUID: "1234-ABCD", Label: "ESP"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), c.name+".img")
			if err := os.WriteFile(img, c.img.bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := probeFile(t, img)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Probe = %+v, want %+v", got, c.want)
			}
			blk := blkid(t, img)
			if got.Version == "" {
				blk.Version = ""
			}
			if got != blk {
				t.Errorf("Probe = %+v, blkid -p = %+v", got, blk)
			}
		})
	}
}

// seeds are the fuzz seeds: the built images in the sparse form the
// fuzz targets read (see sparseImage).
func seeds(imgs map[string]synthImage) map[string][]byte {
	out := map[string][]byte{}
	for name, s := range imgs {
		out[name] = s.encode()
	}
	return out
}

// encode writes s as fuzz input: size (u32), then per patch its offset
// (u32), length (u16) and bytes.
func (s synthImage) encode() []byte {
	b := le32(uint32(s.size))
	ps := append([]patch(nil), s.patches...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].off < ps[j].off })
	for _, p := range ps {
		b = append(b, le32(uint32(p.off))...)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(p.data)))
		b = append(b, p.data...)
	}
	return b
}

// maxFuzzImage bounds the images fuzz inputs describe.
const maxFuzzImage = 1 << 20

// sparseImage decodes encode's form; what does not decode ends the
// patches.
func sparseImage(b []byte) []byte {
	if len(b) < 4 {
		return nil
	}
	size := int64(binary.LittleEndian.Uint32(b)) % maxFuzzImage
	img := make([]byte, size)
	for b = b[4:]; len(b) >= 6; {
		off := int64(binary.LittleEndian.Uint32(b))
		n := int(binary.LittleEndian.Uint16(b[4:]))
		b = b[6:]
		n = min(n, len(b))
		if off < size {
			copy(img[off:], b[:n])
		}
		b = b[n:]
	}
	return img
}

// TestSynthGPT: the built GPT (the FuzzReadTable seed) reads back, and
// partx agrees.
func TestSynthGPT(t *testing.T) {
	img := filepath.Join(t.TempDir(), "gpt.img")
	if err := os.WriteFile(img, synthGPT().bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := readTableFile(t, img)
	if err != nil {
		t.Fatal(err)
	}
	want := Partition{Number: 1, Start: 34 * 512, Size: 967 * 512, Type: TypeESP, UUID: "567bcd5b-700c-5d4c-9f0b-2fc5fa9b0d4e", Label: "EFI"}
	if len(tab.Partitions) != 1 || tab.Partitions[0] != want {
		t.Fatalf("partitions %+v, want %+v", tab.Partitions, want)
	}
	if px := partx(t, img); len(px) != 1 || px[0] != want {
		t.Errorf("partx %+v", px)
	}
}
