// Package testenv holds what the project's tests need outside their own
// package, each in one place: the repository root and the Debian kernels
// scripts/fetch-kernels.sh unpacks (Cache), installed tools (Command),
// the -update flag and golden files (Golden, FuzzSeeds), a copy of the
// test binary in new namespaces (Reexec, ReexecPID1), an in-process TFTP
// server (TFTPServer) and a test certificate authority (CA). Only tests
// import it; synthetic kernel images are package fakekernel's.
//
//	kernel, err := os.ReadFile(filepath.Join(testenv.Cache(t, "s390x"), "vmlinuz"))
//
// A missing cache skips the test, naming the command that fetches it
// (scripts/fetch-kernels.sh ARCH), so a fresh clone's go test ./... is
// green; under CI=true it fails instead: CI fetches everything, and there
// a skip would hide a broken setup.
package testenv

import (
	"os"
	"os/exec"
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
// repository. When scripts/fetch-kernels.sh has not finished there the
// test skips (fails under CI, see Need).
func Cache(t testing.TB, arch string) string {
	t.Helper()
	dir := os.Getenv(CacheEnv)
	if dir == "" {
		dir = filepath.Join(RepoRoot(t), ".cache")
	}
	dir = filepath.Join(dir, arch)
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err != nil {
		Need(t, "no Debian %s kernel in %s: run scripts/fetch-kernels.sh %s", arch, dir, arch)
	}
	return dir
}

// Need reports that something the test needs is missing: the test skips
// with the message, which should name the command that fetches it; under
// CI (the CI environment variable set to anything but "" or "false") it
// fails instead.
func Need(t testing.TB, format string, args ...any) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && ci != "false" {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// Command returns the path of the program name, which the package pkg of
// Debian provides; when it is not installed the test skips (fails under
// CI, see Need), naming scripts/install-deps.sh.
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Need(t, "%s not found: run scripts/install-deps.sh (or apt-get install %s)", name, pkg)
	}
	return p
}
