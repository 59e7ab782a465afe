package diskimage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// run runs a tool and returns its standard output.
func run(t *testing.T, name, pkg string, args ...string) string {
	t.Helper()
	out, err := exec.Command(testenv.Command(t, name, pkg), args...).Output()
	if err != nil {
		msg := ""
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// probe returns what blkid -p finds at off in img: TYPE, UUID, LABEL...;
// nothing when it finds nothing (its exit status 2).
func probe(t *testing.T, img string, off int64) map[string]string {
	t.Helper()
	out, err := exec.Command(testenv.Command(t, "blkid", "util-linux"), "-p", "-o", "export", "-O", fmt.Sprint(off), img).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 {
		return nil
	} else if err != nil {
		t.Fatalf("blkid -p %s at %d: %v", img, off, err)
	}
	kv := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// readFile reads a file back from the filesystem at off in img with the
// filesystem's own tools (no mount).
func readFile(t *testing.T, img string, off int64, fsType, name string) string {
	t.Helper()
	switch fsType {
	case "ext4":
		return run(t, "debugfs", "e2fsprogs", "-R", "cat /"+name, fmt.Sprintf("%s?offset=%d", img, off))
	case "vfat":
		return run(t, "mtype", "mtools", "-i", fmt.Sprintf("%s@@%d", img, off), "::/"+name)
	}
	t.Fatalf("no reader for %s", fsType)
	return ""
}

func TestBuild(t *testing.T) {
	files := map[string][]byte{
		"loader/entries/a.conf": []byte("title A\n"),
		"grub/grub.cfg":         []byte("menuentry x {}\n"),
		"top.txt":               []byte("top\n"),
	}
	for _, tc := range []struct {
		name string
		disk Disk
		dump []string // lines sfdisk --dump must show
	}{
		{"gpt", Disk{Table: GPT, ID: "6A0C2F3E-1B2D-4C5E-8F90-A1B2C3D4E5F6", Partitions: []Partition{
			{Size: 16 << 20, Type: TypeESP, UUID: "11111111-AAAA-4BBB-8CCC-000000000001", Name: "EFI System",
				FS: &FS{Type: "vfat", UUID: "1234-ABCD", Label: "ESP", Files: files}},
			{Size: 16 << 20, Type: TypeLinux, UUID: "11111111-AAAA-4BBB-8CCC-000000000002", Name: "boot",
				FS: &FS{Type: "ext4", UUID: "5c2b2a0e-3b8c-4f5e-9f3c-1d2e3f405162", Label: "boot", Files: files}},
			{Size: 16 << 20, Type: TypeLinux, FS: &FS{Type: "btrfs", UUID: "7d3e1f20-9a8b-4c7d-8e6f-504132231405", Label: "root", Files: files}},
			{Size: 1 << 20, Type: TypeLinux},
		}}, []string{
			"label: gpt", "label-id: 6A0C2F3E-1B2D-4C5E-8F90-A1B2C3D4E5F6",
			"start=        2048, size=       32768, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-AAAA-4BBB-8CCC-000000000001, name=\"EFI System\"",
			"start=       34816, size=       32768, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=11111111-AAAA-4BBB-8CCC-000000000002, name=\"boot\"",
		}},
		{"mbr", Disk{Table: MBR, ID: "0x5eed0001", Partitions: []Partition{
			{Size: 16 << 20, Type: TypeLinux, Bootable: true, FS: &FS{Type: "ext4", UUID: "0e6f5d4c-3b2a-4190-8877-665544332211", Label: "alpine", Files: files}},
		}}, []string{"label: dos", "label-id: 0x5eed0001", "start=        2048, size=       32768, type=83, bootable"}},
		{"whole disk", Disk{Table: Whole, Partitions: []Partition{
			{Size: 8 << 20, FS: &FS{Type: "vfat", UUID: "ABCD-0001", Label: "STICK", Files: files}},
		}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "disk.img")
			img := Build(t, path, tc.disk)
			if fi, err := os.Stat(path); err != nil || fi.Size() != img.Size {
				t.Fatalf("image %v (%d bytes), Size %d", err, fi.Size(), img.Size)
			}
			if tc.disk.Table != Whole {
				dump := run(t, "sfdisk", "fdisk", "--dump", path)
				for _, want := range tc.dump {
					if !strings.Contains(dump, want+"\n") {
						t.Errorf("sfdisk --dump lacks %q:\n%s", want, dump)
					}
				}
			}
			for i, p := range tc.disk.Partitions {
				got := probe(t, path, img.Starts[i])
				if p.FS == nil {
					if got["TYPE"] != "" {
						t.Errorf("partition %d: blkid finds %q where no filesystem was made", i+1, got["TYPE"])
					}
					continue
				}
				if got["TYPE"] != p.FS.Type || got["UUID"] != p.FS.UUID || got["LABEL"] != p.FS.Label {
					t.Errorf("partition %d at %d: blkid %v, want %s UUID=%s LABEL=%s", i+1, img.Starts[i], got, p.FS.Type, p.FS.UUID, p.FS.Label)
				}
				if p.FS.Type == "btrfs" {
					continue // no offline reader here; blkid saw the superblock
				}
				for name, data := range p.FS.Files {
					if got := readFile(t, path, img.Starts[i], p.FS.Type, name); got != string(data) {
						t.Errorf("partition %d %s: %q, want %q", i+1, name, got, data)
					}
				}
			}
			// Two builds of the same disk give the same sum only when
			// every tool is deterministic; SHA256 itself must be stable.
			if a, b := SHA256(t, path), SHA256(t, path); a != b || len(a) != 64 {
				t.Errorf("SHA256: %q then %q", a, b)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	ext4 := &FS{Type: "ext4"}
	for _, tc := range []struct {
		name string
		disk Disk
		want string
	}{
		{"no partitions", Disk{Table: GPT}, "no partitions"},
		{"unaligned size", Disk{Table: GPT, Partitions: []Partition{{Size: 1000, Type: TypeLinux}}}, "size 1000 is not a positive multiple of 1048576"},
		{"unknown table", Disk{Table: "sun", Partitions: []Partition{{Size: 1 << 20}}}, `partition table "sun"`},
		{"two filesystems on a whole disk", Disk{Partitions: []Partition{{Size: 1 << 20}, {Size: 1 << 20}}}, "one filesystem, not 2"},
		{"MBR with a name", Disk{Table: MBR, Partitions: []Partition{{Size: 1 << 20, Type: TypeLinux, Name: "x"}}}, "no UUID or name"},
		{"unknown filesystem", Disk{Table: GPT, Partitions: []Partition{{Size: 1 << 20, Type: TypeLinux, FS: &FS{Type: "zfs"}}}}, `filesystem type "zfs"`},
		{"bad volume ID", Disk{Table: GPT, Partitions: []Partition{{Size: 8 << 20, Type: TypeESP, FS: &FS{Type: "vfat", UUID: "12"}}}}, `volume ID "12"`},
		{"file outside the root", Disk{Table: GPT, Partitions: []Partition{{Size: 8 << 20, Type: TypeLinux,
			FS: &FS{Type: "ext4", Files: map[string][]byte{"../escape": nil}}}}}, `file "../escape"`},
		{"sfdisk refuses", Disk{Table: GPT, Partitions: []Partition{{Size: 1 << 20, Type: "not-a-type", FS: ext4}}}, "sfdisk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := build(t, filepath.Join(t.TempDir(), "disk.img"), tc.disk)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("build: %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}
