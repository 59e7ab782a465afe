package kexec

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
)

// The running kernel's device tree and memory map, which the kexec_load
// layout starts from.
const (
	fdtFile   = "/sys/firmware/fdt"
	iomemFile = "/proc/iomem"
)

// load calls kexec_file_load: the arm64 kernel's Image loader places the
// kernel, ramdisk and device tree itself. Where the running kernel lacks
// it (Debian 12's arm64 kernel has CONFIG_KEXEC but not
// CONFIG_KEXEC_FILE), it calls kexec_load with the segments of
// ARM64Segments, from the running kernel's device tree and memory map.
// As on s390x, an error of kexec_file_load itself is returned, not
// retried.
func load(p plan, log *slog.Logger) error {
	if !fileLoadMissing() {
		if err := fileLoad(p.kernel, p.initrds, p.cmdline, log); err != nil {
			return err
		}
		log.Info("kexec: loaded with kexec_file_load")
		return nil
	}
	log.Info("kexec: kexec_file_load not available (ENOSYS), using kexec_load")
	fdt, err := os.ReadFile(fdtFile)
	if err != nil {
		return fmt.Errorf("kexec_load needs the running kernel's device tree: %w (a machine booted with ACPI only has none)", err)
	}
	iomem, err := os.ReadFile(iomemFile)
	if err != nil {
		return err
	}
	ram, err := UsableRAM(bytes.NewReader(iomem))
	if err != nil {
		return err
	}
	l, err := ARM64Segments(p.kernel, p.initrds, p.cmdline, fdt, ram)
	if err != nil {
		return err
	}
	return segmentLoad(l, log)
}
