// Command pxeinit is the init (PID 1) of the netboot ramdisk: it brings up
// the network, finds the PXELINUX config of the machine and, at the same
// time, the systems installed on its disks, shows them in one menu,
// reads the chosen kernel and initrds and kexecs them. It never exits.
//
// mkpxeramfs puts it at /init. Settings come from the kernel command line
// as pxeinit.NAME=VALUE words; the list is the table of package
// internal/settings (settings.Doc, shown in the README).
//
// The console shows one "pxeinit: stage=..." line per step (see package
// pxeclient).
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/s390netboot/s390netboot/internal/pid1"
	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

const usage = `Usage: pxeinit   (as PID 1, the /init of the ramdisk mkpxeramfs builds)

pxeinit is the init of the netboot ramdisk: it mounts the kernel file
systems, loads the ramdisk's modules, brings up the network, finds the
PXELINUX config and the systems on the machine's disks (mounted
read-only), shows them in one menu, fetches the chosen entry and kexecs
it. It never exits. It takes its settings from the kernel command line (pxeinit.*,
see the README) and runs only as process 1; on a running system use
pxeboot (plan, fetch, boot) instead.
`

func main() {
	start := time.Now()
	if os.Getpid() != 1 {
		os.Exit(notInit(os.Args[1:], os.Stdout, os.Stderr))
	}
	// As PID 1, arguments are what the kernel passes on from its
	// command line (words it does not know): not flags of ours.
	boot(start)
}

// notInit is pxeinit started as anything but PID 1: --help prints the
// usage; anything else is refused, since the init mounts file systems and
// takes over the console.
func notInit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "pxeinit: runs only as process 1 (this is pid %d)\n\n%s", os.Getpid(), usage)
	return 2
}

// boot runs the init, in this order:
//
//  1. mount /proc, /sys, /dev (devtmpfs), /run and /tmp (already mounted
//     is fine);
//  2. put /dev/console on stdin, stdout and stderr;
//  3. read the pxeinit.* settings from /proc/cmdline (bad ones are
//     reported and ignored) and the signed-boot policy (a trusted key in
//     the ramdisk: on; none: off; unreadable: every file refused);
//  4. ask the kernel whether it can kexec at all (kexec.Probe): one built
//     without kexec can never boot a target, so the init says so and
//     stays there (noKexec) instead of taking a lease and downloading;
//  5. start reaping zombies;
//  6. load the ramdisk's modules in the recorded order (built in or
//     loaded already is fine);
//  7. probe the machine (UUID, DMI strings);
//  8. run the boot flow (pxeclient.Client.Run) for ever, with the disk
//     source (Client.ScanDisks) beside the network as pxeinit.boot=
//     says: a failure or a panic is reported and the flow starts over.
//
// It never returns.
func boot(start time.Time) {
	early := slog.New(pxeclient.NewConsoleHandler(os.Stderr, "pxeinit", slog.LevelInfo))
	pid1.MountAll(early, pid1.DefaultMounts)
	pid1.Console(early, "/dev/console")

	cmdline, err := os.ReadFile("/" + settings.CmdlineFile)
	if err != nil {
		early.Warn("cannot read the kernel command line", "err", err)
	}
	set, warnings, err := settings.Parse(string(cmdline))
	level := slog.LevelInfo
	if set.Debug {
		level = slog.LevelDebug
	}
	h := pxeclient.NewConsoleHandler(os.Stdout, "pxeinit", level)
	log := slog.New(h)
	log.Info(fmt.Sprintf("starting on %s/%s, pid %d", runtime.GOOS, runtime.GOARCH, os.Getpid()),
		"cmdline", strings.TrimSpace(string(cmdline)))
	for _, w := range warnings {
		log.Warn(w)
	}
	if err != nil {
		log.Error(err.Error())
	}
	if err := kexec.Probe(); err != nil {
		noKexec(log, err)
	}

	ctx := context.Background()
	go pid1.Reap(ctx, log)

	c := &pxeclient.Client{
		Log:      log,
		Console:  os.Stdout,
		UI:       menu.New(os.Stdin, os.Stdout, nil),
		LogLines: h.Lines,
		Settings: set,
		Root:     "/",
		Start:    start,
		Signed:   signedboot.LoadPolicy(signedboot.TrustedKeyPath),
	}
	c.Disks = c.ScanDisks
	switch {
	case c.Signed.Err() != nil:
		log.Error(c.Signed.String(), "path", signedboot.TrustedKeyPath)
	case c.Signed.Enabled():
		log.Info(c.Signed.String(), "path", signedboot.TrustedKeyPath)
	default:
		log.Debug(c.Signed.String(), "path", signedboot.TrustedKeyPath)
	}
	if err := pid1.Recover(func() error { return modload.LoadAll("/", log) }); err != nil {
		log.Warn("modules", "err", err)
	}
	c.Stage("modules")
	c.Machine = platform.Probe("/", runtime.GOARCH, log)
	if c.Machine.UUID != "" {
		log.Info("machine", "uuid", c.Machine.UUID)
	}
	loop(ctx, log, c)
}

// noKexecRepeat is how often the init repeats on a kernel that cannot
// kexec why it does nothing, for a console that is looked at later.
const noKexecRepeat = time.Minute

// noKexec is step 4's end on a kernel that cannot kexec: it says why
// every noKexecRepeat and never returns.
func noKexec(log *slog.Logger, err error) {
	for {
		log.Error(err.Error())
		time.Sleep(noKexecRepeat)
	}
}

// loopPause is the pause before the boot flow starts again after it
// returned or panicked (Client.Run itself waits the retry time after a
// failed pass; this only keeps a flow that fails at once from spinning).
const loopPause = time.Second

// loop is step 8: the boot flow for ever. A panic that escapes
// Client.Run is reported with where it happened and the flow starts
// again. It never returns.
func loop(ctx context.Context, log *slog.Logger, c *pxeclient.Client) {
	pid1.Forever(log, loopPause, func() error { return c.Run(ctx) })
}
