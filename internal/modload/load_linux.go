package modload

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// loadModule loads the module file at path with finit_module(2), falling back
// to init_module(2) when the kernel lacks finit_module (before 3.8) or the
// file cannot be passed by descriptor.
func loadModule(path, params string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), params, 0)
	if err == nil || !errors.Is(err, unix.ENOSYS) {
		if err != nil {
			return fmt.Errorf("finit_module: %w", err)
		}
		return nil
	}
	image, rerr := os.ReadFile(path)
	if rerr != nil {
		return rerr
	}
	if err := unix.InitModule(image, params); err != nil {
		return fmt.Errorf("init_module(%d bytes): %w", len(image), err)
	}
	return nil
}
