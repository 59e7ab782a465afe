package initramfs

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"path/filepath"
	"testing"
)

// BenchmarkCompress compresses the s390x default ramdisk (Debian modules,
// the CA bundle, a fake init) with each method and reports the ratio; the
// standard library's gzip -9 is the baseline the klauspost writer replaces.
//
//	go test ./initramfs -run XXX -bench Compress
func BenchmarkCompress(b *testing.B) {
	opts := testOptions(b)
	opts.ModulesDir = filepath.Join(cacheDir(b, "s390x"), "modules")
	opts.Modules = nil
	opts.CABundle = ""
	opts.Compression = None
	var plain bytes.Buffer
	if _, err := Build(context.Background(), &plain, opts); err != nil {
		b.Fatal(err)
	}
	writers := map[string]func(io.Writer) (io.WriteCloser, error){
		"stdlib-gzip-9": func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.BestCompression) },
		"gzip":          Gzip.NewWriter,
		"zstd":          Zstd.NewWriter,
		"xz":            XZ.NewWriter,
	}
	for name, nw := range writers {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(plain.Len()))
			var n int
			for b.Loop() {
				var out bytes.Buffer
				w, err := nw(&out)
				if err != nil {
					b.Fatal(err)
				}
				w.Write(plain.Bytes())
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				n = out.Len()
			}
			b.ReportMetric(float64(n), "bytes")
			b.ReportMetric(float64(n)/float64(plain.Len()), "ratio")
		})
	}
}
