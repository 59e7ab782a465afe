package kexec

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Image is a kernel to kexec, held in memory as the client downloaded it.
type Image struct {
	// Kernel is the kernel image: an s390 image (also a single boot image
	// with its ramdisk), an x86 bzImage or an arm64 Image (also gzipped).
	Kernel []byte
	// Initrds are the ramdisks, in order. The kernel unpacks them as one
	// (as ConcatInitrds joins them); Load does not join them in memory.
	Initrds [][]byte
	// Cmdline is the kernel command line. Empty keeps the command line an
	// s390 image carries; on amd64 and arm64 it means no command line.
	Cmdline string
}

// Options are the knobs of Load.
type Options struct {
	// Logger receives progress (which system call, the segments). Nil
	// discards it.
	Logger *slog.Logger
}

func (o Options) logger() *slog.Logger { return logging.Or(o.Logger) }

// plan is a validated Image in the form the system calls take.
type plan struct {
	arch    string
	kernel  []byte   // for kexec_file_load
	initrds [][]byte // for kexec_file_load, joined as ConcatInitrds does; none is nil
	cmdline string   // for kexec_file_load
	layout  *Layout  // s390x: for kexec_load
	info    Info
}

// prepare checks img for a machine of the given GOARCH and computes what
// the system calls get. It does no system call, so it is tested on every
// architecture.
func prepare(arch string, img Image) (plan, error) {
	if Calls(arch) == nil {
		return plan{}, archError(arch)
	}
	p := plan{arch: arch, kernel: img.Kernel, initrds: nonEmpty(img.Initrds), cmdline: img.Cmdline}
	if arch == "arm64" {
		k, err := inflateARM64(p.kernel)
		if err != nil {
			return plan{}, err
		}
		p.kernel = k
	}
	if err := CheckKernel(arch, p.kernel); err != nil {
		return plan{}, err
	}
	p.info = Identify(p.kernel)
	if arch == "s390x" {
		l, err := S390Segments(p.kernel, p.initrds, p.cmdline)
		if err != nil {
			return plan{}, err
		}
		p.layout = &l
		// kexec_file_load gets the kernel without an embedded ramdisk, the
		// ramdisk the layout chose and the command line it settled on.
		if k, embedded, _, err := splitS390(p.kernel); err == nil {
			p.kernel = k
			if len(p.initrds) == 0 && len(embedded) > 0 {
				p.initrds = [][]byte{embedded}
			}
		}
		p.cmdline = l.Cmdline
		return p, nil
	}
	if i := strings.IndexByte(p.cmdline, 0); i >= 0 {
		return plan{}, fmt.Errorf("%w: NUL byte at position %d", ErrBadCmdline, i)
	}
	if max := p.info.CmdlineMax; max > 0 && len(p.cmdline) > max-1 {
		return plan{}, fmt.Errorf("%w: %d bytes, this kernel takes at most %d", ErrBadCmdline, len(p.cmdline), max-1)
	}
	return p, nil
}

// Load checks img and loads it as the kernel the next Exec starts. A kernel
// for another architecture, or a file that is no kernel, is refused with a
// *KernelError before any system call.
//
// On s390x and arm64 Load tries kexec_file_load and falls back to
// kexec_load with the segments of S390Segments or ARM64Segments when the
// running kernel lacks it (ENOSYS, as Debian 12's do); on amd64 it uses
// kexec_file_load. The ramdisks and kernel are handed to kexec_file_load
// through memfds.
//
// Errors from the system calls are *SyscallError values that match the
// errno and a sentinel error (ErrPermission, ErrSignature, ...).
func Load(img Image, opts Options) error {
	p, err := prepare(runtime.GOARCH, img)
	if err != nil {
		return err
	}
	log := opts.logger()
	log.Info("kexec: loading", "kernel", p.info.What, "version", p.info.Version,
		"kernel_bytes", len(p.kernel), "initrd_bytes", InitrdsSize(p.initrds), "initrds", len(p.initrds), "cmdline", p.cmdline)
	return load(p, log)
}

// kexecLoadedFile says whether a kexec kernel is loaded.
const kexecLoadedFile = "/sys/kernel/kexec_loaded"

// Loaded reports whether a kernel is loaded for Exec, from
// /sys/kernel/kexec_loaded.
func Loaded() (bool, error) {
	b, err := os.ReadFile(kexecLoadedFile)
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) == "1", nil
}
