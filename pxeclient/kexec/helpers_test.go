package kexec

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

var cacheMu sync.Mutex
var cacheFiles = map[string][]byte{}

// cachedKernel returns the Debian kernel vmlinuz that
// scripts/fetch-kernels.sh unpacks in the cache (testenv.Cache), read once
// per test binary.
func cachedKernel(t testing.TB, arch string) []byte {
	t.Helper()
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if b, ok := cacheFiles[arch]; ok {
		return b
	}
	b, err := os.ReadFile(filepath.Join(testenv.Cache(t, arch), "vmlinuz"))
	if err != nil {
		t.Fatalf("%v: run scripts/fetch-kernels.sh", err)
	}
	cacheFiles[arch] = b
	return b
}
