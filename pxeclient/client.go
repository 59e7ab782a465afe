package pxeclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/pid1"
	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient/dhcp"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// Defaults of the boot flow.
const (
	// DefaultRetry is how long the command prompt waits before starting
	// over from DHCP after a failure, when DHCP option 211 and
	// pxeinit.retry= do not say (PXELINUX's default for option 211 is
	// 300 s; a minute brings a machine back sooner once the server is
	// fixed).
	DefaultRetry = 60 * time.Second
	// MaxOnError bounds how many ONERROR commands run one after another
	// (an ONERROR that names a failing entry would loop for ever).
	MaxOnError = 3
	// MaxFollow bounds CONFIG chains (a config that names itself).
	MaxFollow = 8
	// MaxWarningsShown is how many warnings of one config file the client
	// logs; the rest are counted in one line. A file of garbage gives
	// thousands (4041 for 1 MiB of random bytes), minutes of output on
	// a slow line console such as the SCLP's.
	MaxWarningsShown = 10
)

// ErrNothingToBoot is returned when the config gives nothing the client
// can boot unattended.
var ErrNothingToBoot = errors.New("nothing to boot")

// Lease is the outcome of the network step: what the client knows about
// itself and where to fetch from.
type Lease struct {
	// Interface is the link that was configured ("" when none was, as in
	// pxeboot with lease flags).
	Interface string
	Facts     pxelinux.Facts
	// Source is where files on the boot server are fetched from; the zero
	// value means TFTPSource(Facts.Server).
	Source Source
}

// Booter loads and starts a kernel. The default (kexec.Load then
// kexec.Exec) returns only on failure.
type Booter func(img kexec.Image, log *slog.Logger) error

// Client is the boot flow. Fields left zero take the defaults noted.
type Client struct {
	// Log receives messages and stage lines (see the package doc); nil
	// discards them.
	Log *slog.Logger
	// Console receives download progress; nil means none.
	Console io.Writer
	// UI shows the menu and the command prompt; nil boots unattended only
	// (pxeboot) and Run then retries after the retry time.
	UI *menu.UI
	// LogLines gives the log for the prompt's log command (ConsoleHandler.Lines).
	LogLines func() []string
	// Settings are the pxeinit.* options; Machine the platform facts
	// (UUID, DMI strings).
	Settings platform.Settings
	Machine  platform.Machine
	// Root is the root of /sys and /proc for the platform steps ("/").
	Root string
	// Arch is the GOARCH of the kernels to boot (runtime.GOARCH).
	Arch string
	// Start is when the boot began, the zero of the stage lines' t=
	// (time.Now() when Run or Once is first called).
	Start time.Time
	// Network brings up the network and returns the lease; nil is
	// LinkNetwork, the real thing.
	Network func(ctx context.Context) (*Lease, error)
	// Fetch tunes the downloads (Progress and Logger are filled in).
	Fetch fetch.Options
	// DHCP tunes the DHCP client (UUID defaults to Machine.UUID; Arch to
	// the option-93 code of this GOARCH).
	DHCP dhcp.Options
	// NetApply tunes the configuration of the leased link; pxeboot on a
	// running system points ResolvConf away from /etc/resolv.conf.
	NetApply netconf.ApplyOptions
	// TrustedKey turns on signed boot: every config, kernel and initrd
	// must carry a valid NAME.minisig by this key (package verify). nil
	// is off, unless TrustErr is set.
	TrustedKey *minisign.PublicKey
	// TrustErr, when set, is why a trusted key that the ramdisk holds
	// could not be read: the client then refuses every file (fail closed)
	// and reports it.
	TrustErr error
	// Boot loads and starts the kernel; nil is kexec.
	Boot Booter
	// Reboot and Poweroff end the machine; nil are pid1's.
	Reboot, Poweroff func() error

	stages *stages
	// What the last pass got to, for the command prompt.
	lease *Lease
	cfg   *pxelinux.Config
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c *Client) init() {
	c.log()
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	if c.stages == nil {
		c.stages = newStages(c.Log, c.Start)
	}
	if c.Arch == "" {
		c.Arch = runtime.GOARCH
	}
	if c.Root == "" {
		c.Root = "/"
	}
}

// Stage writes a stage line (for steps the caller runs itself, such as
// pxeinit's module loading).
func (c *Client) Stage(name string, attrs ...any) {
	c.init()
	c.stages.mark(name, attrs...)
}

// Run is the init's loop and never returns while ctx lives: Once, and
// after a failure the command prompt, which starts over from DHCP after
// the retry time. A panic in a pass is reported with where it happened
// and treated as a failure. Each failure is logged once, with what
// happens next (next=...).
func (c *Client) Run(ctx context.Context) error {
	c.init()
	for {
		err := pid1.Recover(func() error { return c.Once(ctx) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil // only a test Booter returns after booting
		}
		c.logFailure(err, c.nextStep())
		if err := c.afterFailure(ctx); ctx.Err() != nil {
			return ctx.Err()
		} else if err != nil {
			c.Log.Error(err.Error())
		}
	}
}

// nextStep says what Run does after a failed pass, for the log line of
// the failure.
func (c *Client) nextStep() string {
	retry := c.retryTime()
	switch {
	case c.UI == nil:
		return fmt.Sprintf("starting over in %.0f s", max(retry, time.Second).Seconds())
	case retry > 0:
		return fmt.Sprintf("command prompt, starting over in %.0f s", retry.Seconds())
	}
	return "command prompt"
}

// logFailure logs a failed pass or boot once: the part of err not logged
// yet (see bootError), or a panic's value with where it happened
// (where=FUNCTION FILE:LINE, as pid1.Forever writes it) and the stack;
// then next, what happens now.
func (c *Client) logFailure(err error, next string) {
	var pe *pid1.PanicError
	if errors.As(err, &pe) {
		c.Log.Error(pe.Error(), "where", pe.Where(), "next", next)
		return
	}
	var be *bootError
	if errors.As(err, &be) {
		err = be.last
	}
	c.Log.Error(err.Error(), "next", next)
}

// afterFailure runs the command prompt until the user (or the retry time)
// decides to start over.
func (c *Client) afterFailure(ctx context.Context) error {
	retry := c.retryTime()
	for {
		if c.UI == nil {
			c.Log.Info(fmt.Sprintf("starting over in %.0f s", max(retry, time.Second).Seconds()))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(max(retry, time.Second)):
			}
			return nil
		}
		act, err := c.UI.Prompt(ctx, c.cfg, retry, c.LogLines)
		if err != nil {
			return err
		}
		switch act.Kind {
		case menu.Retry:
			return nil
		case menu.Reboot, menu.Poweroff:
			f, name := c.Reboot, "reboot"
			if act.Kind == menu.Poweroff {
				f, name = c.Poweroff, "poweroff"
				if f == nil {
					f = pid1.Poweroff
				}
			} else if f == nil {
				f = pid1.Reboot
			}
			if err := f(); err != nil {
				c.Log.Error(fmt.Sprintf("%s: %v", name, err))
			}
		case menu.Boot:
			c.stages.mark("choice", "label", act.Choice.Entry.Label, "via", "typed")
			if err := pid1.Recover(func() error { return c.bootFrom(ctx, c.cfg, act.Choice) }); err != nil {
				c.logFailure(err, c.nextStep())
			}
		}
	}
}

// retryTime is option 211 (0: wait for the user), else pxeinit.retry=,
// else DefaultRetry.
func (c *Client) retryTime() time.Duration {
	if c.lease != nil && c.lease.Facts.RebootTime >= 0 {
		return time.Duration(c.lease.Facts.RebootTime) * time.Second
	}
	if c.Settings.RetrySet {
		return c.Settings.Retry
	}
	return DefaultRetry
}

// Once runs one pass of the boot flow: network, config, choice, fetch,
// kexec. It returns only when something failed (a successful kexec does
// not return), with an error that says what and where.
func (c *Client) Once(ctx context.Context) error {
	c.init()
	c.cfg = nil
	lease, err := c.network(ctx)
	if err != nil {
		return err
	}
	c.lease = lease
	cfg, err := c.LoadConfig(ctx, lease)
	if err != nil {
		return err
	}
	c.cfg = cfg
	ch, _, err := c.Choose(ctx, cfg) // Choose writes the choice stage line
	if err != nil {
		return err
	}
	return c.bootFrom(ctx, cfg, ch)
}

func (c *Client) network(ctx context.Context) (*Lease, error) {
	var l *Lease
	var err error
	if c.Network != nil {
		l, err = c.Network(ctx)
	} else {
		l, err = c.LinkNetwork(ctx)
	}
	if err != nil {
		return nil, err
	}
	if c.Settings.Server.IsValid() {
		c.Log.Info("boot server from pxeinit.server", "server", c.Settings.Server)
		l.Facts.Server = c.Settings.Server
		l.Source = Source{}
	}
	if c.Settings.Prefix != "" {
		l.Facts.PathPrefix = c.Settings.Prefix
	}
	if l.Facts.UUID == "" {
		l.Facts.UUID = c.Machine.UUID
	}
	if l.Facts.Sys == nil {
		l.Facts.Sys = c.Machine.Sys
	}
	if l.Source.Base == "" {
		if !l.Facts.Server.IsValid() {
			return nil, fmt.Errorf("the lease on %s names no boot server (no option 66, siaddr or option 54): set pxeinit.server=", l.Interface)
		}
		l.Source = TFTPSource(l.Facts.Server)
	}
	return l, nil
}

// fetcher returns a Fetcher with the client's options and progress on the
// console.
func (c *Client) fetcher(progress bool) *fetch.Fetcher {
	return fetch.New(c.fetchOptions(progress))
}

func (c *Client) fetchOptions(progress bool) fetch.Options {
	o := c.Fetch
	if o.Logger == nil {
		o.Logger = c.Log
	}
	if progress && o.Progress == nil && c.Console != nil {
		o.Progress = fetch.NewLineProgress(c.Console, time.Second)
	}
	return o
}

// maxConfigBuffer is the largest buffer the config fetcher allocates:
// twice the parser's per-file limit, because the memory check sees
// buffer sizes, not file sizes. When the server does not announce the
// size (HTTP without Content-Length) the buffer doubles as data comes
// (64 KiB, 128 KiB, ..., 1 MiB), and a config of exactly
// pxelinux.DefaultMaxFileSize asks for the next step before its end shows.
// A file between one and two times the limit arrives and the parser
// refuses it with its own message.
const maxConfigBuffer = 2 * pxelinux.DefaultMaxFileSize

// configTooBigError is the config fetcher's memory check refusing a
// buffer larger than maxConfigBuffer. It matches pxelinux.ErrLimit, which
// says what it is, and fetch.ErrNoMemory, as the check's contract asks:
// the fetch then stops at once, is not tried again, and a TFTP server is
// told.
type configTooBigError struct{ max int64 }

func (e *configTooBigError) Error() string {
	return fmt.Sprintf("more than the %d bytes a config file may have: %v", e.max, pxelinux.ErrLimit)
}

func (e *configTooBigError) Is(target error) bool {
	return target == pxelinux.ErrLimit || target == fetch.ErrNoMemory
}

// configFetcher is the Fetcher of config files: no progress, and a
// memory check that also refuses buffers a config cannot need, so a huge
// file is refused when its size is announced (TFTP tsize, HTTP
// Content-Length) or when the buffer outgrows maxConfigBuffer, not after
// it has arrived whole.
func (c *Client) configFetcher() *fetch.Fetcher {
	o := c.fetchOptions(false)
	mem := o.MemCheck
	if mem == nil {
		mem = fetch.MemAvailable
	}
	o.MemCheck = func(need int64) error {
		if need > maxConfigBuffer {
			return &configTooBigError{max: pxelinux.DefaultMaxFileSize}
		}
		return mem(need)
	}
	return fetch.New(o)
}

// opener fetches config files for the parser, logging each name tried.
func (c *Client) opener(src Source) pxelinux.Opener {
	f := c.configFetcher()
	var o pxelinux.Opener = pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
		u := src.URL(p)
		file, err := f.Fetch(ctx, u)
		switch {
		case errors.Is(err, fetch.ErrNotFound):
			c.Log.Info("lookup: not found", "file", p.String(), "server", src.Server())
			return nil, fmt.Errorf("%s: %w", u, pxelinux.ErrNotFound)
		case err != nil:
			c.Log.Warn("lookup: cannot fetch", "file", p.String(), "err", err)
			return nil, err
		}
		c.Log.Info("lookup: found", "file", p.String(), "bytes", len(file.Data))
		return file.Data, nil
	})
	if c.TrustErr != nil {
		return pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
			return nil, fmt.Errorf("signed boot: refusing %s: %w", p, c.TrustErr)
		})
	}
	if c.TrustedKey != nil {
		o = signedboot.Opener(c.TrustedKey, o, c.Log)
	}
	return o
}

func (c *Client) parser(src Source) *pxelinux.Parser {
	return &pxelinux.Parser{Opener: c.opener(src), Logger: c.Log}
}

// LoadConfig finds and parses the config for the lease (or the
// pxeinit.config= URL) and writes the config stage line. When no config
// exists the error lists every name tried and the server.
//
// Resolve and FetchChoice without a lease of their own use l afterwards.
func (c *Client) LoadConfig(ctx context.Context, l *Lease) (*pxelinux.Config, error) {
	c.init()
	c.lease = l
	p := c.parser(l.Source)
	var cfg *pxelinux.Config
	var err error
	if u := c.Settings.ConfigURL; u != "" {
		dir := u[:strings.LastIndex(u, "/")+1]
		cfg, err = p.Parse(ctx, dir, pxelinux.Path{URL: u})
		if err != nil {
			return nil, fmt.Errorf("config %s (pxeinit.config): %w", u, err)
		}
	} else {
		cfg, err = p.Load(ctx, l.Facts)
		var nc *pxelinux.NoConfigError
		if errors.As(err, &nc) {
			names := make([]string, len(nc.Tried))
			for i, t := range nc.Tried {
				names[i] = t.String()
			}
			return nil, fmt.Errorf("no config found: tried %s on server %s: %w", strings.Join(names, ", "), l.Source.Server(), pxelinux.ErrNoConfig)
		}
		if err != nil {
			return nil, fmt.Errorf("config lookup on server %s: %w", l.Source.Server(), err)
		}
	}
	c.logWarnings(cfg)
	c.stages.mark("config", "file", cfg.Source.String(), "tried", len(cfg.Tried), "server", l.Source.Server())
	return cfg, nil
}

// logWarnings logs the first MaxWarningsShown warnings of each file of
// cfg and then one line with the number of the others.
func (c *Client) logWarnings(cfg *pxelinux.Config) {
	count := map[string]int{}
	var files []string
	for _, w := range cfg.Warnings {
		file := cfg.Source.String()
		var pw *pxelinux.Warning
		if errors.As(w, &pw) {
			file = pw.File.String()
		}
		if count[file] == 0 {
			files = append(files, file)
		}
		count[file]++
		if count[file] <= MaxWarningsShown {
			c.Log.Warn(w.Error())
		}
	}
	for _, f := range files {
		if n := count[f] - MaxWarningsShown; n > 0 {
			c.Log.Warn(fmt.Sprintf("%d more warnings in %s", n, f))
		}
	}
}

// Choose picks the entry to boot: the pxeinit.label= setting, else the
// menu on the console (UI), else the unattended choice. via says which.
func (c *Client) Choose(ctx context.Context, cfg *pxelinux.Config) (ch pxelinux.Choice, via string, err error) {
	c.init()
	switch {
	case c.Settings.Label != "":
		ch, err = cfg.Command(c.Settings.Label)
		via = "pxeinit.label"
		if err != nil {
			return ch, via, fmt.Errorf("pxeinit.label=%s: %w", c.Settings.Label, err)
		}
	case c.UI != nil:
		ch, err = c.UI.Choose(ctx, cfg)
		if err != nil {
			return ch, "", err
		}
		via = "menu"
		if a := cfg.Autoboot(); a.Entry == ch.Entry && a.Args == ch.Args {
			via = a.Via
		}
	default:
		a := cfg.Autoboot()
		if a.Entry == nil {
			return ch, "", fmt.Errorf("config %s: %w unattended (no DEFAULT, ONTIMEOUT or menu default)", cfg.Source, ErrNothingToBoot)
		}
		ch, via = a.Choice, a.Via
	}
	if ok, why := menu.Usable(ch); !ok {
		return ch, via, fmt.Errorf("config %s: %s: %w", cfg.Source, why, ErrNothingToBoot)
	}
	c.stages.mark("choice", "label", ch.Entry.Label, "via", via)
	return ch, via, nil
}

// Resolve follows CONFIG entries (loading the config they name and
// choosing again in it) until ch is a kernel, and returns the config the
// kernel belongs to.
func (c *Client) Resolve(ctx context.Context, cfg *pxelinux.Config, ch pxelinux.Choice) (*pxelinux.Config, pxelinux.Choice, error) {
	c.init()
	for i := 0; ch.Entry != nil && ch.Entry.Kind == pxelinux.KindConfig; i++ {
		if i == MaxFollow {
			return cfg, ch, fmt.Errorf("more than %d CONFIG entries in a row (last %q in %s)", MaxFollow, ch.Entry.Label, cfg.Source)
		}
		src := Source{}
		if c.lease != nil {
			src = c.lease.Source
		}
		next, err := c.parser(src).Follow(ctx, cfg, ch.Entry)
		if err != nil {
			return cfg, ch, fmt.Errorf("entry %q (CONFIG %s): %w", ch.Entry.Label, ch.Entry.Kernel, err)
		}
		cfg = next
		c.cfg = cfg
		c.logWarnings(cfg)
		c.stages.mark("config", "file", cfg.Source.String(), "tried", len(cfg.Tried), "server", src.Server())
		ch, _, err = c.Choose(ctx, cfg)
		if err != nil {
			return cfg, ch, err
		}
	}
	return cfg, ch, nil
}

// bootError is the error of bootFrom: every failed attempt, in order.
// Those that ONERROR followed were logged already (with the command it
// ran); last, the final one, was not: the caller logs it with what
// happens next (logFailure).
type bootError struct {
	logged []error
	last   error
}

func (e *bootError) Error() string { return errors.Join(e.Unwrap()...).Error() }

// Unwrap returns all failures, for errors.Is and errors.As.
func (e *bootError) Unwrap() []error { return append(e.logged[:len(e.logged):len(e.logged)], e.last) }

// bootFrom boots ch, following CONFIG entries and, on failure, ONERROR.
// A failure that ONERROR follows is logged here, with next="ONERROR
// COMMAND"; the last one is left to the caller (a *bootError).
func (c *Client) bootFrom(ctx context.Context, cfg *pxelinux.Config, ch pxelinux.Choice) error {
	if cfg == nil {
		return errors.New("no config was read")
	}
	var logged []error
	for tries := 0; ; tries++ {
		var err error
		cfg, ch, err = c.Resolve(ctx, cfg, ch)
		if err != nil {
			return &bootError{logged, err}
		}
		d, err := c.FetchChoice(ctx, c.lease, ch)
		if err == nil {
			err = c.Kexec(d)
			if err == nil {
				return nil // a test Booter that "booted"
			}
		}
		err = fmt.Errorf("boot %q: %w", ch.Command, err)
		if ctx.Err() != nil {
			return &bootError{logged, err}
		}
		next, ok := cfg.OnErrorChoice(ch)
		if !ok {
			return &bootError{logged, err}
		}
		if tries+1 >= MaxOnError {
			return &bootError{logged, fmt.Errorf("%w (ONERROR ran %d times: giving up)", err, MaxOnError)}
		}
		c.Log.Error(err.Error(), "next", "ONERROR "+next.Command)
		logged = append(logged, err)
		c.stages.mark("choice", "label", next.Entry.Label, "via", "ONERROR")
		ch = next
	}
}

// Download is what FetchChoice fetched for one entry.
type Download struct {
	Choice  pxelinux.Choice
	Cmdline string
	Kernel  *fetch.File
	Initrds []*fetch.File
	// Paths are the kernel's and initrds' names as the config gives them.
	KernelPath  pxelinux.Path
	InitrdPaths []pxelinux.Path
}

// Bytes is the size of all files.
func (d *Download) Bytes() int64 {
	n := int64(len(d.Kernel.Data))
	for _, f := range d.Initrds {
		n += int64(len(f.Data))
	}
	return n
}

// FetchChoice downloads the kernel and initrds of ch at once, with
// progress on the console, and writes one fetch stage line per file and a
// fetched line for all.
func (c *Client) FetchChoice(ctx context.Context, l *Lease, ch pxelinux.Choice) (*Download, error) {
	c.init()
	if l == nil {
		return nil, errors.New("no lease: the network step did not run")
	}
	e := ch.Entry
	if e == nil || e.Kind != pxelinux.KindLinux {
		_, why := menu.Usable(ch)
		return nil, fmt.Errorf("%s: %w", why, ErrNothingToBoot)
	}
	d := &Download{
		Choice:      ch,
		Cmdline:     ch.Cmdline(l.Facts),
		KernelPath:  e.KernelPath,
		InitrdPaths: ch.Initrds(l.Facts),
	}
	urls := []string{l.Source.URL(e.KernelPath)}
	for _, p := range d.InitrdPaths {
		urls = append(urls, l.Source.URL(p))
	}
	c.Log.Info("fetching", "label", e.Label, "kernel", urls[0], "initrds", len(urls)-1)
	start := time.Now()
	var files []*fetch.File
	var err error
	switch {
	case c.TrustErr != nil:
		err = fmt.Errorf("signed boot: refusing %s: %w", urls[0], c.TrustErr)
	case c.TrustedKey != nil:
		files, err = signedboot.FetchAll(ctx, c.fetcher(true), c.TrustedKey, urls, c.Log)
	default:
		files, err = c.fetcher(true).FetchAll(ctx, urls)
	}
	if err != nil {
		return nil, fmt.Errorf("entry %q: %w", e.Label, err)
	}
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
		c.stages.mark("fetch", "file", f.URL, "bytes", len(f.Data), "sec", fmt.Sprintf("%.3f", f.Duration.Seconds()),
			"mibps", fmt.Sprintf("%.2f", mibps(int64(len(f.Data)), f.Duration)))
	}
	dur := time.Since(start)
	c.stages.mark("fetched", "files", len(files), "bytes", total, "mibps", fmt.Sprintf("%.2f", mibps(total, dur)))
	d.Kernel, d.Initrds = files[0], files[1:]
	return d, nil
}

func mibps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / (1 << 20) / d.Seconds()
}

// Kexec loads the downloaded kernel and starts it; kexec.Load first
// checks that it is a kernel for this machine. It returns only on
// failure (or when a Booter for tests returns nil).
func (c *Client) Kexec(d *Download) error {
	c.init()
	img := kexec.Image{Kernel: d.Kernel.Data, Cmdline: d.Cmdline}
	var initrdBytes int
	for _, f := range d.Initrds {
		img.Initrds = append(img.Initrds, f.Data)
		initrdBytes += len(f.Data)
	}
	c.Log.Info("kexec", "cmdline", d.Cmdline)
	boot := c.Boot
	if boot == nil {
		boot = kexecBoot(c.stages, len(d.Kernel.Data), initrdBytes)
	}
	if err := boot(img, c.Log); err != nil {
		return fmt.Errorf("kexec %s (%d bytes, %d initrds): %w", d.Kernel.URL, len(d.Kernel.Data), len(d.Initrds), err)
	}
	return nil
}

// kexecBoot is the real Booter: load, the load stage line with the peak
// memory use, the kexec stage line, exec.
func kexecBoot(st *stages, kernelBytes, initrdBytes int) Booter {
	return func(img kexec.Image, log *slog.Logger) error {
		if err := kexec.Load(img, kexec.Options{Logger: log}); err != nil {
			return err
		}
		hwm, _ := VmHWM()
		st.mark("load", "kernel", kernelBytes, "initrd", initrdBytes, "vmhwm", hwm)
		st.mark("kexec")
		return kexec.Exec()
	}
}
