package pid1

import (
	"fmt"
	"log/slog"
	"os"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Console opens the console device (normally /dev/console) and makes it
// the process's standard input, output and error, replacing whatever the
// kernel left there (nothing when the ramdisk had no /dev/console node).
// On failure the descriptors are left alone and the error returned.
func Console(log *slog.Logger, path string) error {
	log = logging.Or(log)
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		log.Warn("pid1: no console", "path", path, "err", err)
		return fmt.Errorf("console %s: %w", path, err)
	}
	defer f.Close()
	fd := int(f.Fd())
	for _, to := range []int{0, 1, 2} {
		if fd == to {
			continue
		}
		if err := unix.Dup3(fd, to, 0); err != nil {
			return fmt.Errorf("console %s: dup3 onto fd %d: %w", path, to, err)
		}
	}
	return nil
}
