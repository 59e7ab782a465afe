package blockdev

import (
	"bytes"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// fuzzImages are the seeds of FuzzProbe and FuzzReadTable (checked in
// under testdata/fuzz by TestFuzzSeeds -update).
func fuzzImages() map[string]synthImage {
	return map[string]synthImage{
		"ext4": synthExt4(), "fat16": synthFAT16(), "lvm2": synthLVM2(), "md1.2": synthMD1(), "gpt": synthGPT(),
	}
}

func TestFuzzSeeds(t *testing.T) {
	testenv.FuzzSeeds(t, "FuzzProbe", seeds(fuzzImages()))
	testenv.FuzzSeeds(t, "FuzzReadTable", seeds(map[string]synthImage{"gpt": synthGPT(), "fat16": synthFAT16()}))
	testenv.FuzzSeeds(t, "FuzzParseUevent", map[string][]byte{
		"add":     []byte("add@/devices/virtual/block/loop0/loop0p1\x00ACTION=add\x00DEVPATH=/devices/virtual/block/loop0/loop0p1\x00SUBSYSTEM=block\x00DEVNAME=loop0p1\x00DEVTYPE=partition\x00PARTN=1\x00SEQNUM=4711\x00MAJOR=259\x00MINOR=0\x00"),
		"libudev": []byte("libudev\x00\xfe\xed\xca\xfe(\x00\x00\x00"),
	})
}

// FuzzProbe reads the input as a sparse image (synthImage.encode) and as
// raw bytes: Probe must return a result or an error, never panic, and
// read nothing beyond the image.
func FuzzProbe(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, img := range [][]byte{sparseImage(b), b} {
			fs, err := Probe(bytes.NewReader(img), int64(len(img)))
			if err == nil && fs.Type == "" {
				t.Fatalf("Probe gave no type and no error")
			}
			if err == nil {
				fs.Mountable()
			}
		}
	})
}

// FuzzReadTable: as FuzzProbe, for partition tables; every partition
// it returns lies inside the image.
func FuzzReadTable(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, img := range [][]byte{sparseImage(b), b} {
			tab, err := ReadTable(bytes.NewReader(img), int64(len(img)))
			if err != nil {
				continue
			}
			for _, p := range tab.Partitions {
				if p.Start < 0 || p.Size < 0 || p.Start+p.Size > int64(len(img)) {
					t.Fatalf("partition %+v outside the %d-byte image", p, len(img))
				}
			}
		}
	})
}

// FuzzParseUevent: any datagram parses or is refused, never panics.
func FuzzParseUevent(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, ok := parseUevent(b); ok && (e.action == "" || e.subsystem == "") {
			t.Fatalf("parseUevent accepted %q without action or subsystem", b)
		}
	})
}
