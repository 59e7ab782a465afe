// Command pxeinit is the init (PID 1) of the netboot ramdisk: it brings up
// the network, finds the PXELINUX config of the machine, shows the menu,
// downloads the chosen kernel and initrds and kexecs them. It never exits.
//
// mkpxeramfs puts it at /init. Settings come from the kernel command line
// under the prefix pxeinit. (see platform.Settings):
//
//	pxeinit.iface=IF[,IF...]   pxeinit.ip=ADDR/PREFIX[,GW[,DNS...]]
//	pxeinit.server=ADDR        pxeinit.prefix=DIR/
//	pxeinit.config=URL         pxeinit.label=LABEL
//	pxeinit.timeout=SECONDS    pxeinit.retry=SECONDS
//	pxeinit.qeth=R,W,D         pxeinit.debug
//
// The console shows one "pxeinit: stage=..." line per step (see package
// pxeclient).
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/s390netboot/s390netboot/internal/pid1"
	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

func main() {
	start := time.Now()
	boot(start)
}

// boot runs the init, in this order:
//
//  1. mount /proc, /sys, /dev (devtmpfs), /run and /tmp (already mounted
//     is fine);
//  2. put /dev/console on stdin, stdout and stderr;
//  3. read the pxeinit.* settings from /proc/cmdline (bad ones are
//     reported and ignored);
//  4. ask the kernel whether it can kexec at all (kexec.Probe): one built
//     without kexec can never boot a target, so the init says so and
//     stays there (noKexec) instead of taking a lease and downloading;
//  5. start reaping zombies;
//  6. load the ramdisk's modules in the recorded order (built in or
//     loaded already is fine);
//  7. probe the machine (UUID, DMI strings);
//  8. run the boot flow (pxeclient.Client.Run) for ever: a failure or a
//     panic is reported and the flow starts over.
//
// It never returns.
func boot(start time.Time) {
	early := slog.New(pxeclient.NewConsoleHandler(os.Stderr, "pxeinit", slog.LevelInfo))
	pid1.MountAll(early, pid1.DefaultMounts)
	pid1.Console(early, "/dev/console")

	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		early.Warn("cannot read the kernel command line", "err", err)
	}
	settings, warnings, err := platform.ParseCmdline(string(cmdline))
	level := slog.LevelInfo
	if settings.Debug {
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
		Settings: settings,
		Root:     "/",
		Start:    start,
	}
	switch key, err := signedboot.LoadKey(signedboot.TrustedKeyPath); {
	case errors.Is(err, fs.ErrNotExist):
		log.Debug("signed boot off: no trusted key", "path", signedboot.TrustedKeyPath)
	case err != nil:
		log.Error("signed boot: the trusted key cannot be used; refusing every file", "path", signedboot.TrustedKeyPath, "err", err)
		c.TrustErr = err
	default:
		log.Info("signed boot: configs, kernels and initrds need a signature", "key_id", key.ID.String())
		c.TrustedKey = key
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
