package blockdev

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkScanProbe64 is the init's discovery work for 64 devices
// without the disks' latency: Scan of a fake sysfs with 8 virtio disks
// of 8 partitions each, and Probe of each (an ext4 superblock held in
// memory).
func BenchmarkScanProbe64(b *testing.B) {
	root := b.TempDir()
	for i := range 8 {
		fakeDisk(b, root, "vd"+string(rune('a'+i)), 254, 16*i, 8)
	}
	img := synthExt4().bytes()
	b.ResetTimer()
	for b.Loop() {
		devs, _, err := Scan(root)
		if err != nil || len(devs) != 64 {
			b.Fatalf("Scan: %d devices, %v", len(devs), err)
		}
		for range devs {
			if _, err := Probe(bytes.NewReader(img), int64(len(img))); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkScan64 is Scan alone, for comparison.
func BenchmarkScan64(b *testing.B) {
	root := b.TempDir()
	for i := range 8 {
		fakeDisk(b, root, "vd"+string(rune('a'+i)), 254, 16*i, 8)
	}
	for b.Loop() {
		if devs, _, err := Scan(root); err != nil || len(devs) != 64 {
			b.Fatalf("Scan: %d devices, %v", len(devs), err)
		}
	}
}

// BenchmarkProbe probes images made by each filesystem's mkfs, read
// from the file (in the page cache): the cost of the reads Probe makes
// before it finds the filesystem, which grows with the filesystem's
// place in the signature table.
func BenchmarkProbe(b *testing.B) {
	for _, im := range testImages() {
		if im.tool == "cryptsetup" || im.post != nil || im.prep != nil && im.tool == "xorriso" {
			// LUKS headers take cryptsetup seconds to make; mlabel's
			// and xorriso's images are covered by their siblings.
			continue
		}
		b.Run(im.name, func(b *testing.B) {
			img := makeImage(b, im)
			f, err := os.Open(img)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			for b.Loop() {
				if _, err := Probe(f, st.Size()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
