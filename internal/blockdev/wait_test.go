package blockdev

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// fakeDisk adds a whole disk with n partitions to the fake sysfs at
// root, as testdata/sysfs/make.sh lays them out.
func fakeDisk(t testing.TB, root, name string, major, minor, n int) {
	t.Helper()
	devpath := filepath.Join("devices", "pci0000:00", "0000:00:04.0", "virtio"+name, "block", name)
	write := func(dir string, attrs map[string]string) {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range attrs {
			if err := os.WriteFile(filepath.Join(root, dir, k), []byte(v+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	link := func(name, dir string) {
		os.MkdirAll(filepath.Join(root, "class", "block"), 0o755)
		if err := os.Symlink(filepath.Join("..", "..", dir), filepath.Join(root, "class", "block", name)); err != nil {
			t.Fatal(err)
		}
	}
	write(devpath, map[string]string{"dev": itoa(major) + ":" + itoa(minor), "size": "2097152", "ro": "0", "removable": "0"})
	for i := 1; i <= n; i++ {
		p := name + itoa(i)
		write(filepath.Join(devpath, p), map[string]string{"dev": itoa(major) + ":" + itoa(minor+i), "size": "204800", "ro": "0", "partition": itoa(i)})
		link(p, filepath.Join(devpath, p))
	}
	link(name, devpath)
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestWaitLate: a disk that appears after Wait began is reported, the
// list grows through Found, and Wait returns Settle after the last
// change, well before Bound.
func TestWaitLate(t *testing.T) {
	root := t.TempDir()
	fakeDisk(t, root, "vda", 254, 0, 2)
	go func() {
		time.Sleep(200 * time.Millisecond)
		fakeDisk(t, root, "vdb", 254, 16, 1)
	}()
	var found [][]Device
	start := time.Now()
	devs, _, err := Wait(context.Background(), root, WaitOptions{
		Bound: 10 * time.Second, Settle: 400 * time.Millisecond,
		Found: func(d []Device) { found = append(found, d) },
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if names(devs) != "vda1 vda2 vdb1" {
		t.Errorf("devices %s", names(devs))
	}
	if len(found) < 2 || names(found[0]) != "vda1 vda2" || names(found[len(found)-1]) != "vda1 vda2 vdb1" {
		t.Errorf("Found calls: %v", found)
	}
	if took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("Wait took %v, want about 200 ms + settle 400 ms", took)
	}
}

// TestWaitBound: without any device Wait returns at Bound; ctx's end
// returns at once with its error.
func TestWaitBound(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "class", "block"), 0o755)
	start := time.Now()
	devs, _, err := Wait(context.Background(), root, WaitOptions{Bound: 300 * time.Millisecond})
	if took := time.Since(start); err != nil || len(devs) != 0 || took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("Wait = %v, %v after %v; want nothing after 300 ms", devs, err, took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, _, err = Wait(ctx, root, WaitOptions{Bound: time.Minute})
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > 2*time.Second {
		t.Errorf("Wait with a 100 ms context = %v after %v", err, took)
	}
	if _, _, err := Wait(context.Background(), filepath.Join(root, "none"), WaitOptions{}); err == nil {
		t.Error("Wait without a sysfs: no error")
	}
}

// hangingReader is a disk that never answers.
type hangingReader struct{ release chan struct{} }

func (h hangingReader) ReadAt(p []byte, off int64) (int, error) {
	<-h.release
	return 0, errors.New("released")
}

// TestBoundedHang: a probe whose read never returns gives up at the
// context's deadline; the reader's goroutine ends when the read does.
func TestBoundedHang(t *testing.T) {
	h := hangingReader{make(chan struct{})}
	defer close(h.release)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := bounded(ctx, "vdz", func() (FS, error) { return Probe(h, 1<<30) })
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
		t.Fatalf("bounded = %v after %v, want the deadline after 150 ms", err, took)
	}
}

func TestParseUevent(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uevent
		ok   bool
	}{
		{"add@/devices/virtual/block/loop0/loop0p1\x00ACTION=add\x00DEVPATH=/devices/virtual/block/loop0/loop0p1\x00SUBSYSTEM=block\x00DEVNAME=loop0p1\x00", uevent{"add", "block", "loop0p1"}, true},
		{"change@/devices/virtual/block/loop0\x00ACTION=change\x00SUBSYSTEM=block\x00DEVNAME=loop0\x00DISK_MEDIA_CHANGE=1\x00", uevent{"change", "block", "loop0"}, true},
		{"libudev\x00\xfe\xed\xca\xfe", uevent{}, false},
		{"add@/module/loop\x00ACTION=add\x00", uevent{action: "add"}, false},
		{"", uevent{}, false},
	} {
		got, ok := parseUevent([]byte(c.in))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseUevent(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
