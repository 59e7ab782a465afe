// Command mkpxeramfs builds the netboot ramdisk: a static Go init
// (cmd/pxeinit), the kernel modules the network needs, and a CA bundle, as a
// reproducible compressed newc cpio archive.
//
//	mkpxeramfs -o OUT [--arch s390x|amd64|arm64] [--modules-dir DIR] [--module NAME]...
//	           [--module-set net,disk] [--file SRC:DEST]... [--compress gzip|zstd|xz|none] [--init PATH]
//	           [--ca-bundle PATH|none] [--trust-key MINISIGN.pub]
//
// `-o -` writes to standard output, so that
//
//	mkpxeramfs --modules-dir /lib/modules/6.1.0-50-s390x -o - | mks390image kernel - -o pxelinux.0
//
// works. Without --init the init is built with the go command, from the
// checkout the working directory is in or, for a mkpxeramfs installed with
// `go install github.com/s390netboot/s390netboot/cmd/mkpxeramfs@VERSION`,
// from the same VERSION in the module cache (see initramfs.GoInit).
// SOURCE_DATE_EPOCH, when set, is the time stamp of every archive member
// (default 0).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/s390netboot/s390netboot/initramfs"
	"github.com/s390netboot/s390netboot/internal/cli"
	"github.com/spf13/pflag"
)

const usage = `Usage:
  mkpxeramfs -o OUT [--arch s390x|amd64|arm64] [--modules-dir DIR] [--module NAME]...
             [--module-set net,disk] [--file SRC:DEST]... [--compress gzip|zstd|xz|none] [--init PATH]
             [--ca-bundle FILE|none] [--trust-key MINISIGN.pub]
             [--kernel-config FILE] [--kexec-check auto|strict|off]

Builds the netboot ramdisk: /init (the Go client cmd/pxeinit, built for
--arch), the kernel modules the network and the local disks need with
their dependencies (from --modules-dir, an unpacked lib/modules/VERSION
tree; --module-set net for a network-only ramdisk), a CA bundle for
HTTPS and the --file extras, as a reproducible compressed newc cpio
archive. -o - writes standard output. SOURCE_DATE_EPOCH sets the time
stamp of every member (default 0).

Examples:
  mkpxeramfs -o pxeramfs.cpio.gz --modules-dir /lib/modules/6.1.0-43-s390x
  mkpxeramfs -o - --modules-dir DIR | mks390image vmlinuz - -o pxelinux.0
  mkpxeramfs -o netonly.cpio.gz --module-set net --modules-dir DIR
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status (see package cli).
func run(args []string, stdout, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fl := pflag.NewFlagSet("mkpxeramfs", pflag.ContinueOnError)
	var f buildFlags
	fl.StringVarP(&f.out, "output", "o", "", "output file; - for standard output (required)")
	fl.StringVar(&f.arch, "arch", initramfs.DefaultArch, "target architecture: s390x, amd64 or arm64")
	fl.StringVar(&f.modDir, "modules-dir", "", "lib/modules/VERSION tree to take kernel modules from")
	fl.StringArrayVar(&f.modules, "module", nil, `kernel module to include with its dependencies, optionally with parameters ("virtio_net napi_tx=1"); repeatable; alone, it replaces the default module sets`)
	fl.StringSliceVar(&f.sets, "module-set", initramfs.DefaultModuleSets, "module sets to include, comma-separated or repeated: "+strings.Join(initramfs.ModuleSets(), ", ")+` ("net" alone: a network-only ramdisk)`)
	fl.StringArrayVar(&f.files, "file", nil, "extra file SRC:DEST; repeatable")
	fl.StringVar(&f.compress, "compress", string(initramfs.Gzip), "compression: gzip, zstd, xz or none")
	fl.StringVar(&f.initPath, "init", "", "prebuilt init binary (default: build "+initramfs.InitPackage+")")
	fl.StringVar(&f.ca, "ca-bundle", "", `PEM CA bundle for HTTPS (default: the host's); "none" for none`)
	fl.StringVar(&f.trustKey, "trust-key", "", "minisign public key: the client then boots only files signed by it (signed boot; see pxeboot sign)")
	fl.StringVar(&f.kernelConfig, "kernel-config", "", "the kernel's configuration file (default: ROOT/boot/config-VERSION for --modules-dir ROOT/lib/modules/VERSION)")
	fl.StringVar(&f.kexecCheck, "kexec-check", string(initramfs.KexecCheckAuto), "refuse a kernel whose configuration lacks kexec: auto (warn when no configuration is found), strict (refuse then too) or off")
	verbose := fl.BoolP("verbose", "v", false, "log each step")
	if code, done := cli.Parse(fl, args, usage, stdout, stderr); done {
		return code
	}
	if fl.NArg() > 0 {
		return cli.UsageError(fl, usage, stderr, "unexpected arguments %q", fl.Args())
	}
	if f.out == "" {
		return cli.UsageError(fl, usage, stderr, "-o OUT is required")
	}
	if !fl.Changed("module-set") {
		f.sets = nil // the default sets, or none when --module names modules
	}
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if err := build(stdout, logger, f); err != nil {
		fmt.Fprintln(stderr, "mkpxeramfs:", err)
		return cli.ExitFail
	}
	return cli.ExitOK
}

// buildFlags are the flag values build works from.
type buildFlags struct {
	out, arch, modDir, compress, initPath, ca, trustKey string
	kernelConfig, kexecCheck                            string
	modules, files, sets                                []string
}

// build makes the ramdisk the flags ask for.
func build(stdout io.Writer, logger *slog.Logger, f buildFlags) error {
	c, err := initramfs.ParseCompression(f.compress)
	if err != nil {
		return err
	}
	kc, err := initramfs.ParseKexecCheck(f.kexecCheck)
	if err != nil {
		return err
	}
	opts := initramfs.Options{
		Arch:         f.arch,
		Init:         f.initPath,
		ModulesDir:   f.modDir,
		CABundle:     f.ca,
		TrustKey:     f.trustKey,
		ModuleSets:   f.sets,
		Compression:  c,
		KernelConfig: f.kernelConfig,
		KexecCheck:   kc,
		Logger:       logger,
	}
	for _, m := range f.modules {
		r, err := initramfs.ParseModule(m)
		if err != nil {
			return err
		}
		opts.Modules = append(opts.Modules, r)
	}
	for _, file := range f.files {
		r, err := initramfs.ParseFile(file)
		if err != nil {
			return err
		}
		opts.Files = append(opts.Files, r)
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		t, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970 that fit in 32 bits (newc's limit): %w", s, err)
		}
		opts.ModTime = uint32(t)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var res *initramfs.Result
	if f.out == "-" {
		res, err = initramfs.Build(ctx, stdout, opts)
	} else {
		res, err = initramfs.WriteFile(ctx, f.out, opts)
	}
	if errors.Is(err, initramfs.ErrCannotKexec) || errors.Is(err, initramfs.ErrNoKernelConfig) || errors.Is(err, initramfs.ErrNotUnpackable) {
		return fmt.Errorf("%w\n(--kexec-check=off builds the ramdisk anyway)", err)
	}
	if err != nil {
		return err
	}
	logger.Info("ramdisk written", "output", f.out, "modules", initramfs.Names(res.Modules),
		"init_bytes", res.InitSize, "cpio_bytes", res.Uncompressed, "compressed_bytes", res.Compressed)
	return nil
}
