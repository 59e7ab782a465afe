package s390image

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var errBadRamdisk = errors.New("bad ramdisk")

// TestCheckRamdisk checks that Options.CheckRamdisk sees the ramdisk as it
// is copied, that its error fails Build, WriteLoadFiles and BuildFile
// without leaving an output behind, and that a check that stops reading
// early changes nothing.
func TestCheckRamdisk(t *testing.T) {
	k, rd := debianLike.bytes(), pattern(300000, 7)
	readAll := func(got *[]byte) func(io.Reader) error {
		return func(r io.Reader) error {
			b, err := io.ReadAll(r)
			*got = b
			return err
		}
	}
	headOnly := func(r io.Reader) error {
		_, err := io.ReadFull(r, make([]byte, 10))
		return err
	}
	refuse := func(r io.Reader) error {
		io.ReadFull(r, make([]byte, 10))
		return errBadRamdisk
	}

	var seen []byte
	for _, tc := range []struct {
		name  string
		check func(io.Reader) error
		want  error
	}{
		{"sees every byte", readAll(&seen), nil},
		{"reads the head only", headOnly, nil},
		{"refuses", refuse, errBadRamdisk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{CheckRamdisk: tc.check, ramdiskName: "ramdisk r.bin"}
			got, _, err := build(t, k, rd, opts)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Build: %v, want %v", err, tc.want)
			}
			if err != nil {
				if want := "ramdisk r.bin: bad ramdisk"; err.Error() != want {
					t.Errorf("Build: %q, want %q", err, want)
				}
			} else if !bytes.Equal(got, catAndPatch(k, rd)) {
				t.Error("the check changed the output")
			}

			// Unknown size, into a file.
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = Build(f, bytes.NewReader(k), int64(len(k)), io.MultiReader(bytes.NewReader(rd)), UnknownSize, opts)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Build, unknown size: %v, want %v", err, tc.want)
			}

			var lf loadBuffers
			_, err = WriteLoadFiles(lf.files(), bytes.NewReader(k), int64(len(k)), bytes.NewReader(rd), int64(len(rd)), opts)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("WriteLoadFiles: %v, want %v", err, tc.want)
			}
			if err == nil && !bytes.Equal(lf.initrd.Bytes(), rd) {
				t.Error("WriteLoadFiles: initrd.img differs from the ramdisk")
			}

			dir := t.TempDir()
			kp, rp, out := writeFile(t, dir, "kernel", k), writeFile(t, dir, "r.bin", rd), filepath.Join(dir, "image")
			_, err = BuildFile(out, kp, rp, Options{CheckRamdisk: tc.check})
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("BuildFile: %v, want %v", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); err != nil && len(entries) != 2 {
				t.Errorf("a refused ramdisk left files behind: %v", entries)
			}
		})
	}
	if !bytes.Equal(seen, rd) {
		t.Errorf("the check saw %d bytes, not the %d-byte ramdisk", len(seen), len(rd))
	}
}

// TestCheckRamdiskStopsCopy checks that a refusal stops the copy of a
// large ramdisk instead of reading it to its end.
func TestCheckRamdiskStopsCopy(t *testing.T) {
	const size = 1 << 30
	k := debianLike.bytes()
	var read countingWriter
	src := io.TeeReader(zeroReader{}, &read)
	_, err := Build(io.Discard, bytes.NewReader(k), int64(len(k)), src, size, Options{CheckRamdisk: func(r io.Reader) error {
		io.ReadFull(r, make([]byte, 4096))
		return errBadRamdisk
	}})
	if !errors.Is(err, errBadRamdisk) {
		t.Fatalf("Build: %v, want errBadRamdisk", err)
	}
	if read > 64<<20 {
		t.Errorf("read %d MiB of a refused ramdisk", read>>20)
	}
}

// loadBuffers hold the load files in memory.
type loadBuffers struct {
	kernel, initrd, parm, addr, ins bytes.Buffer
}

func (b *loadBuffers) files() LoadFiles {
	return LoadFiles{Kernel: &b.kernel, Initrd: &b.initrd, Parmfile: &b.parm, AddrSize: &b.addr, Ins: &b.ins}
}
