// Command pxeboot is the network boot client on a running system. Its
// subcommands (the list is commands, below) drive the same boot flow as
// the netboot init (package pxeclient) with the lease given by flags or
// got by DHCP on one interface:
//
//	pxeboot plan --root /srv/tftp --mac 52:54:00:12:34:56 --ip 10.0.2.15
//	pxeboot plan --url tftp://10.0.2.2/ --bootfile s390x/pxelinux.0 --format text
//	pxeboot plan --disk /dev/nvme0n1 --disk vm.img --format text
//	pxeboot fetch --iface eth1 -o /tmp/boot
//	pxeboot boot --url http://boot.example/tftp/ --mac 52:54:00:12:34:56
//	pxeboot sign --key boot.key /srv/tftp
//
// plan stops before anything but configs is fetched; fetch writes the
// chosen entry's files and plan.json (the JSON contract in plan.go) into
// a directory; boot kexecs it. `pxeboot COMMAND --help` prints a
// command's flags on standard output; a bad flag prints them on standard
// error and exits 2.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/pflag"
)

// A command is one subcommand: it parses args (without its own name) and
// returns the exit status.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands, in the order the usage lists them.
var commands = []command{
	{"plan", "show which config, entry and command line a machine gets", runPlan},
	{"fetch", "download the entry a machine would boot, with plan.json", runFetch},
	{"boot", "download the entry a machine would boot and kexec it", runBoot},
	{"sign", "sign the files of a TFTP tree for signed boot (NAME.minisig)", runSign},
	{"keygen", "make a minisign key pair for pxeboot sign", runKeygen},
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed (no config found, fetch failed)
	exitUsage = 2 // bad flags or arguments
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help":
		usage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		name, args = args[1], []string{name, "--help"}
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "pxeboot: unknown command %q\n", name)
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pxeboot COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun pxeboot COMMAND --help for its flags.")
}

// flags are a subcommand's flags and the text of its usage, printed
// before them.
type flags struct {
	*pflag.FlagSet
	text string
}

func newFlags(name, text string) *flags {
	fs := pflag.NewFlagSet("pxeboot "+name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors where they belong
	fs.Usage = func() {}
	return &flags{fs, text}
}

// parse parses args. done says the command ends here with code: after
// --help or -h (the usage on standard output, 0) or a bad flag (the
// error and the usage on standard error, 2).
func (f *flags) parse(args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := f.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		f.usage(stdout)
		return exitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n", f.Name(), err)
		f.usage(stderr)
		return exitUsage, true
	}
	return exitOK, false
}

// fail reports a bad use of the command (a missing or an extra argument)
// with the usage on standard error and gives exitUsage.
func (f *flags) fail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n", f.Name(), fmt.Sprintf(format, args...))
	f.usage(stderr)
	return exitUsage
}

func (f *flags) usage(w io.Writer) {
	fmt.Fprint(w, f.text, "\nflags:\n", f.FlagUsages())
}
