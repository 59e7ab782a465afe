package kexec

import "log/slog"

// load calls kexec_file_load: the amd64 kernel's bzImage64 loader places
// the kernel, ramdisk and boot parameters itself.
func load(p plan, log *slog.Logger) error {
	if err := fileLoad(p.kernel, p.initrds, p.cmdline, log); err != nil {
		return err
	}
	log.Info("kexec: loaded with kexec_file_load")
	return nil
}
