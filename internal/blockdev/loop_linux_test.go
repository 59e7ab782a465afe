package blockdev

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// needRoot skips a test that attaches loop devices or mounts when not
// root (fails under CI, which runs as root).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Need(t, "needs root: attaches loop devices and mounts filesystems (run go test as root)")
	}
	if _, err := os.Stat(loopControl); err != nil {
		testenv.Need(t, "no %s: the kernel's loop driver is missing (modprobe loop)", loopControl)
	}
}

// skipEmulatedKernel skips, in the big-endian run under qemu-user, the
// tests whose subject is what the host kernel does with our mounts and
// loop devices (whether it writes to the image): the native run checks
// that, and under emulation they take minutes (xfs alone 95 s) for no
// byte-order question.
func skipEmulatedKernel(t *testing.T) {
	t.Helper()
	if testenv.Emulated() {
		t.Skip("the host kernel's mounts and loop devices are checked by the native run; under qemu-user they take minutes")
	}
}

// needFS skips when the running kernel cannot mount typ: its driver is
// not built and not loaded (/proc/filesystems).
func needFS(t *testing.T, typ string) {
	t.Helper()
	b, err := os.ReadFile("/proc/filesystems")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(strings.TrimPrefix(l, "nodev")) == typ {
			return
		}
	}
	exec.Command("modprobe", typ).Run()
	if b, _ := os.ReadFile("/proc/filesystems"); !strings.Contains(string(b), "\t"+typ+"\n") {
		t.Skipf("the running kernel has no %s driver (not in /proc/filesystems, modprobe %s failed)", typ, typ)
	}
}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// copySparse copies the image src into dst at off, skipping zero
// blocks so that dst stays sparse.
func copySparse(t *testing.T, dst, src string, off int64) {
	t.Helper()
	in, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	const block = 64 << 10
	zero := make([]byte, block)
	for i := 0; i < len(in); i += block {
		b := in[i:min(i+block, len(in))]
		if bytes.Equal(b, zero[:len(b)]) {
			continue
		}
		if _, err := out.WriteAt(b, off+int64(i)); err != nil {
			t.Fatal(err)
		}
	}
}

// attached attaches img and returns the devices Scan finds on it.
func attached(t *testing.T, img string, readOnly bool) (string, []Device) {
	t.Helper()
	name, detach, err := attachLoop(img, readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := detach(); err != nil {
			t.Error(err)
		}
	})
	devs, _, err := Scan("/sys")
	if err != nil {
		t.Fatal(err)
	}
	var own []Device
	for _, d := range devs {
		if d.Disk == name {
			own = append(own, d)
		}
	}
	return name, own
}

// mounted probes d, mounts it in a test folder and returns the folder.
func mounted(t *testing.T, d Device) (string, FS) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fs, err := ProbeDevice(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unmount, err := Mount(d, fs, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := unmount(); err != nil {
			t.Error(err)
		}
	})
	return dir, fs
}

// TestAttachLoopGPT builds a GPT disk image (ESP, XBOOTLDR /boot,
// btrfs root) without root, attaches it, finds its partitions with Scan,
// probes, reads their partition entries, mounts each read-only, reads a
// file from each, and checks the image is unchanged afterwards.
func TestAttachLoopGPT(t *testing.T) {
	needRoot(t)
	skipEmulatedKernel(t)
	parts := []struct {
		image string
		fs    string
		label string
	}{{"vfat32", "vfat", "EFI System"}, {"ext4", "ext4", "boot"}, {"btrfs", "btrfs", "root"}}
	img := makeTableSize(t, "label: gpt\n"+
		"size=64M, type=U, name=\"EFI System\"\n"+
		"size=16M, type=BC13C2FF-59E6-4262-A352-B275FD6F7172, name=\"boot\"\n"+
		"size=128M, type=L, name=root\n", 256<<20)
	tab, err := readTableFile(t, img)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		im := imageNamed(t, p.image)
		im.size = tab.Partitions[i].Size
		im.prep = func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "hello.txt"), []byte(p.fs+"\n"), 0o644)
		}
		switch p.fs {
		case "ext4":
			im.args = func(dir, img string) []string { return []string{"-q", "-F", "-d", filepath.Join(dir, "src"), img} }
		case "btrfs":
			im.args = func(dir, img string) []string {
				return []string{"-q", "-f", "--rootdir", filepath.Join(dir, "src"), img}
			}
		case "vfat":
			im.post = func(t *testing.T, img string) {
				src := filepath.Join(t.TempDir(), "hello.txt")
				os.WriteFile(src, []byte("vfat\n"), 0o644)
				run(t, testenv.Command(t, "mcopy", "mtools"), "-i", img, src, "::hello.txt")
			}
		}
		copySparse(t, img, makeImage(t, im), tab.Partitions[i].Start)
	}
	before := sha(t, img)

	name, devs := attached(t, img, true)
	byKernel := len(devs) == len(parts)
	if !byKernel {
		// A kernel without CONFIG_EFI_PARTITION (this project's CI VM
		// has one) shows the disk whole: attach each partition.
		if len(devs) != 1 || devs[0].Partition != 0 {
			t.Fatalf("Scan found %+v on %s, want %d partitions or the whole disk", devs, name, len(parts))
		}
		t.Logf("the kernel made no partitions on %s: attaching each with AttachLoopPartition", name)
		devs = nil
		for _, p := range tab.Partitions {
			n, detach, err := AttachLoopPartition(img, p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { detach() })
			all, _, err := Scan("/sys")
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(d Device) bool { return d.Name == n })
			if i < 0 || all[i].Size != p.Size {
				t.Fatalf("partition %d attached as %s: not found with size %d in %+v", p.Number, n, p.Size, all)
			}
			devs = append(devs, all[i])
		}
	}
	for i, d := range devs {
		p := parts[i]
		t.Run(p.fs, func(t *testing.T) {
			if !d.ReadOnly {
				t.Errorf("device %+v is not read-only", d)
			}
			if byKernel {
				if d.Partition != i+1 || d.Name != name+"p"+string(rune('1'+i)) {
					t.Errorf("device %+v", d)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				pe, err := PartitionEntry(ctx, "/sys", d)
				if err != nil {
					t.Fatal(err)
				}
				if pe.Label != p.label || pe != tab.Partitions[i] {
					t.Errorf("PartitionEntry = %+v, want %+v", pe, tab.Partitions[i])
				}
			}
			needFS(t, p.fs)
			dir, fs := mounted(t, d)
			if fs.Type != p.fs {
				t.Errorf("type %q, want %q", fs.Type, p.fs)
			}
			b, err := os.ReadFile(filepath.Join(dir, "hello.txt"))
			if err != nil || string(b) != p.fs+"\n" {
				t.Errorf("hello.txt: %q, %v", b, err)
			}
			var st unix.Statfs_t
			if err := unix.Statfs(dir, &st); err != nil || st.Flags&unix.ST_RDONLY == 0 {
				t.Errorf("statfs %s: flags %#x, %v: not read-only", dir, st.Flags, err)
			}
		})
	}
	// Unmount (the subtests' cleanups ran) and detach before comparing.
	t.Cleanup(func() {
		if after := sha(t, img); after != before {
			t.Errorf("image changed by attach, mount and unmount: sha256 %x, was %x", after, before)
		}
	})
}

// TestMountNoReplay: filesystems that need their journal or log
// replayed, on a writable loop device, so that only the mount options
// keep the kernel from writing: the image must be unchanged after
// Mount and unmount.
func TestMountNoReplay(t *testing.T) {
	needRoot(t)
	skipEmulatedKernel(t)
	t.Run("ext4", func(t *testing.T) {
		needFS(t, "ext4")
		im := imageNamed(t, "ext4")
		im.prep = func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hi\n"), 0o644) }
		im.args = func(dir, img string) []string { return []string{"-q", "-F", "-d", filepath.Join(dir, "src"), img} }
		img := makeImage(t, im)
		// needs_recovery: the kernel replays the journal on any mount,
		// read-only included, unless told not to.
		run(t, testenv.Command(t, "debugfs", "e2fsprogs"), "-w", "-R", "feature needs_recovery", img)
		before := sha(t, img)
		_, devs := attached(t, img, false)
		if len(devs) != 1 || devs[0].ReadOnly {
			t.Fatalf("devices %+v, want one writable whole disk", devs)
		}
		dir, _ := mounted(t, devs[0])
		if b, err := os.ReadFile(filepath.Join(dir, "hello.txt")); err != nil || string(b) != "hi\n" {
			t.Errorf("hello.txt: %q, %v", b, err)
		}
		t.Cleanup(func() {
			if after := sha(t, img); after != before {
				t.Errorf("image changed: sha256 %x, was %x", after, before)
			}
		})
	})
	t.Run("ext4-control", func(t *testing.T) {
		// The same image mounted with MS_RDONLY only: the kernel replays
		// the journal and writes, which is what noload prevents. Logged,
		// not asserted: a kernel may change its mind about it.
		needFS(t, "ext4")
		img := makeImage(t, imageNamed(t, "ext4"))
		run(t, testenv.Command(t, "debugfs", "e2fsprogs"), "-w", "-R", "feature needs_recovery", img)
		before := sha(t, img)
		name, detach, err := attachLoop(img, false)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := unix.Mount("/dev/"+name, dir, "ext4", unix.MS_RDONLY, ""); err == nil {
			unix.Unmount(dir, 0)
		}
		detach()
		t.Logf("plain ro mount of a journal that needs recovery changed the image: %v", sha(t, img) != before)
	})
	t.Run("xfs", func(t *testing.T) {
		needFS(t, "xfs")
		img := makeImage(t, imageNamed(t, "xfs"))
		dirtyXFS(t, img)
		before := sha(t, img)
		_, devs := attached(t, img, false)
		if len(devs) != 1 {
			t.Fatalf("devices %+v", devs)
		}
		dir, _ := mounted(t, devs[0])
		if _, err := os.ReadDir(dir); err != nil {
			t.Error(err)
		}
		t.Cleanup(func() {
			if after := sha(t, img); after != before {
				t.Errorf("image changed: sha256 %x, was %x", after, before)
			}
		})
	})
}

// dirtyXFS leaves img with a log that needs recovery: mounted read-write,
// a file written, the filesystem shut down without flushing the log
// (xfs_io's shutdown without -f, as a crash would leave it).
func dirtyXFS(t *testing.T, img string) {
	t.Helper()
	xfsIO := testenv.Command(t, "xfs_io", "xfsprogs")
	name, detach, err := attachLoop(img, false)
	if err != nil {
		t.Fatal(err)
	}
	defer detach()
	dir := t.TempDir()
	if err := unix.Mount("/dev/"+name, dir, "xfs", 0, ""); err != nil {
		t.Fatalf("mount %s rw: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dirty"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, xfsIO, "-x", "-c", "shutdown", dir)
	if err := unix.Unmount(dir, 0); err != nil {
		t.Fatal(err)
	}
}

// TestMountErrors: what Mount refuses, and how a failing mount names
// device, filesystem and options.
func TestMountErrors(t *testing.T) {
	dir := t.TempDir()
	d := Device{Name: "vdz1", Major: 1, Minor: 3} // /dev/null's numbers: never a filesystem
	for _, typ := range []string{"swap", "crypto_LUKS", "LVM2_member", "linux_raid_member", "ntfs"} {
		if _, err := Mount(d, FS{Type: typ}, dir); !errors.Is(err, ErrNotMountable) {
			t.Errorf("Mount of %s = %v, want ErrNotMountable", typ, err)
		}
	}
	needRoot(t)
	img := filepath.Join(t.TempDir(), "zero.img")
	os.WriteFile(img, make([]byte, 1<<20), 0o644)
	_, devs := attached(t, img, true)
	_, err := Mount(devs[0], FS{Type: "ext4"}, dir)
	if err == nil {
		t.Fatal("Mount of zeros as ext4 succeeded")
	}
	for _, s := range []string{devs[0].Name, "ext4", "ro,nosuid,nodev,noexec,noload", dir} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
}

// TestAttachLoopNotRoot: without root AttachLoop says so with an error
// matching fs.ErrPermission (run as root, it runs a copy of the test
// binary as nobody).
func TestAttachLoopNotRoot(t *testing.T) {
	if os.Getenv("BLOCKDEV_TEST_NOT_ROOT") == "1" {
		_, _, err := AttachLoop("/dev/null")
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("AttachLoop as uid %d = %v, want fs.ErrPermission", os.Geteuid(), err)
		}
		return
	}
	if os.Geteuid() != 0 {
		_, _, err := AttachLoop("/dev/null")
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("AttachLoop as uid %d = %v, want fs.ErrPermission", os.Geteuid(), err)
		}
		return
	}
	if _, err := os.Stat(loopControl); err != nil {
		t.Skipf("no %s", loopControl)
	}
	dir, err := os.MkdirTemp("", "blockdev-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "blockdev.test")
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestAttachLoopNotRoot$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "BLOCKDEV_TEST_NOT_ROOT=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.ENOEXEC) {
		t.Skipf("the GOARCH=%s test binary runs under an emulator, which the child would need too", runtime.GOARCH)
	}
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestWaitUevent: Wait sees a loop device's partitions appear through
// uevents, reports the growing list and settles.
func TestWaitUevent(t *testing.T) {
	needRoot(t)
	img := makeTable(t, tableScripts["gpt"])
	var lists [][]Device
	attached := make(chan string, 1)
	go func() {
		time.Sleep(150 * time.Millisecond)
		name, detach, err := AttachLoop(img)
		if err != nil {
			t.Error(err)
			attached <- ""
			return
		}
		t.Cleanup(func() { detach() })
		attached <- name
	}()
	start := time.Now()
	devs, _, err := Wait(context.Background(), "/sys", WaitOptions{
		Bound: 5 * time.Second, Settle: time.Second,
		Found: func(d []Device) { lists = append(lists, d) },
	})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	name := <-attached
	// The partitions, or the disk whole where the kernel has no GPT parser.
	if n := slices.IndexFunc(devs, func(d Device) bool { return d.Disk == name }); name == "" || n < 0 {
		t.Fatalf("after %v: nothing on %q among %s", took, name, names(devs))
	}
	if len(lists) < 2 {
		t.Errorf("Found called %d times, want the first list and the grown one", len(lists))
	}
	if took >= 5*time.Second {
		t.Errorf("Wait took %v: it did not settle", took)
	}
	t.Logf("settled after %v with %s", took, names(devs))
}

// TestUevents: attaching a loop device sends a block uevent to the
// subscribed socket.
func TestUevents(t *testing.T) {
	needRoot(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := uevents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img := makeTable(t, tableScripts["dos"])
	start := time.Now()
	_, detach, err := AttachLoop(img)
	if err != nil {
		t.Fatal(err)
	}
	defer detach()
	select {
	case <-ch:
		t.Logf("block uevent %v after the attach began", time.Since(start))
	case <-time.After(5 * time.Second):
		t.Fatal("no block uevent within 5 s of attaching a loop device")
	}
}
