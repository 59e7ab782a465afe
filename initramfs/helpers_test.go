package initramfs

import (
	"os"
	"path/filepath"
	"testing"
)

// repoRoot walks up from the working directory to the go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// cacheDir returns .cache/ARCH of the repository, failing when
// scripts/fetch-kernels.sh has not been run.
func cacheDir(t testing.TB, arch string) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), ".cache", arch)
	if _, err := os.Stat(filepath.Join(d, "modules")); err != nil {
		t.Fatalf("Debian %s kernel tree missing (%v): run scripts/fetch-kernels.sh", arch, err)
	}
	return d
}
