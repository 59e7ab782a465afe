package initramfs

import (
	"fmt"
	"io"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Compression is how the archive is compressed. The kernel must have the
// matching CONFIG_RD_* option (Debian's kernels have all three);
// CheckFirstStage checks it when the kernel's configuration is found.
type Compression string

// Compressions mkpxeramfs offers.
const (
	Gzip Compression = "gzip" // the default: every kernel can unpack it (CONFIG_RD_GZIP)
	Zstd Compression = "zstd" // CONFIG_RD_ZSTD, Linux 5.9+
	XZ   Compression = "xz"   // CONFIG_RD_XZ; smallest, slowest to unpack
	None Compression = "none"
)

// Compression parameters.
const (
	// gzipLevel: klauspost/compress's gzip at BestCompression. On the
	// s390x default ramdisk (1.1 MB of cpio without the init) it is 0.4 %
	// larger than compress/gzip at -9 (406354 vs 404772 bytes) and 1.8
	// times faster (5.6 vs 3.1 MB/s on the 2-core build machine);
	// BenchmarkCompress measures both.
	gzipLevel = kgzip.BestCompression

	// zstdWindow: the kernel's zstd decoder allocates the whole window
	// (lib/decompress_unzstd.c); 8 MiB is zstd's own default for small
	// inputs and keeps early-boot memory use modest.
	zstdWindow = 8 << 20
)

// ParseCompression parses a --compress value.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(s); c {
	case Gzip, Zstd, XZ, None:
		return c, nil
	}
	return "", fmt.Errorf("compression %q: want gzip, zstd, xz or none", s)
}

// orDefault is c, or Gzip for "".
func (c Compression) orDefault() Compression {
	if c == "" {
		return Gzip
	}
	return c
}

// NewWriter returns a writer compressing into w. Close flushes it; it does
// not close w.
func (c Compression) NewWriter(w io.Writer) (io.WriteCloser, error) {
	switch c {
	case Gzip, "":
		zw, err := kgzip.NewWriterLevel(w, gzipLevel)
		if err != nil {
			return nil, err
		}
		// No name and MTIME 0 ("no time stamp", RFC 1952 2.3.1): the
		// header must not vary between builds. Unlike compress/gzip,
		// klauspost's writer stores a zero ModTime as the 32-bit
		// truncation of year 1's Unix time, so set it explicitly.
		zw.ModTime = time.Unix(0, 0)
		return zw, nil
	case Zstd:
		return zstd.NewWriter(w,
			zstd.WithEncoderLevel(zstd.SpeedBestCompression),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderConcurrency(1), // same bytes on every machine
			zstd.WithEncoderCRC(true),
		)
	case XZ:
		// The kernel's XZ decoder supports the CRC32 check, not SHA-256
		// (lib/xz/xz_dec_stream.c); the kernel's own build uses
		// --check=crc32 (scripts/xz_wrap.sh).
		cfg := xz.WriterConfig{CheckSum: xz.CRC32}
		return cfg.NewWriter(w)
	case None:
		return nopCloser{w}, nil
	}
	return nil, fmt.Errorf("compression %q: want gzip, zstd, xz or none", string(c))
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
