//go:build !linux

package modload

import (
	"errors"
	"fmt"
	"runtime"
)

// loadModule fails: only Linux has loadable kernel modules of this kind.
func loadModule(path, params string) error {
	return fmt.Errorf("loading kernel modules on GOOS=%s: %w", runtime.GOOS, errors.ErrUnsupported)
}
