// Package ramdiskflags holds the flags of the commands that put a ramdisk
// next to its kernel (mks390image, mkuki) and check, with
// initramfs.RamdiskCheck, that the kernel can unpack it and, for a netboot
// ramdisk, kexec: one wording of the flags and of the hint that follows a
// refusal.
package ramdiskflags

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/initramfs"
)

// Flags are the values of --kernel-config, --kexec-check and
// --foreign-ramdisk.
type Flags struct {
	// KernelConfig is the kernel's configuration file; "" looks next to
	// the kernel and in it (initramfs.KernelConfig).
	KernelConfig string
	// KexecCheck is the --kexec-check mode, for initramfs.ParseKexecCheck.
	KexecCheck string
	// Foreign skips the check.
	Foreign bool
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.KernelConfig, "kernel-config", "", "with a netboot ramdisk (mkpxeramfs): the kernel's configuration `FILE` (default: config-VERSION next to the kernel, or its IKCONFIG)")
	fs.StringVar(&f.KexecCheck, "kexec-check", string(initramfs.KexecCheckAuto), "with a netboot ramdisk: refuse a kernel whose configuration lacks kexec, by `MODE`: auto (warn when none is found), strict (refuse then too) or off")
	fs.BoolVar(&f.Foreign, "foreign-ramdisk", false, "take a ramdisk the kernel cannot unpack as an initramfs (not newc cpio, plain or compressed) as it is")
}

// Report writes err to w as the error of the command name, followed by
// its Hint when there is one:
//
//	mkuki: ramdisk r.img: ...: not unpackable by the kernel
//	mkuki: --foreign-ramdisk takes a payload the kernel is not meant to unpack as it is
func Report(w io.Writer, name string, err error) {
	fmt.Fprintf(w, "%s: %v\n", name, err)
	if h := Hint(err); h != "" {
		fmt.Fprintf(w, "%s: %s\n", name, h)
	}
}

// Hint is the line a command prints after err when the check refused the
// ramdisk or the kernel: the flag that builds anyway. It is "" for other
// errors.
func Hint(err error) string {
	switch {
	case errors.Is(err, initramfs.ErrNotUnpackable):
		return "--foreign-ramdisk takes a payload the kernel is not meant to unpack as it is"
	case errors.Is(err, initramfs.ErrCannotKexec), errors.Is(err, initramfs.ErrNoKernelConfig):
		return "--kexec-check=off builds the image anyway"
	}
	return ""
}
