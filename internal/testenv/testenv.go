// Package testenv finds what the project's tests need outside their own
// package: the repository root and the Debian kernels that
// scripts/fetch-kernels.sh unpacks. Only tests import it.
//
//	kernel, err := os.ReadFile(filepath.Join(testenv.Cache(t, "s390x"), "vmlinuz"))
//
// A missing cache fails the test, saying to run scripts/fetch-kernels.sh;
// it never skips.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// CacheEnv names the environment variable that moves the kernel cache
// away from .cache in the repository, as in scripts/fetch-kernels.sh.
const CacheEnv = "S390NETBOOT_CACHE"

// completeMarker is the file scripts/fetch-kernels.sh writes last into
// each architecture's directory.
const completeMarker = ".complete"

// RepoRoot returns the directory holding the project's go.mod, walking up
// from the working directory (a test's package directory).
func RepoRoot(t testing.TB) string {
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
			t.Fatal("cannot find go.mod above the working directory")
		}
		dir = parent
	}
}

// Cache returns the unpacked Debian kernel cache for arch ("s390x" or
// "amd64"): vmlinuz, config, modules/, version, busybox, and for s390x
// kexec-tools/. It is $S390NETBOOT_CACHE/ARCH, or .cache/ARCH in the
// repository. The test fails when scripts/fetch-kernels.sh has not
// finished there.
func Cache(t testing.TB, arch string) string {
	t.Helper()
	dir := os.Getenv(CacheEnv)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), ".cache")
	}
	dir = filepath.Join(dir, arch)
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err != nil {
		t.Fatalf("no Debian %s kernel in %s: run scripts/fetch-kernels.sh %s", arch, dir, arch)
	}
	return dir
}
