// Package compression names the compressed-data formats a boot file may
// be wrapped in, by their magic numbers: the one table the kernel
// identifier (pxeclient/kexec), the image builder (s390image) and the
// ramdisk check (initramfs) all read.
//
//	if f, ok := compression.Detect(head); ok {
//		fmt.Printf("%s-compressed data", f.Name)
//	}
//
// # Security
//
// Detect compares bytes at offset 0 only; it reads nothing beyond len(b)
// and does not panic on any input.
package compression

import "bytes"

// Format is a compressed-data format.
type Format struct {
	// Name is how messages name the format: "gzip", "lz4 (legacy)".
	Name string
	// Magic is the format's signature at offset 0.
	Magic string
	// Initramfs reports whether the kernel's initramfs unpacker takes it
	// (lib/decompress.c, compressed_formats[], given the matching
	// CONFIG_RD_* option). The kernel tells formats by their first two
	// bytes; of the two lz4 framings it reads only the legacy one that
	// `lz4 -l` writes.
	Initramfs bool
	// Config is the kernel option that builds the initramfs unpacker for
	// the format ("CONFIG_RD_GZIP", usr/Kconfig), "" when there is none.
	Config string
}

// The formats, with their sources.
var (
	// RFC 1952 2.3.1: ID1 ID2.
	Gzip = Format{"gzip", "\x1f\x8b", true, "CONFIG_RD_GZIP"}
	// The .xz file format 2.1.1.1: header magic bytes.
	XZ = Format{"xz", "\xfd7zXZ\x00", true, "CONFIG_RD_XZ"}
	// RFC 8878 3.1.1: Magic_Number 0xFD2FB528, little-endian.
	Zstd = Format{"zstd", "\x28\xb5\x2f\xfd", true, "CONFIG_RD_ZSTD"}
	// bzip2: "BZh" and the block size digit.
	Bzip2 = Format{"bzip2", "BZh", true, "CONFIG_RD_BZIP2"}
	// lz4 frame format (lz4_Frame_format.md): magic 0x184D2204, little-endian.
	LZ4 = Format{"lz4", "\x04\x22\x4d\x18", false, ""}
	// lz4 legacy frame (lz4_Frame_format.md, "Legacy frame"): 0x184C2102.
	LZ4Legacy = Format{"lz4 (legacy)", "\x02\x21\x4c\x18", true, "CONFIG_RD_LZ4"}
	// lzop's file header (lzop's src/lzop.c, lzop_magic).
	LZO = Format{"lzop", "\x89LZO\x00\r\n\x1a\n", true, "CONFIG_RD_LZO"}
	// The .lzma ("LZMA alone") header as xz and the kernel's build write
	// it: properties byte 0x5d (lc=3, lp=0, pb=2), then a little-endian
	// dictionary size whose low bytes are 0 for the sizes they use.
	LZMA = Format{"lzma", "\x5d\x00\x00", true, "CONFIG_RD_LZMA"}
)

// Formats lists every format, in the order Detect tries them.
var Formats = []Format{Gzip, XZ, Zstd, Bzip2, LZ4, LZ4Legacy, LZO, LZMA}

// Detect returns the format whose magic b starts with.
func Detect(b []byte) (Format, bool) {
	for _, f := range Formats {
		if bytes.HasPrefix(b, []byte(f.Magic)) {
			return f, true
		}
	}
	return Format{}, false
}

// MaxMagic is the length of the longest magic: the bytes Detect needs.
const MaxMagic = 9
