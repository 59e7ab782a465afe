package kexec

import "log/slog"

// load calls kexec_file_load: the arm64 kernel's Image loader places the
// kernel, ramdisk and device tree itself.
func load(p plan, log *slog.Logger) error {
	if err := fileLoad(p.kernel, p.initrds, p.cmdline, log); err != nil {
		return err
	}
	log.Info("kexec: loaded with kexec_file_load")
	return nil
}
