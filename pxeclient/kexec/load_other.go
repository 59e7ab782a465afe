//go:build !linux || !(s390x || amd64 || arm64)

package kexec

import (
	"fmt"
	"log/slog"
	"runtime"
)

// load refuses: this package kexecs only on linux/s390x, linux/amd64 and
// linux/arm64, where it knows the kernel formats and system calls.
func load(plan, *slog.Logger) error { return unsupported() }

func unsupported() error {
	return fmt.Errorf("%w: kexec on GOOS=%s GOARCH=%s is not supported (only linux on s390x, amd64 and arm64)",
		ErrArchNotSupported, runtime.GOOS, runtime.GOARCH)
}
