package pxeclient

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/pid1"
	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/dhcp"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/localboot"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
	"github.com/s390netboot/s390netboot/uki"
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
	Settings settings.Settings
	Machine  platform.Machine
	// Root is the root of /sys and /proc for the platform steps ("/").
	Root string
	// Arch is the GOARCH of the kernels to boot (runtime.GOARCH).
	Arch string
	// Start is when the boot began, the zero of the stage lines' t=
	// (time.Now() when the first step runs).
	Start time.Time
	// Network is where the lease comes from; nil is LinkNetwork (DHCP,
	// or pxeinit.ip=, on the machine's links). pxeboot gives a lease
	// made of its flags (Fixed).
	Network func(ctx context.Context) (*Lease, error)
	// Disks gives the volumes of the machine's disks, mounted read-only,
	// for the disk step (DiskMenu); nil looks at no disk (pxeboot on a
	// running system). The init gives ScanDisks; `pxeboot plan --disk`
	// and tests give folders (DirVolumes). An error with volumes is a
	// warning (a disk that could not be mounted); without, the disks
	// give nothing.
	Disks func(ctx context.Context) ([]*volume.Volume, error)
	// Fetch tunes the downloads (Progress and Logger are filled in).
	Fetch fetch.Options
	// DHCP tunes the DHCP client (UUID defaults to Machine.UUID; Arch to
	// the option-93 code of this GOARCH).
	DHCP dhcp.Options
	// NetApply tunes the configuration of the leased link; pxeboot on a
	// running system points ResolvConf away from /etc/resolv.conf.
	NetApply netconf.ApplyOptions
	// Signed is the signed-boot policy (package signedboot): off (the
	// zero value), on with a trusted key, or refusing every file.
	Signed signedboot.Policy
	// Target is what booting an entry means; nil is kexec (KexecTarget).
	Target Target
	// Reboot and Poweroff end the machine; nil are pid1's.
	Reboot, Poweroff func() error

	stages *stages
	// mounted are the disks ScanDisks mounted last.
	disksMu sync.Mutex
	mounted *localboot.Disks
}

// init fills in the defaults. It writes only fields still unset, so
// that once a step has run it, the steps that run at once (the network
// and the disks, see sources) call it without racing.
func (c *Client) init() {
	if c.Log == nil {
		c.Log = logging.Or(nil)
	}
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

// pass is what one pass of the flow got to: the lease and the menu last
// read, for the command prompt and the retry time after a failure.
type pass struct {
	lease *Lease
	menu  *bootmenu.Menu
}

// Run is the init's loop and never returns while ctx lives: a pass of the
// flow (Once), and after a failure the command prompt, which starts over
// from DHCP after the retry time. A panic in a pass is reported with
// where it happened and treated as a failure. Each failure is logged
// once, with what happens next (next=...).
func (c *Client) Run(ctx context.Context) error {
	c.init()
	for {
		p := &pass{}
		err := pid1.Recover(func() error { return c.once(ctx, p) })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			return nil // only a Target whose Execute returns nil ends the flow
		}
		c.logFailure(err, c.nextStep(p.lease))
		if err := c.afterFailure(ctx, p); ctx.Err() != nil {
			return ctx.Err()
		} else if err != nil {
			c.Log.Error(err.Error())
		}
	}
}

// Once runs one pass of the boot flow: network (Lease), config (Config),
// choice (Choose), then Boot: fetch, load and execute (Target), with
// CONFIG entries followed and ONERROR on failure. It returns only when
// something failed, with an error that says what and where, or when the
// Target's Execute returned (kexec's does not).
func (c *Client) Once(ctx context.Context) error {
	return c.once(ctx, &pass{})
}

func (c *Client) once(ctx context.Context, p *pass) error {
	c.init()
	order := c.Settings.Sources()
	var m *bootmenu.Menu
	var err error
	switch {
	case c.Disks != nil && slices.Contains(order, settings.SourceDisk):
		m, err = c.sources(ctx, p)
	case !slices.Contains(order, settings.SourceNet):
		err = fmt.Errorf("pxeinit.boot=%s: %w", strings.Join(order, ","), ErrNoDiskEntries)
	default:
		// The network alone, as before there were disks.
		if p.lease, err = c.Lease(ctx); err == nil {
			m, err = c.Config(ctx, p.lease)
		}
	}
	if err != nil {
		return err
	}
	p.menu = m
	ch, via, err := c.Choose(ctx, m)
	if err != nil {
		return err
	}
	p.menu, err = c.Boot(ctx, p.lease, m, ch, via)
	return err
}

// nextStep says what Run does after a failed pass, for the log line of
// the failure.
func (c *Client) nextStep(l *Lease) string {
	retry := c.retryTime(l)
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

// afterFailure runs the command prompt on the menu p got to until the
// user (or the retry time) decides to start over.
func (c *Client) afterFailure(ctx context.Context, p *pass) error {
	retry := c.retryTime(p.lease)
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
		act, err := c.UI.Prompt(ctx, p.menu, retry, c.LogLines)
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
			err := pid1.Recover(func() error {
				m, err := c.Boot(ctx, p.lease, p.menu, act.Choice, "typed")
				if m != nil {
					p.menu = m
				}
				return err
			})
			if err != nil {
				c.logFailure(err, c.nextStep(p.lease))
			}
		}
	}
}

// retryTime is option 211 of l (0: wait for the user), else
// pxeinit.retry=, else DefaultRetry.
func (c *Client) retryTime(l *Lease) time.Duration {
	if l != nil && l.Facts.RebootTime >= 0 {
		return time.Duration(l.Facts.RebootTime) * time.Second
	}
	if c.Settings.RetrySet {
		return c.Settings.Retry
	}
	return DefaultRetry
}

// Fixed is a Network that gives l (a copy, so that a pass may change
// it): pxeboot's lease made of its flags.
func Fixed(l Lease) func(context.Context) (*Lease, error) {
	return func(context.Context) (*Lease, error) {
		cp := l
		return &cp, nil
	}
}

// Lease is the network step: the lease from Network (LinkNetwork when
// nil), then the pxeinit.server= and pxeinit.prefix= settings over it,
// the machine's UUID and DMI strings where the lease has none, and the
// boot server's TFTP root as the Source when the lease gives none.
func (c *Client) Lease(ctx context.Context) (*Lease, error) {
	c.init()
	network := c.Network
	if network == nil {
		network = c.LinkNetwork
	}
	l, err := network(ctx)
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
	if l.Source == (Source{}) {
		if !l.Facts.Server.IsValid() {
			return nil, fmt.Errorf("the lease on %s names no boot server (DHCPv4: no option 66, siaddr or option 54; IPv6: no usable boot file URL, option 59, see the log): set pxeinit.server=", l.Interface)
		}
		l.Source = TFTPSource(l.Facts.Server)
	}
	return l, nil
}

// fetchOptions are the client's fetch options, with its logger and, when
// progress is set, the progress lines on the console.
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

// opener reads config files from src for the parser, logging each name
// tried, through the signed-boot policy.
func (c *Client) opener(src Source) pxelinux.Opener {
	if src.Dir != "" {
		return c.Signed.Opener(src.dirOpener(), c.Log)
	}
	f := c.configFetcher()
	o := pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
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
	return c.Signed.Opener(o, c.Log)
}

// NoConfigError is the config step finding no config: every name tried
// and the server. It matches pxelinux.ErrNoConfig.
type NoConfigError struct {
	Tried  []pxelinux.Path
	Server string
}

func (e *NoConfigError) Error() string {
	names := make([]string, len(e.Tried))
	for i, t := range e.Tried {
		names[i] = t.String()
	}
	return fmt.Sprintf("no config found: tried %s on server %s: %v", strings.Join(names, ", "), e.Server, pxelinux.ErrNoConfig)
}

func (e *NoConfigError) Unwrap() error { return pxelinux.ErrNoConfig }

// Config is the config step: it finds and parses the PXELINUX config for
// the lease (or the pxeinit.config= URL), logs its warnings, writes the
// config stage line and gives the config's boot menu, Locked under signed
// boot. When no config exists the error is a *NoConfigError.
func (c *Client) Config(ctx context.Context, l *Lease) (*bootmenu.Menu, error) {
	c.init()
	p := &pxelinux.Parser{Opener: c.opener(l.Source), Logger: c.Log}
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
			return nil, &NoConfigError{Tried: nc.Tried, Server: l.Source.Server()}
		}
		if err != nil {
			return nil, fmt.Errorf("config lookup on server %s: %w", l.Source.Server(), err)
		}
	}
	return c.menu(cfg.BootMenu(l.Facts, l.Source.URL, p), l), nil
}

// menu logs the warnings of a menu just read, writes its config stage
// line and locks it under signed boot.
func (c *Client) menu(m *bootmenu.Menu, l *Lease) *bootmenu.Menu {
	c.logWarnings(m)
	c.stages.mark("config", "file", m.Source, "tried", len(m.Tried), "server", l.Source.Server())
	m.Locked = c.Signed.Enabled()
	return m
}

// logWarnings logs the first MaxWarningsShown warnings of each file of
// m and then one line with the number of the others.
func (c *Client) logWarnings(m *bootmenu.Menu) {
	count := map[string]int{}
	var files []string
	for _, w := range m.Warnings {
		file := m.Source
		if f, _, ok := bootmenu.Where(w); ok {
			file = f
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

// Choose is the choice step: the pxeinit.label= setting, else the menu
// on the console (UI), else the unattended choice. via says which; the
// choice stage line is written.
func (c *Client) Choose(ctx context.Context, m *bootmenu.Menu) (ch bootmenu.Choice, via string, err error) {
	c.init()
	switch {
	case c.Settings.Label != "":
		// The setting is part of the image the administrator built, as
		// the trusted key is: not typed, so Locked does not apply.
		via = "pxeinit.label"
		if m.Rules == nil {
			return ch, via, fmt.Errorf("pxeinit.label=%s: %w", c.Settings.Label, bootmenu.ErrNoRules)
		}
		ch, err = m.Rules.Command(c.Settings.Label)
		if err != nil {
			return ch, via, fmt.Errorf("pxeinit.label=%s: %w", c.Settings.Label, err)
		}
	case c.UI != nil:
		ch, err = c.UI.Choose(ctx, m)
		if err != nil {
			return ch, "", err
		}
		via = "menu"
		if a := m.Auto; a.Entry == ch.Entry && a.Cmdline == ch.Cmdline {
			via = a.Via
		}
	default:
		a := m.Auto
		if a.Entry == nil {
			return ch, "", fmt.Errorf("config %s: %w unattended (no DEFAULT, ONTIMEOUT or menu default)", m.Source, ErrNothingToBoot)
		}
		ch, via = a.Choice, a.Via
	}
	if why := ch.Why(); why != "" {
		return ch, via, fmt.Errorf("config %s: %s: %w", m.Source, why, ErrNothingToBoot)
	}
	c.stages.mark("choice", "label", ch.Entry.Label, "via", via)
	return ch, via, nil
}

// Resolve opens Chain entries (PXELINUX CONFIG: the config they name is
// loaded and the choice made again in it) until ch is a kernel, and
// returns the menu the kernel belongs to and how it was chosen.
func (c *Client) Resolve(ctx context.Context, l *Lease, m *bootmenu.Menu, ch bootmenu.Choice, via string) (*bootmenu.Menu, bootmenu.Choice, string, error) {
	c.init()
	for i := 0; ch.Entry != nil && ch.Entry.Kind == bootmenu.Chain; i++ {
		if i == MaxFollow {
			return m, ch, via, fmt.Errorf("more than %d CONFIG entries in a row (last %q in %s)", MaxFollow, ch.Entry.Label, m.Source)
		}
		next, err := c.follow(ctx, l, m, ch.Entry)
		if err != nil {
			return m, ch, via, err
		}
		m = next
		ch, via, err = c.Choose(ctx, m)
		if err != nil {
			return m, ch, via, err
		}
	}
	return m, ch, via, nil
}

// follow loads the menu the Chain entry e of m opens.
func (c *Client) follow(ctx context.Context, l *Lease, m *bootmenu.Menu, e *bootmenu.Entry) (*bootmenu.Menu, error) {
	if m.Rules == nil {
		return nil, fmt.Errorf("entry %q (CONFIG %s): %w", e.Label, e.Kernel.Name, bootmenu.ErrNoRules)
	}
	next, err := m.Rules.Follow(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("entry %q (CONFIG %s): %w", e.Label, e.Kernel.Name, err)
	}
	return c.menu(next, l), nil
}

// Plan is what `pxeboot plan` shows: the config step, then the configs
// that unattended Chain entries open (PXELINUX restarts with them), as
// far as the machine gets without a user; nothing is fetched but configs.
func (c *Client) Plan(ctx context.Context, l *Lease) (*bootmenu.Menu, error) {
	m, err := c.Config(ctx, l)
	if err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		a := m.Auto
		if a.Entry == nil || a.Entry.Kind != bootmenu.Chain || a.Forever {
			return m, nil
		}
		if i == MaxFollow {
			return nil, fmt.Errorf("more than %d CONFIG entries in a row (last %q in %s)", MaxFollow, a.Entry.Label, m.Source)
		}
		if m, err = c.follow(ctx, l, m, a.Entry); err != nil {
			return nil, err
		}
	}
}

// bootError is the error of Boot: every failed attempt, in order.
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

// Boot boots ch of m: it opens Chain entries (Resolve), fetches the
// kernel and initrds (FetchChoice), and has the Target load and execute them;
// when that fails, the menu's ONERROR rule gives the next choice (at most
// MaxOnError times). A failure that ONERROR follows is logged here, with
// next="ONERROR COMMAND"; the last one is left to the caller (the error
// is a *bootError joining all). It returns the menu it ended in, for the
// command prompt.
func (c *Client) Boot(ctx context.Context, l *Lease, m *bootmenu.Menu, ch bootmenu.Choice, via string) (*bootmenu.Menu, error) {
	c.init()
	if m == nil {
		return nil, errors.New("no config was read")
	}
	var logged []error
	for tries := 0; ; tries++ {
		var err error
		m, ch, via, err = c.Resolve(ctx, l, m, ch, via)
		if err != nil {
			return m, &bootError{logged, err}
		}
		img, err := c.FetchChoice(ctx, l, ch)
		if err == nil {
			img.Menu, img.Via = m, via
			err = c.load(img)
			if err == nil {
				return m, nil // a Target whose Execute returns
			}
		}
		err = fmt.Errorf("boot %q: %w", ch.Command, err)
		if ctx.Err() != nil || m.Rules == nil {
			return m, &bootError{logged, err}
		}
		next, ok := m.Rules.OnError(ch)
		if !ok {
			return m, &bootError{logged, err}
		}
		if tries+1 >= MaxOnError {
			return m, &bootError{logged, fmt.Errorf("%w (ONERROR ran %d times: giving up)", err, MaxOnError)}
		}
		c.Log.Error(err.Error(), "next", "ONERROR "+next.Command)
		logged = append(logged, err)
		via = "ONERROR"
		c.stages.mark("choice", "label", next.Entry.Label, "via", via)
		ch = next
	}
}

// load has the Target load img and execute it.
func (c *Client) load(img *Image) error {
	t := c.Target
	if t == nil {
		t = c.KexecTarget()
	}
	if err := t.Load(img); err != nil {
		return err
	}
	return t.Execute()
}

// Image is a chosen entry, fetched: what a Target loads.
type Image struct {
	// Lease is the lease it was fetched with; Menu the menu it was
	// chosen from and Via how (see the choice stage line).
	Lease *Lease
	Menu  *bootmenu.Menu
	Via   string
	// Choice is the entry with its command line and initrds.
	Choice bootmenu.Choice
	// Kernel and Initrds are the files, in Choice's order.
	Kernel  *fetch.File
	Initrds []*fetch.File
}

// Bytes is the size of all files.
func (img *Image) Bytes() int64 {
	n := int64(len(img.Kernel.Data))
	for _, f := range img.Initrds {
		n += int64(len(f.Data))
	}
	return n
}

// Target is what booting an entry means, in two steps as u-root's
// pkg/boot has them: Load readies img (kexec_load; or writing the files
// into a directory), Execute starts what Load readied and returns only
// when that failed, or, for a Target that starts nothing (pxeboot fetch),
// with nil, which ends the flow. An error of either step runs ONERROR.
type Target interface {
	Load(img *Image) error
	Execute() error
}

// FetchChoice downloads the kernel and initrds of ch at once, through the
// signed-boot policy, with progress on the console, and writes one fetch
// stage line per file and a fetched line for all. A file that several
// Files name (a unified kernel image's .linux and .initrd) is read once
// and each Section taken from it (uki.SectionData). Local files
// (file://, from a disk) need no lease; anything else does.
func (c *Client) FetchChoice(ctx context.Context, l *Lease, ch bootmenu.Choice) (*Image, error) {
	c.init()
	e := ch.Entry
	if e == nil || e.Kind != bootmenu.Linux {
		return nil, fmt.Errorf("%s: %w", ch.Why(), ErrNothingToBoot)
	}
	want := append([]bootmenu.File{e.Kernel}, ch.Initrds...)
	var urls []string
	index := map[string]int{} // URL -> its place in urls
	for _, f := range want {
		if _, ok := index[f.URL]; !ok {
			index[f.URL] = len(urls)
			urls = append(urls, f.URL)
		}
		if l == nil && !fetch.IsLocal(f.URL) {
			return nil, fmt.Errorf("entry %q: %s: no lease: the network step did not run", e.Label, f.URL)
		}
	}
	c.Log.Info("fetching", "label", e.Label, "kernel", urls[0], "initrds", len(want)-1)
	start := time.Now()
	files, err := c.Signed.FetchAll(ctx, fetch.New(c.fetchOptions(true)), urls, c.Log)
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
	parts := make([]*fetch.File, len(want))
	for i, f := range want {
		if parts[i], err = c.section(files[index[f.URL]], f.Section); err != nil {
			return nil, fmt.Errorf("entry %q: %s: %w", e.Label, f.Name, err)
		}
	}
	return &Image{Lease: l, Choice: ch, Kernel: parts[0], Initrds: parts[1:]}, nil
}

// section is the PE section name of file (a unified kernel image's
// .linux, .initrd), as a file of its own; file itself when name is "".
// Its digest is the section's when the fetcher takes digests.
func (c *Client) section(file *fetch.File, name string) (*fetch.File, error) {
	if name == "" {
		return file, nil
	}
	data, err := uki.SectionData(file.Data, name)
	if err != nil {
		return nil, fmt.Errorf("section %s of %s: %w", name, file.URL, err)
	}
	part := *file
	part.Data, part.SHA256 = data, [32]byte{}
	if c.Fetch.SHA256 {
		part.SHA256 = sha256.Sum256(data)
	}
	return &part, nil
}

func mibps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / (1 << 20) / d.Seconds()
}
