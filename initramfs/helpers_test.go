package initramfs

import "github.com/s390netboot/s390netboot/internal/testenv"

// repoRoot returns the directory holding go.mod; cacheDir returns the
// Debian kernel cache of an architecture (.cache/ARCH), failing the test
// when scripts/fetch-kernels.sh has not been run.
var (
	repoRoot = testenv.RepoRoot
	cacheDir = testenv.Cache
)
