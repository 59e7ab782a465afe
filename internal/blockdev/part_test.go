package blockdev

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// Partition table scripts for sfdisk, as installers lay disks out.
var tableScripts = map[string]string{
	// A UEFI install with a separate /boot as XBOOTLDR (Fedora, systemd-boot).
	"gpt": "label: gpt\nlabel-id: 0D2A5F3B-0E44-4F35-9B4C-0A1B2C3D4E5F\n" +
		"size=16M, type=U, name=\"EFI System\"\n" +
		"size=16M, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, name=\"boot\", attrs=\"LegacyBIOSBootable\"\n" +
		"type=L, name=root\n",
	// A BIOS install: active /boot, swap, and logical partitions in an
	// extended one (Debian's partman "separate /home, /var" recipe).
	"dos": "label: dos\nlabel-id: 0x1234abcd\n,8M,83,*\n,8M,82\n,,5\n,8M,83\n,8M,c\n",
}

// makeTable writes a 64 MiB image with sfdisk and returns its path.
func makeTable(t testing.TB, script string) string {
	return makeTableSize(t, script, 64<<20)
}

// makeTableSize is makeTable for an image of size bytes.
func makeTableSize(t testing.TB, script string, size int64) string {
	t.Helper()
	sfdisk := testenv.Command(t, "sfdisk", "fdisk")
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, size); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sfdisk, "-q", img)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	return img
}

// partx lists the partitions as libblkid reads them: number, start and
// size in sectors, type, PARTUUID, PARTLABEL, flags.
func partx(t testing.TB, img string) []Partition {
	t.Helper()
	tool := testenv.Command(t, "partx", "util-linux")
	out := run(t, tool, "-g", "-r", "-o", "NR,START,SECTORS,TYPE,UUID,NAME,FLAGS", img)
	var ps []Partition
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, " ")
		if len(f) != 7 {
			t.Fatalf("partx printed %q", out)
		}
		nr, _ := strconv.Atoi(f[0])
		start, _ := strconv.ParseInt(f[1], 10, 64)
		n, _ := strconv.ParseInt(f[2], 10, 64)
		flags, _ := strconv.ParseUint(f[6], 0, 64)
		ps = append(ps, Partition{Number: nr, Start: start * 512, Size: n * 512, Type: f[3], UUID: f[4],
			Label: strings.ReplaceAll(f[5], `\x20`, " "), Bootable: flags == 0x80 || flags&gptAttrLegacyBIOSBootable != 0})
	}
	return ps
}

func readTableFile(t testing.TB, img string) (*Table, error) {
	t.Helper()
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	return ReadTable(bytes.NewReader(b), int64(len(b)))
}

// TestReadTable compares ReadTable with partx (libblkid) on tables sfdisk
// writes.
func TestReadTable(t *testing.T) {
	for _, c := range []struct {
		name, id string
	}{{"gpt", "0d2a5f3b-0e44-4f35-9b4c-0a1b2c3d4e5f"}, {"dos", "1234abcd"}} {
		t.Run(c.name, func(t *testing.T) {
			img := makeTable(t, tableScripts[c.name])
			tab, err := readTableFile(t, img)
			if err != nil {
				t.Fatal(err)
			}
			if tab.Type != c.name || tab.ID != c.id {
				t.Errorf("table %s %s, want %s %s", tab.Type, tab.ID, c.name, c.id)
			}
			want := partx(t, img)
			if len(tab.Partitions) != len(want) {
				t.Fatalf("%d partitions %+v, partx %d %+v", len(tab.Partitions), tab.Partitions, len(want), want)
			}
			for i, p := range tab.Partitions {
				if p != want[i] {
					t.Errorf("partition %d = %+v, partx %+v", i, p, want[i])
				}
			}
		})
	}
	t.Run("constants", func(t *testing.T) {
		tab, err := readTableFile(t, makeTable(t, tableScripts["gpt"]))
		if err != nil {
			t.Fatal(err)
		}
		if tab.Partitions[0].Type != TypeESP || tab.Partitions[1].Type != TypeXBOOTLDR || tab.Partitions[2].Type != TypeLinuxFS {
			t.Errorf("types %+v", tab.Partitions)
		}
	})
}

// TestReadTableDamaged: a broken primary GPT header falls back to the
// backup; both broken, a looping EBR chain or no table at all are
// errors matched with errors.Is.
func TestReadTableDamaged(t *testing.T) {
	patch := func(img string, off int64, b []byte) {
		f, err := os.OpenFile(img, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("primary", func(t *testing.T) {
		img := makeTable(t, tableScripts["gpt"])
		patch(img, 512+gptDiskGUID, []byte{0xff})
		tab, err := readTableFile(t, img)
		if err != nil || len(tab.Partitions) != 3 || tab.ID != "0d2a5f3b-0e44-4f35-9b4c-0a1b2c3d4e5f" {
			t.Fatalf("ReadTable = %+v, %v; want the backup's 3 partitions", tab, err)
		}
	})
	t.Run("both", func(t *testing.T) {
		img := makeTable(t, tableScripts["gpt"])
		patch(img, 512+gptDiskGUID, []byte{0xff})
		patch(img, 64<<20-512+gptDiskGUID, []byte{0xff})
		if _, err := readTableFile(t, img); !errors.Is(err, ErrBadTable) {
			t.Fatalf("ReadTable = %v, want ErrBadTable", err)
		}
	})
	t.Run("ebr-loop", func(t *testing.T) {
		img := makeTable(t, tableScripts["dos"])
		tab, err := readTableFile(t, img)
		if err != nil {
			t.Fatal(err)
		}
		// The first EBR's link points at itself.
		ext, _ := tab.Find(3)
		link := ext.Start + mbrEntries + mbrEntrySize
		patch(img, link+mbrEntryType, []byte{0x05})
		patch(img, link+mbrEntryStart, []byte{0, 0, 0, 0})
		if _, err := readTableFile(t, img); err != nil {
			t.Fatalf("a zero link ends the chain: %v", err)
		}
		patch(img, ext.Start+mbrEntries+mbrEntrySize+mbrEntryStart, []byte{1, 0, 0, 0})
		patch(img, ext.Start+512+mbrBootMagic, []byte{0x55, 0xaa})
		patch(img, ext.Start+512+mbrEntries+mbrEntrySize+mbrEntryType, []byte{0x05})
		patch(img, ext.Start+512+mbrEntries+mbrEntrySize+mbrEntryStart, []byte{1, 0, 0, 0})
		if _, err := readTableFile(t, img); !errors.Is(err, ErrBadTable) {
			t.Fatalf("ReadTable = %v, want ErrBadTable for an EBR linking to itself", err)
		}
	})
	t.Run("none", func(t *testing.T) {
		for _, b := range [][]byte{nil, make([]byte, 100), make([]byte, 1<<20)} {
			if _, err := ReadTable(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrNoTable) {
				t.Errorf("%d zero bytes: %v, want ErrNoTable", len(b), err)
			}
		}
	})
	t.Run("fat", func(t *testing.T) {
		// A FAT filesystem on a whole disk has 0x55AA too: no table.
		img := makeImage(t, imageNamed(t, "vfat32"))
		if tab, err := readTableFile(t, img); !errors.Is(err, ErrNoTable) {
			t.Fatalf("ReadTable of a FAT32 volume = %+v, %v; want ErrNoTable", tab, err)
		}
	})
}
