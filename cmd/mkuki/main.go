// Command mkuki builds a unified kernel image (UKI): systemd's EFI stub
// with a kernel, a ramdisk (the netboot ramdisk of mkpxeramfs), a command
// line and an os-release text in one EFI executable, optionally on an EFI
// system partition image as the removable media path
// (EFI/BOOT/BOOTX64.EFI), where any UEFI machine boots it. The work is
// done by package uki.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/initramfs"
	"github.com/s390netboot/s390netboot/internal/atomicfile"
	"github.com/s390netboot/s390netboot/internal/cli"
	"github.com/s390netboot/s390netboot/internal/ramdiskflags"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/uki"
)

const usage = `Usage:
  mkuki --kernel VMLINUZ --initrd RAMDISK [--cmdline TEXT] [--osrel FILE]
        [--stub STUB] [-o UKI] [--esp IMAGE [--esp-size MIB]]
  mkuki --info UKI

Builds a unified kernel image: systemd's EFI stub (Debian package
systemd-boot-efi) with the kernel, the ramdisk, the command line and an
os-release text as its .linux, .initrd, .cmdline and .osrel sections. -o
writes the EFI executable; --esp writes a FAT32 EFI system partition image
(mkfs.vfat and mcopy: packages dosfstools and mtools) holding it as
EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI for arm64), the path UEFI firmware
boots from a disk or USB stick without boot entries. Outputs appear
complete or not at all. As mks390image does, mkuki refuses a RAMDISK the
kernel cannot unpack and, for a netboot ramdisk, a kernel that cannot kexec
(from its configuration: config-VERSION next to it, or --kernel-config).

Examples:
  mkpxeramfs --arch amd64 --modules-dir /lib/modules/$(uname -r) -o pxeramfs.cpio.gz
  mkuki --kernel /boot/vmlinuz-$(uname -r) --initrd pxeramfs.cpio.gz \
        --cmdline 'console=tty0 console=ttyS0,115200' -o netboot.efi --esp esp.img
  mkuki --info netboot.efi
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status: 0, 1 on failure, 2 on
// a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mkuki", pflag.ContinueOnError)
	fs.SortFlags = false
	var (
		kernel  = fs.String("kernel", "", "the kernel `FILE` (an EFI-stub kernel: vmlinuz)")
		initrd  = fs.String("initrd", "", "the ramdisk `FILE` (mkpxeramfs output)")
		cmdline = fs.String("cmdline", "", "the kernel command line `TEXT`")
		osrel   = fs.String("osrel", "", "the os-release `FILE` for the .osrel section (default: one naming s390netboot)")
		stub    = fs.String("stub", "", "systemd's EFI stub `FILE` (default: "+uki.DefaultStub("amd64")+" or the one for the kernel's architecture)")
		output  = fs.StringP("output", "o", "", "write the UKI to `FILE`")
		esp     = fs.String("esp", "", "write an EFI system partition image holding the UKI at the removable media path to `FILE`")
		espSize = fs.Int64("esp-size", 0, "size of the --esp image in `MIB` (default: the UKI plus 8 MiB, at least 64)")
	)
	var check ramdiskflags.Flags
	check.Register(fs)
	info := fs.Bool("info", false, "describe the UKI given as argument (JSON)")
	if code, done := cli.Parse(fs, args, usage, stdout, stderr); done {
		return code
	}
	usageErr := func(format string, a ...any) int {
		return cli.UsageError(fs, usage, stderr, format, a...)
	}
	fail := func(err error) int {
		ramdiskflags.Report(stderr, "mkuki", err)
		return cli.ExitFail
	}
	if *info {
		if fs.NArg() != 1 {
			return usageErr("--info takes one file")
		}
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fail(err)
		}
		in, err := uki.Inspect(b)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", fs.Arg(0), err))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(in)
		return cli.ExitOK
	}
	kexecCheck, err := initramfs.ParseKexecCheck(check.KexecCheck)
	switch {
	case err != nil:
		return usageErr("%v", err)
	case fs.NArg() != 0:
		return usageErr("unexpected argument %q (the inputs are flags)", fs.Arg(0))
	case *kernel == "":
		return usageErr("--kernel is required")
	case *output == "" && *esp == "":
		return usageErr("say where to write: -o UKI and/or --esp IMAGE")
	case *espSize < 0:
		return usageErr("--esp-size %d: must be positive", *espSize)
	}
	img := uki.Image{Cmdline: *cmdline}
	if img.Kernel, err = os.ReadFile(*kernel); err != nil {
		return fail(err)
	}
	arch := kexec.Identify(img.Kernel).Arch
	if *stub == "" {
		if *stub = uki.DefaultStub(arch); *stub == "" {
			return fail(fmt.Errorf("%s is %s: no default stub for it, give --stub", *kernel, kexec.Identify(img.Kernel).What))
		}
	}
	if img.Stub, err = os.ReadFile(*stub); err != nil {
		return fail(fmt.Errorf("%w (the stub is in Debian's package systemd-boot-efi)", err))
	}
	if *initrd != "" {
		if img.Initrd, err = os.ReadFile(*initrd); err != nil {
			return fail(err)
		}
		if !check.Foreign {
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			check := initramfs.RamdiskCheck(arch, initramfs.KernelConfig{File: check.KernelConfig, Kernel: *kernel}, kexecCheck, log)
			if err := check(bytes.NewReader(img.Initrd)); err != nil {
				return fail(fmt.Errorf("ramdisk %s: %w", *initrd, err))
			}
		}
	}
	if *osrel != "" {
		b, err := os.ReadFile(*osrel)
		if err != nil {
			return fail(err)
		}
		img.OSRelease = string(b)
	}
	out, err := uki.Build(img)
	if err != nil {
		return fail(fmt.Errorf("%s + %s: %w", *stub, *kernel, err))
	}
	if *output != "" {
		if err := atomicfile.WriteFile(*output, out, 0o644); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "mkuki: %s: %d bytes (kernel %d, initrd %d)\n", *output, len(out), len(img.Kernel), len(img.Initrd))
	}
	if *esp != "" {
		p, err := uki.RemovablePath(arch)
		if err != nil {
			return fail(err)
		}
		if err := uki.WriteESP(*esp, *espSize<<20, []uki.ESPFile{{Path: p, Data: out}}); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "mkuki: %s: EFI system partition with %s\n", *esp, p)
	}
	return cli.ExitOK
}
