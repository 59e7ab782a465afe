package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"

	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

const planUsage = `usage: pxeboot plan --root TFTPDIR | --url tftp://HOST/ | --url http(s)://HOST/PATH/
                    [lease flags] [--disk PATH]... [--arch GOARCH] [--format json|text]
       pxeboot plan --disk PATH [--disk PATH]... [--arch GOARCH] [--format json|text]

Answers "what will this machine boot?" offline: the boot flow's config
step for the lease the flags describe, following CONFIG entries the
unattended choice opens, and nothing fetched but configs. It prints the
config names tried in syslinux order, the config used, the unattended
entry and its wait, and each entry's kernel, initrds and complete
command line (IPAPPEND included): as JSON (the fields below), or as text
with the menu as the netboot console shows it.

--disk PATH (repeatable, one disk each, in order) adds what the init
finds on a machine's disks (BLS, GRUB, extlinux configs): PATH is a
folder holding a volume's tree (read as it is), a disk image (attached
to a loop device, read-only: needs root) or a block device (its
filesystems mounted read-only: needs root). Nothing is written to it.
With a network source too, the menus are merged as the init merges them
(pxeinit.boot=net,disk). --arch is the architecture of the kernels
that can boot (default this machine's): BLS entries for another are
hidden.
`

// Plan is the JSON `pxeboot plan` prints and `pxeboot fetch` writes
// first into plan.json: a contract other tools rely on, so fields are
// only ever added.
type Plan struct {
	// Tried are the config names in the order tried, ending with the one
	// used (PXELINUX notation: relative to the TFTP root, host::name or
	// URL).
	Tried []string `json:"tried"`
	// Config is the config used.
	Config string `json:"config"`
	// Default is the label that boots unattended ("" when none does; the
	// kernel name for a DEFAULT or ONTIMEOUT that names a kernel).
	Default string `json:"default"`
	// TimeoutMS is the wait before it: 0 boots at once, -1 waits for the
	// user.
	TimeoutMS int64 `json:"timeout_ms"`
	// Entries are all entries (submenus and hidden ones too, and the
	// implicit entry of a DEFAULT that names a kernel), in file order.
	Entries []PlanEntry `json:"entries"`
}

// PlanEntry is one entry of a Plan.
type PlanEntry struct {
	Label     string   `json:"label"`
	Title     string   `json:"title"`
	Kernel    string   `json:"kernel"`
	Initrds   []string `json:"initrds"`
	Cmdline   string   `json:"cmdline"`
	LocalBoot bool     `json:"localboot"`
	Hidden    bool     `json:"hidden"`
	// For an entry found on a disk (and only for one): Source "disk",
	// the Volume its config is on ("vda2"), its Origin (config and
	// line, "vda2:/boot/grub/grub.cfg:120") and, when it cannot boot,
	// the Reason.
	Source string `json:"source,omitempty"`
	Volume string `json:"volume,omitempty"`
	Origin string `json:"origin,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// newPlan summarises the boot menu m.
func newPlan(m *bootmenu.Menu) Plan {
	a := m.Auto
	p := Plan{Config: m.Source, Tried: append([]string{}, m.Tried...), Entries: []PlanEntry{}, TimeoutMS: a.Wait.Milliseconds()}
	if a.Forever {
		p.TimeoutMS = -1
	}
	if a.Entry != nil {
		p.Default = a.Entry.Label
	}
	for _, e := range m.Listed() {
		pe := PlanEntry{
			Label: e.Label, Title: e.Title, Kernel: e.Kernel.Name, Initrds: []string{},
			Cmdline: e.Cmdline, LocalBoot: e.Kind == bootmenu.Local, Hidden: e.Hidden,
		}
		for _, i := range e.Initrds {
			pe.Initrds = append(pe.Initrds, i.Name)
		}
		if e.Origin.Volume != "" {
			pe.Source, pe.Volume, pe.Origin = "disk", e.Origin.Volume, e.Origin.String()
			if !e.Bootable() {
				pe.Reason = e.Reason
			}
		}
		p.Entries = append(p.Entries, pe)
	}
	return p
}

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("plan", planUsage)
	var lease leaseFlags
	var src sourceFlags
	lease.register(f.FlagSet)
	src.register(f.FlagSet, true)
	format := f.String("format", "json", "output: json or text")
	disks := f.StringArray("disk", nil, "a disk: a folder holding a volume's tree, a disk image or a block device (repeatable)")
	arch := f.String("arch", runtime.GOARCH, "GOARCH of the kernels that can boot (BLS architecture)")
	verbose := f.BoolP("verbose", "v", false, "log each step and what the parser ignores")
	if code, done := f.parse(args, stdout, stderr); done {
		return code
	}
	if f.NArg() > 0 {
		return f.fail(stderr, "unexpected arguments %q", f.Args())
	}
	if *format != "json" && *format != "text" {
		return f.fail(stderr, "--format %q: want json or text", *format)
	}
	facts, err := lease.facts()
	if err != nil {
		return f.fail(stderr, "%v", err)
	}
	source, err := src.source()
	switch {
	case errors.Is(err, errNoSource) && len(*disks) == 0:
		return f.fail(stderr, "%v, or --disk PATH", err)
	case err != nil && !errors.Is(err, errNoSource):
		return f.fail(stderr, "%v", err)
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	c := &pxeclient.Client{
		Log:     slog.New(pxeclient.NewConsoleHandler(stderr, "pxeboot", level)),
		Network: pxeclient.Fixed(pxeclient.Lease{Facts: facts, Source: source}),
		Arch:    *arch,
	}
	c.Fetch.Attempts = 1
	var netMenu, diskMenu *bootmenu.Menu
	var l *pxeclient.Lease
	if len(*disks) > 0 {
		vols, release, err := diskVolumes(ctx, *disks, c.Log, stderr)
		defer release()
		if err != nil {
			fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
			return exitFail
		}
		c.Disks = func(context.Context) ([]*volume.Volume, error) { return vols, nil }
		diskMenu, err = c.DiskMenu(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
			if diskMenu != nil {
				bootmenu.Render(stderr, diskMenu, bootmenu.Warnings)
			}
			if source == (pxeclient.Source{}) {
				return exitFail
			}
		}
	}
	if source != (pxeclient.Source{}) {
		l, err = c.Lease(ctx)
		if err == nil {
			netMenu, err = c.Plan(ctx, l)
		}
		if err != nil {
			var nc *pxeclient.NoConfigError
			if errors.As(err, &nc) {
				fmt.Fprintf(stderr, "pxeboot plan: no config file found on %s; tried:\n", nc.Server)
				for _, t := range nc.Tried {
					fmt.Fprintf(stderr, "  %s\n", t)
				}
				return exitFail
			}
			fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
			return exitFail
		}
	}
	m := c.SourcesMenu(l, netMenu, diskMenu)
	if *format == "text" {
		err = bootmenu.Render(stdout, m, bootmenu.Plan)
	} else {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(newPlan(m))
	}
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot plan: writing output: %v\n", err)
		return exitFail
	}
	return exitOK
}
