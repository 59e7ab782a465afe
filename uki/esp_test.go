package uki

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestWriteESP(t *testing.T) {
	if _, err := sbinTool("mkfs.vfat", "dosfstools"); err != nil {
		testenv.Need(t, "%v: run scripts/install-deps.sh", err)
	}
	mcopy := testenv.Command(t, "mcopy", "mtools")
	dir := t.TempDir()
	img := filepath.Join(dir, "esp.img")
	boot := bytes.Repeat([]byte("uki"), 300000)
	files := []ESPFile{{"EFI/BOOT/BOOTX64.EFI", boot}, {"/EFI/BOOT/extra.txt", []byte("second file, same folder")}, {"loader.conf", []byte("timeout 0\n")}}
	if err := WriteESP(img, 0, files); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(img)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != MinESPSize {
		t.Errorf("image is %d bytes, want %d", fi.Size(), MinESPSize)
	}
	for _, f := range files {
		got, err := exec.Command(mcopy, "-i", img, "::/"+f.Path, "-").Output()
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s on the ESP: %d bytes (%v), want %d", f.Path, len(got), err, len(f.Data))
		}
	}
	// No partial image is left behind when the files do not fit.
	bad := filepath.Join(dir, "small.img")
	if err := WriteESP(bad, 1<<20, []ESPFile{{"a", make([]byte, 2<<20)}}); err == nil {
		t.Error("WriteESP of 2 MiB into 1 MiB succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("the folder holds %d files, want only esp.img", len(ents))
	}
	if got := ESPSize(100 << 20); got != 108<<20 {
		t.Errorf("ESPSize(100 MiB) = %d MiB, want 108", got>>20)
	}
}
