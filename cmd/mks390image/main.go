// Command mks390image builds s390 (IBM Z) single boot images: a kernel and
// its ramdisk in one file that QEMU's s390-ccw firmware network-boots and
// an LPAR or z/VM guest IPLs. It also inspects and splits such images and
// writes the .ins load files of the IBM Z "load from removable media or
// server" procedures. The work is done by package s390image.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/initramfs"
	"github.com/s390netboot/s390netboot/internal/cli"
	"github.com/s390netboot/s390netboot/internal/ramdiskflags"
	"github.com/s390netboot/s390netboot/s390image"
)

const usage = `Usage:
  mks390image KERNEL RAMDISK -o IMAGE [--cmdline TEXT | --parmfile FILE]
  mks390image IMAGE -o NEW --cmdline TEXT      (change only the command line)
  mks390image --info [--json] IMAGE
  mks390image --extract IMAGE KERNEL_OUT RAMDISK_OUT
  mks390image --ins DIR KERNEL [RAMDISK] [--cmdline TEXT | --parmfile FILE]

Builds an s390 single boot image: KERNEL (an s390 vmlinuz/bzImage, not a
vmlinux) zero-padded to 4096 bytes, RAMDISK appended unchanged, and the
ramdisk's offset and size written at 0x10408 and 0x10410. Without
--cmdline or --parmfile nothing else changes. A KERNEL that already is a
single boot image gets its ramdisk replaced. RAMDISK "-" reads standard
input, -o - writes standard output. The output is written to a temporary
file and renamed, so it appears complete or not at all.

Examples:
  mks390image /boot/vmlinuz initrd.cpio.gz -o pxelinux.0
  mks390image vmlinuz initrd.img -o pxelinux.0 --cmdline 'console=ttysclp0 quiet'
  find . | cpio -o -H newc | gzip | mks390image vmlinuz - -o pxelinux.0
  mks390image --info pxelinux.0
  mks390image --extract pxelinux.0 vmlinuz initrd.img
  mks390image --ins /srv/ftp/linux pxelinux.0 --parmfile generic.prm
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status: 0, 1 on failure, 2 on
// a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("mks390image", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var (
		output   = fs.StringP("output", "o", "", "write the image to `FILE` (- for standard output)")
		cmdline  = fs.StringP("cmdline", "c", "", "set the kernel command line to `TEXT`")
		parmfile = fs.StringP("parmfile", "p", "", "set the kernel command line from an s390 parameter `FILE` (lines are joined)")
		info     = fs.Bool("info", false, "describe IMAGE: kernel version, command line, ramdisk")
		asJSON   = fs.Bool("json", false, "with --info: print JSON")
		extract  = fs.BoolP("extract", "x", false, "split IMAGE into KERNEL_OUT and RAMDISK_OUT (either may be -)")
		insDir   = fs.String("ins", "", "write IBM Z load files (kernel.img, initrd.img, generic.prm, initrd.addrsize, generic.ins) into `DIR`")
	)
	var check ramdiskflags.Flags
	check.Register(fs)
	verbose := fs.BoolP("verbose", "v", false, "log what is done")
	version := fs.Bool("version", false, "print the version and exit")
	if code, done := cli.Parse(fs, args, usage, stdout, stderr); done {
		return code
	}
	usageErr := func(format string, a ...any) int {
		return cli.UsageError(fs, usage, stderr, format, a...)
	}
	fail := func(err error) int {
		if errors.Is(err, s390image.ErrBadCmdline) && fs.Changed("parmfile") {
			err = fmt.Errorf("parameter file %s: %w", *parmfile, err)
		}
		ramdiskflags.Report(stderr, "mks390image", err)
		return 1
	}
	if *version {
		fmt.Fprintln(stdout, versionString())
		return 0
	}

	opts := s390image.Options{Stdin: stdin, Stdout: stdout}
	// Warnings are always shown; --verbose shows the rest.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
		log = opts.Logger
	}
	kexecCheck, err := initramfs.ParseKexecCheck(check.KexecCheck)
	if err != nil {
		return usageErr("%v", err)
	}
	switch {
	case fs.Changed("cmdline") && fs.Changed("parmfile"):
		return usageErr("--cmdline and --parmfile both set the command line: give one")
	case fs.Changed("cmdline"):
		opts.Cmdline, opts.SetCmdline = *cmdline, true
	case fs.Changed("parmfile"):
		b, err := os.ReadFile(*parmfile)
		if err != nil {
			return fail(fmt.Errorf("parameter file: %w", err))
		}
		opts.Cmdline, opts.SetCmdline = s390image.ParseParmfile(string(b)), true
	}
	modes := 0
	for _, m := range []bool{*info, *extract, *insDir != ""} {
		if m {
			modes++
		}
	}
	if modes > 1 {
		return usageErr("--info, --extract and --ins are separate tasks: give one")
	}
	if *asJSON && !*info {
		return usageErr("--json goes with --info")
	}
	if (*info || *extract) && (opts.SetCmdline || *output != "") {
		return usageErr("--info and --extract take no --cmdline, --parmfile or -o")
	}
	pos := fs.Args()
	if !check.Foreign && len(pos) > 0 {
		// The kernel is the first argument of a build and of --ins.
		kc := initramfs.KernelConfig{File: check.KernelConfig, Kernel: pos[0]}
		opts.CheckRamdisk = initramfs.RamdiskCheck("s390x", kc, kexecCheck, log)
	}

	switch {
	case *info:
		if len(pos) != 1 {
			return usageErr("--info takes one IMAGE, got %d arguments", len(pos))
		}
		inf, err := s390image.InspectFile(pos[0])
		if err != nil {
			return fail(err)
		}
		rd := identifyRamdisk(pos[0], inf)
		if *asJSON {
			if code := printJSON(stdout, stderr, pos[0], inf, rd); code != 0 {
				return code
			}
		} else {
			printInfo(stdout, pos[0], inf, rd)
		}
		if rd.Problem != "" && !check.Foreign {
			fmt.Fprintf(stderr, "mks390image: %s: the ramdisk: %s\n", pos[0], rd.Problem)
			return 1
		}

	case *extract:
		if len(pos) != 3 {
			return usageErr("--extract takes IMAGE KERNEL_OUT RAMDISK_OUT, got %d arguments", len(pos))
		}
		l, err := s390image.ExtractFile(pos[0], pos[1], pos[2], opts)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "%s: kernel %d bytes -> %s, ramdisk %d bytes at %#x -> %s\n",
			pos[0], l.KernelSize, pos[1], l.RamdiskSize, l.RamdiskOffset, pos[2])

	case *insDir != "":
		if len(pos) < 1 || len(pos) > 2 {
			return usageErr("--ins DIR takes KERNEL [RAMDISK], got %d arguments", len(pos))
		}
		if *output != "" {
			return usageErr("--ins writes into DIR and takes no -o")
		}
		rd := ""
		if len(pos) == 2 {
			rd = pos[1]
		}
		l, err := s390image.WriteLoadDir(*insDir, pos[0], rd, opts)
		if err != nil {
			return fail(err)
		}
		if l.FromImage {
			fmt.Fprintf(stderr, "%s is a single boot image: its ramdisk becomes %s\n", pos[0], s390image.InsInitrdName)
		}
		for _, e := range l.Entries {
			fmt.Fprintf(stderr, "%s/%s at %#010x\n", *insDir, e.Name, e.Addr)
		}
		fmt.Fprintf(stderr, "command line %q\n", l.Cmdline)

	default:
		if len(pos) < 1 || len(pos) > 2 {
			return usageErr("expected KERNEL RAMDISK -o IMAGE, got %d arguments", len(pos))
		}
		if *output == "" {
			return usageErr("no output: give -o IMAGE (or -o - for standard output)")
		}
		rd := ""
		if len(pos) == 2 {
			rd = pos[1]
		} else if !opts.SetCmdline {
			return usageErr("no RAMDISK and no --cmdline: nothing to do")
		}
		l, err := s390image.BuildFile(*output, pos[0], rd, opts)
		if err != nil {
			return fail(err)
		}
		if l.ReplacedRamdisk > 0 {
			fmt.Fprintf(stderr, "%s already is a single boot image: replaced its %d-byte ramdisk\n", pos[0], l.ReplacedRamdisk)
		}
		fmt.Fprintf(stderr, "%s: kernel %d bytes, ramdisk %d bytes at %#x, command line %q\n",
			displayName(*output), l.KernelSize, l.RamdiskSize, l.RamdiskOffset, l.Cmdline)
	}
	return 0
}

func displayName(path string) string {
	if path == s390image.StdioPath {
		return "standard output"
	}
	return path
}

// ramdiskInfo is what --info says about the ramdisk in an image.
type ramdiskInfo struct {
	Format  string `json:"ramdisk_format,omitempty"`  // what initramfs.Identify found
	Problem string `json:"ramdisk_problem,omitempty"` // why the kernel cannot unpack it
}

// identifyRamdisk checks the ramdisk inside the image path.
func identifyRamdisk(path string, i *s390image.Info) ramdiskInfo {
	if !i.RamdiskInFile {
		return ramdiskInfo{}
	}
	f, err := os.Open(path)
	if err != nil {
		return ramdiskInfo{Problem: err.Error()}
	}
	defer f.Close()
	c, err := initramfs.Identify(io.NewSectionReader(f, int64(i.RamdiskOffset), int64(i.RamdiskSize)))
	if err != nil {
		return ramdiskInfo{Problem: err.Error()}
	}
	return ramdiskInfo{Format: c.String()}
}

func printInfo(w io.Writer, name string, i *s390image.Info, rd ramdiskInfo) {
	fmt.Fprintf(w, "file:           %s (%d bytes)\n", name, i.Size)
	fmt.Fprintf(w, "magic:          %s at %#x\n", i.Magic, s390image.MagicOffset)
	v := i.KernelVersion
	if v == "" {
		v = "(not recorded)"
	}
	fmt.Fprintf(w, "kernel version: %s\n", v)
	fmt.Fprintf(w, "kernel:         %d bytes\n", i.KernelSize)
	switch {
	case i.RamdiskInFile:
		fmt.Fprintf(w, "ramdisk:        %d bytes at %#x, in the file: a single boot image\n", i.RamdiskSize, i.RamdiskOffset)
	case i.RamdiskSize == 0 && i.RamdiskOffset == 0:
		fmt.Fprintf(w, "ramdisk:        none\n")
	default:
		fmt.Fprintf(w, "ramdisk:        %d bytes at %#x, not in the file\n", i.RamdiskSize, i.RamdiskOffset)
	}
	switch {
	case rd.Format != "":
		fmt.Fprintf(w, "ramdisk format: %s\n", rd.Format)
	case rd.Problem != "":
		fmt.Fprintf(w, "ramdisk format: %s\n", rd.Problem)
	}
	maxFrom := "announced by the kernel"
	if !i.CmdlineMaxStored {
		maxFrom = "legacy default"
	}
	fmt.Fprintf(w, "command line:   %q (%d of at most %d bytes, %s)\n", i.Cmdline, len(i.Cmdline), i.CmdlineMax-1, maxFrom)
	for _, n := range i.Notes {
		fmt.Fprintf(w, "note:           %s\n", n)
	}
}

func printJSON(stdout, stderr io.Writer, name string, i *s390image.Info, rd ramdiskInfo) int {
	b, err := json.MarshalIndent(struct {
		File string `json:"file"`
		*s390image.Info
		ramdiskInfo
	}{name, i, rd}, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "mks390image: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return 0
}

// versionString describes the build from debug.ReadBuildInfo: the module
// version, the VCS revision and the Go version.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mks390image (no build information)"
	}
	parts := []string{"mks390image", bi.Main.Version}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		parts = append(parts, "revision "+rev[:min(12, len(rev))]+modified)
	}
	return strings.Join(append(parts, bi.GoVersion), " ")
}
