package localboot

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/blockdev"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

// imageSHA is the SHA-256 of the file at path.
func imageSHA(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// run runs a tool of the test, failing with its output.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestOpenDiskImage reads a GPT disk image the test builds without
// mounting anything (sfdisk, mkfs.ext4 -d): one partition with Alpine's
// extlinux tree, one with Fedora's BLS entries for s390x; OpenDisk
// attaches a read-only loop device per partition, mounts them, and the
// configs of both are read with their partition numbers and GPT names;
// after Release nothing is mounted and the image is byte for byte the
// same.
func TestOpenDiskImage(t *testing.T) {
	if testenv.Emulated() {
		t.Skip("the host kernel's mounts and loop devices are checked by the native run; under qemu-user they are slow and ask no byte-order question")
	}
	if os.Geteuid() != 0 {
		testenv.Need(t, "needs root: attaches loop devices and mounts filesystems (run go test as root)")
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		testenv.Need(t, "no /dev/loop-control: the kernel's loop driver is missing (modprobe loop)")
	}
	if b, _ := os.ReadFile("/proc/filesystems"); !strings.Contains(string(b), "\text4\n") {
		t.Skip("the running kernel cannot mount ext4")
	}
	sfdisk := testenv.Command(t, "sfdisk", "fdisk")
	mkfs := testenv.Command(t, "mkfs.ext4", "e2fsprogs")
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	const first, size = 2048, 16384 // sectors: 8 MiB partitions
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, (first+2*size+2048)*512); err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("label: gpt\nstart=%d, size=%d, name=\"alpine\"\nstart=%d, size=%d, name=\"boot\"\n", first, size, first+size, size)
	cmd := exec.Command(sfdisk, "-q", img)
	cmd.Stdin = strings.NewReader(table)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	for i, tree := range []string{"../../testdata/localboot/alpine", "bls/testdata/fedora-s390x"} {
		part := filepath.Join(dir, fmt.Sprintf("p%d.img", i+1))
		if err := os.WriteFile(part, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(part, size*512); err != nil {
			t.Fatal(err)
		}
		run(t, mkfs, "-q", "-L", fmt.Sprintf("p%d", i+1), "-d", tree, part)
		run(t, "dd", "if="+part, "of="+img, "bs=512", fmt.Sprintf("seek=%d", first+i*size), "conv=notrunc", "status=none")
	}
	before := imageSHA(t, img)

	mnt := filepath.Join(dir, "mnt")
	d, err := OpenDisk(context.Background(), img, 1, DiscoverOptions{MountDir: mnt})
	if err != nil {
		t.Fatalf("OpenDisk: %v (problems %v)", err, d.Problems)
	}
	var got []string
	for _, v := range d.Volumes {
		got = append(got, fmt.Sprintf("%s %d/%d %s %q %q", v.Disk, v.DiskIndex, v.Partition, v.FSType, v.Label, v.PartLabel))
	}
	if want := "disk.img 1/1 ext4 \"p1\" \"alpine\"\ndisk.img 1/2 ext4 \"p2\" \"boot\""; strings.Join(got, "\n") != want {
		t.Errorf("volumes:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	res := Read(context.Background(), d.Volumes, Options{Arch: "s390x"})
	if len(res.Used) != 2 || res.Entries() != 4 {
		t.Errorf("%d configs, %d entries; want 2 and 4", len(res.Used), res.Entries())
	}
	if err := d.Release(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(b), mnt) {
		t.Errorf("still mounted below %s", mnt)
	}
	if imageSHA(t, img) != before {
		t.Error("the image changed")
	}

	// A block device node: the first partition's filesystem, attached as
	// a loop device of its own, is read through /dev/loopN.
	p1 := filepath.Join(dir, "p1.img")
	before = imageSHA(t, p1)
	name, detach, err := blockdev.AttachLoop(p1)
	if err != nil {
		t.Fatal(err)
	}
	defer detach()
	d, err = OpenDisk(context.Background(), "/dev/"+name, 0, DiscoverOptions{MountDir: mnt})
	if err != nil {
		t.Fatalf("OpenDisk(/dev/%s): %v", name, err)
	}
	if len(d.Volumes) != 1 || d.Volumes[0].Name != name || d.Volumes[0].Label != "p1" {
		t.Errorf("volumes %+v", d.Volumes)
	}
	if res := Read(context.Background(), d.Volumes, Options{}); res.Entries() != 2 {
		t.Errorf("%d entries on /dev/%s, want Alpine's 2", res.Entries(), name)
	}
	if err := d.Release(); err != nil {
		t.Fatal(err)
	}
	detach()
	if imageSHA(t, p1) != before {
		t.Error("the partition image changed")
	}
}
