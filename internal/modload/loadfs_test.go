package modload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFS: a filesystem driver's load order file below the root is
// loaded (here a module the kernel always has, so nothing is really
// loaded), a driver without one is no error (built in, or not in this
// ramdisk), a file that is not a load order is, and a driver name cannot
// leave the directory.
func TestLoadFS(t *testing.T) {
	if _, err := os.Stat(filepath.Join(SysModuleDir, "printk")); err != nil {
		t.Skipf("no %s/printk to stand for a loaded module: %v", SysModuleDir, err)
	}
	root := t.TempDir()
	write := func(driver, text string) {
		p := filepath.Join(root, FSOrderFile(driver))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ext4", "# ext4's modules\nlib/modules/kernel/printk.ko\n")
	write("xfs", "/etc/passwd\n")
	if err := LoadFS(root, "ext4", nil); err != nil {
		t.Errorf("LoadFS(ext4): %v", err)
	}
	if err := LoadFS(root, "btrfs", nil); err != nil {
		t.Errorf("LoadFS(btrfs), no file: %v", err)
	}
	if err := LoadFS(root, "xfs", nil); !errors.Is(err, ErrBadLoadOrder) || !strings.Contains(err.Error(), "xfs.order") {
		t.Errorf("LoadFS(xfs) with an absolute path: %v, want ErrBadLoadOrder naming the file", err)
	}
	for _, d := range []string{"", "../ext4", "a/b", "."} {
		if err := LoadFS(root, d, nil); !errors.Is(err, ErrBadLoadOrder) {
			t.Errorf("LoadFS(%q): %v, want ErrBadLoadOrder", d, err)
		}
	}
}
