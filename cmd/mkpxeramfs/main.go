// Command mkpxeramfs builds the netboot ramdisk: a static Go init
// (cmd/pxeinit), the kernel modules the network needs, and a CA bundle, as a
// reproducible compressed newc cpio archive.
//
//	mkpxeramfs -o OUT [--arch s390x|amd64|arm64] [--modules-dir DIR] [--module NAME]...
//	           [--file SRC:DEST]... [--compress gzip|zstd|xz|none] [--init PATH]
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

	"github.com/s390netboot/s390netboot/initramfs"
	"github.com/spf13/pflag"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkpxeramfs:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fl := pflag.NewFlagSet("mkpxeramfs", pflag.ContinueOnError)
	fl.SetOutput(stderr)
	out := fl.StringP("output", "o", "", "output file; - for standard output (required)")
	arch := fl.String("arch", initramfs.DefaultArch, "target architecture: s390x, amd64 or arm64")
	modDir := fl.String("modules-dir", "", "lib/modules/VERSION tree to take kernel modules from")
	modules := fl.StringArray("module", nil, `kernel module to include with its dependencies, optionally with parameters ("virtio_net napi_tx=1"); repeatable; default: the architecture's network drivers`)
	files := fl.StringArray("file", nil, "extra file SRC:DEST; repeatable")
	compress := fl.String("compress", string(initramfs.Gzip), "compression: gzip, zstd, xz or none")
	initPath := fl.String("init", "", "prebuilt init binary (default: build "+initramfs.InitPackage+")")
	ca := fl.String("ca-bundle", "", `PEM CA bundle for HTTPS (default: the host's); "none" for none`)
	trustKey := fl.String("trust-key", "", "minisign public key: the client then boots only files signed by it (signed boot; see pxeboot sign)")
	kernelConfig := fl.String("kernel-config", "", "the kernel's configuration file (default: ROOT/boot/config-VERSION for --modules-dir ROOT/lib/modules/VERSION)")
	kexecCheck := fl.String("kexec-check", string(initramfs.KexecCheckAuto), "refuse a kernel whose configuration lacks kexec: auto (warn when no configuration is found), strict (refuse then too) or off")
	verbose := fl.BoolP("verbose", "v", false, "log each step")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: mkpxeramfs -o OUT [flags]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fl.Args())
	}
	if *out == "" {
		return fmt.Errorf("-o OUT is required")
	}
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	c, err := initramfs.ParseCompression(*compress)
	if err != nil {
		return err
	}
	kc, err := initramfs.ParseKexecCheck(*kexecCheck)
	if err != nil {
		return err
	}
	opts := initramfs.Options{
		Arch:         *arch,
		Init:         *initPath,
		ModulesDir:   *modDir,
		CABundle:     *ca,
		TrustKey:     *trustKey,
		Compression:  c,
		KernelConfig: *kernelConfig,
		KexecCheck:   kc,
		Logger:       logger,
	}
	for _, m := range *modules {
		r, err := initramfs.ParseModule(m)
		if err != nil {
			return err
		}
		opts.Modules = append(opts.Modules, r)
	}
	for _, f := range *files {
		r, err := initramfs.ParseFile(f)
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
	if *out == "-" {
		res, err = initramfs.Build(ctx, stdout, opts)
	} else {
		res, err = initramfs.WriteFile(ctx, *out, opts)
	}
	if errors.Is(err, initramfs.ErrCannotKexec) || errors.Is(err, initramfs.ErrNoKernelConfig) || errors.Is(err, initramfs.ErrNotUnpackable) {
		return fmt.Errorf("%w\n(--kexec-check=off builds the ramdisk anyway)", err)
	}
	if err != nil {
		return err
	}
	logger.Info("ramdisk written", "output", *out, "modules", initramfs.Names(res.Modules),
		"init_bytes", res.InitSize, "cpio_bytes", res.Uncompressed, "compressed_bytes", res.Compressed)
	return nil
}
