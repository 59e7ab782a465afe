package s390image

import (
	"bytes"
	"errors"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// fuzzPrefix is an image up to the parameter area: FuzzInspect appends its
// input to it when parmOnly is set, so that the fuzzer spends its time on
// the parameter area, the command line and what follows.
var fuzzPrefix = synth{}.bytes()[:ParmAreaOffset]

// FuzzInspect feeds arbitrary images to Inspect and checks that what it
// reports is consistent with the file, and that Extract agrees with it.
// Seeds: testdata/fuzz/FuzzInspect.
func FuzzInspect(f *testing.F) {
	f.Add(debianLike.bytes()[ParmAreaOffset:], true)
	f.Add([]byte("\x7fELF"), false)
	f.Fuzz(func(t *testing.T, data []byte, parmOnly bool) {
		img := data
		if parmOnly {
			img = append(append([]byte(nil), fuzzPrefix...), data...)
		}
		size := int64(len(img))
		info, err := Inspect(bytes.NewReader(img), size)
		if err != nil {
			if !errors.Is(err, ErrNotS390Image) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrEmpty) {
				t.Fatalf("Inspect: unexpected error class: %v", err)
			}
			return
		}
		if info.CmdlineMax < LegacyCmdlineSize || info.CmdlineMax > MaxCmdlineSizeLimit || len(info.Cmdline) >= info.CmdlineMax {
			t.Fatalf("command line %d bytes, max %d", len(info.Cmdline), info.CmdlineMax)
		}
		if info.KernelSize > size || len(info.KernelVersion) > maxVersionLen {
			t.Fatalf("kernel size %d of %d, version %d bytes", info.KernelSize, size, len(info.KernelVersion))
		}
		var k, rd bytes.Buffer
		l, err := Extract(bytes.NewReader(img), size, &k, &rd)
		if !info.RamdiskInFile {
			if err == nil {
				t.Fatal("Extract succeeded on an image Inspect says holds no ramdisk")
			}
			return
		}
		if info.RamdiskOffset+info.RamdiskSize > uint64(size) {
			t.Fatalf("ramdisk %d at %d in a %d-byte file", info.RamdiskSize, info.RamdiskOffset, size)
		}
		if err != nil {
			t.Fatalf("Extract: %v", err)
		}
		if int64(k.Len()) != info.KernelSize || l.RamdiskSize != int64(rd.Len()) ||
			!bytes.Equal(rd.Bytes(), img[info.RamdiskOffset:info.RamdiskOffset+info.RamdiskSize]) {
			t.Fatalf("Extract wrote %d+%d bytes, Inspect said %+v", k.Len(), rd.Len(), info)
		}
	})
}

// FuzzBuildExtract checks the round trip: Extract(Build(kernel, ramdisk))
// gives the ramdisk back, and Build(Extract(image)) the image.
func FuzzBuildExtract(f *testing.F) {
	f.Add([]byte{}, []byte("ramdisk"), "console=ttysclp0")
	f.Add(make([]byte, 4095), []byte{0}, "")
	f.Add([]byte{1, 2, 3}, []byte("x"), "bad\x80")
	f.Fuzz(func(t *testing.T, tail, ramdisk []byte, cmdline string) {
		k := append(debianLike.bytes(), tail...)
		opts := Options{Cmdline: cmdline, SetCmdline: cmdline != ""}
		img, l, err := build(t, k, ramdisk, opts)
		if testenv.Refused(t, err, ErrBadCmdline, ErrEmpty) {
			return
		}
		if l.Size != int64(len(img)) || l.RamdiskOffset%RamdiskAlign != 0 {
			t.Fatalf("layout %+v for %d bytes", l, len(img))
		}
		var gotK, gotR bytes.Buffer
		if _, err := Extract(bytes.NewReader(img), int64(len(img)), &gotK, &gotR); err != nil {
			t.Fatalf("Extract: %v", err)
		}
		if !bytes.Equal(gotR.Bytes(), ramdisk) {
			t.Fatal("ramdisk differs after the round trip")
		}
		again, _, err := build(t, gotK.Bytes(), gotR.Bytes(), Options{})
		if err != nil || !bytes.Equal(again, img) {
			t.Fatalf("Build(Extract(image)) differs: %v", err)
		}
	})
}
