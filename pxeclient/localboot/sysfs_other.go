//go:build !linux

package localboot

import (
	"io/fs"

	"github.com/s390netboot/s390netboot/internal/blockdev"
)

// sysfsName needs Linux.
func sysfsName(string, fs.FileInfo) (string, string, error) {
	return "", "", blockdev.ErrUnsupported
}
