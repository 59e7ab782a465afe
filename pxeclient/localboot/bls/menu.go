package bls

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
	"github.com/s390netboot/s390netboot/uki"
)

// Errors of the menu.
var (
	// ErrNoEntry: a typed label or number that names no entry; the
	// same error as bootmenu.ErrNoEntry.
	ErrNoEntry = bootmenu.ErrNoEntry
	// ErrEditorDisabled: kernel options typed while loader.conf says
	// "editor no".
	ErrEditorDisabled = errors.New("bls: loader.conf disables the editor: typed kernel options are refused")
	// ErrNoChain: BLS entries open no other menu.
	ErrNoChain = errors.New("bls: entries open no other menu")
	// ErrDevicetree (a warning): an entry's devicetree is not passed on;
	// the kernel gets the device tree the running one was started with.
	ErrDevicetree = errors.New("bls: the device tree of the entry is not passed to kexec")
	// ErrDuplicateID (a warning): two entry files with the same ID; the
	// later one in the spec's order is labelled by its file name.
	ErrDuplicateID = errors.New("bls: the ID of another entry")
)

// Menu gives the entries of r, read from the volume v, as the boot
// menu: one item per entry in the spec's order, labelled by its ID (by
// its file when two share the ID). Entries for another architecture,
// and efi entries on a machine without EFI, are hidden, with the reason.
// Titles that repeat get the version, then the ID. Kernel and initrds
// are v's files (for a UKI, its sections: the microcode initrd before
// the initrd); Cmdline is complete, variables expanded; Origin is the
// file and the line of its linux (efi) key. Auto is loader.conf's
// default (the first bootable entry matching its pattern) or the first
// bootable entry, after loader.conf's timeout (without one,
// systemd-boot's default: at once, Quiet). The warnings name files as
// v.File names them ("vda1:/loader/entries/a.conf:3").
func (r *Result) Menu(v *volume.Volume) *bootmenu.Menu {
	cv := &converter{res: r, vol: v, back: map[*bootmenu.Entry]*Entry{}, warnings: warnList{max: maxWarnings}}
	m := &bootmenu.Menu{Source: v.File(EntriesDir).Name, Tried: []string{}, Rules: cv}
	for _, d := range r.Dirs {
		m.Tried = append(m.Tried, v.File(d).Name)
	}
	if len(r.Dirs) > 0 {
		m.Source = m.Tried[0]
	}
	for _, w := range r.Warnings {
		cv.warn(w)
	}
	seen := map[string]*Entry{}
	for _, e := range r.Entries {
		me := cv.entry(e)
		me.Label = e.ID
		if other, dup := seen[strings.ToLower(e.ID)]; dup {
			cv.warn(&Warning{File: e.Path, Err: fmt.Errorf("%w: %s; labelled %s", ErrDuplicateID, other.Path, e.Path)})
			me.Label = e.Path
		}
		seen[strings.ToLower(e.ID)] = e
		m.Entries = append(m.Entries, me)
		if !me.Hidden {
			m.Items = append(m.Items, bootmenu.Item{Entry: me})
		}
	}
	uniqueTitles(m.Entries, r.Entries)
	cv.menu = m
	def, via := cv.defaultEntry()
	if def != nil {
		m.Enter = def.With("")
	}
	m.Auto = bootmenu.Auto{Choice: m.Enter, Via: via}
	m.Warnings = cv.warnings.result(v.Name)
	if def == nil {
		m.Auto.Forever = true
		return m
	}
	mode := MenuHidden // systemd-boot's default: timeout 0
	if r.Loader != nil {
		mode = r.Loader.Mode
	}
	switch mode {
	case MenuForce:
		m.Auto.Forever = true
	case MenuHidden, MenuDisabled:
		m.Quiet = true
	default:
		m.Auto.Wait = r.Loader.Timeout
	}
	return m
}

// converter makes the menu of one Result on one volume and is its
// bootmenu.Rules.
type converter struct {
	res      *Result
	vol      *volume.Volume
	menu     *bootmenu.Menu
	back     map[*bootmenu.Entry]*Entry
	warnings warnList
}

// warn adds a warning, its file named on the volume.
func (cv *converter) warn(err error) {
	cv.warnings.add(OnVolume(cv.vol, err))
}

// OnVolume is a warning of a Result (err with a *Warning in its chain)
// as a menu of v says it: the Warning, its file named as v.File names it
// ("vda1:/loader/entries/a.conf"). Other errors are returned as they
// are.
func OnVolume(v *volume.Volume, err error) error {
	var w *Warning
	if errors.As(err, &w) {
		return &Warning{File: v.File(w.File).Name, Line: w.Line, Err: w.Err}
	}
	return err
}

func (cv *converter) warnAll(errs []error) {
	for _, err := range errs {
		cv.warn(err)
	}
}

// entry converts e.
func (cv *converter) entry(e *Entry) *bootmenu.Entry {
	v := cv.vol
	me := &bootmenu.Entry{Title: e.Title, Initrds: []bootmenu.File{}, Origin: bootmenu.Origin{File: v.File(e.Path).Name, Line: e.LinuxLine}}
	if me.Title == "" {
		me.Title = e.ID
	}
	if l := cv.res.Loader; l != nil && l.EditorSet && l.Editor {
		me.Options = bootmenu.OptionsAllowed
	}
	cv.back[me] = e
	var warns []error
	switch e.Type {
	case Type2:
		me.Kernel = v.Section(e.Path, uki.SectionLinux)
		for _, s := range e.Sections {
			me.Initrds = append(me.Initrds, v.Section(e.Path, s))
		}
		if len(e.Options) > 0 {
			me.Cmdline = e.Options[0].Text // systemd-stub passes .cmdline as it is
		}
	default:
		var paths []Line
		var iwarns []error
		me.Cmdline, warns = e.Cmdline(cv.res.vars)
		paths, iwarns = e.initrds(cv.res.vars)
		warns = append(warns, iwarns...)
		kernel, err := cv.file(e, Line{first(e.Linux, e.EFI), max(e.LinuxLine, e.EFILine)})
		me.Kernel = kernel
		warns = appendErr(warns, err)
		for _, p := range paths {
			f, err := cv.file(e, p)
			me.Initrds = append(me.Initrds, f)
			warns = appendErr(warns, err)
		}
	}
	switch {
	case !e.ForArch(cv.res.arch):
		me.Kind, me.Hidden = bootmenu.Other, true
		me.Reason = fmt.Sprintf("for architecture %s, this machine is %s", e.Architecture, archName(cv.res.arch))
	case e.EFI != "":
		me.Kind, me.Origin.Line = bootmenu.Other, e.EFILine
		me.Reason = "an EFI program: kexec boots Linux kernels only"
		// The spec hides efi entries on machines without EFI.
		me.Hidden = uki.EFIArch(cv.res.arch) == ""
	default:
		me.Kind = bootmenu.Linux
		cv.warnAll(warns)
		if e.Devicetree != "" {
			cv.warn(&Warning{File: e.Path, Err: fmt.Errorf("%w: %s", ErrDevicetree, e.Devicetree)})
		}
	}
	return me
}

// ErrMissingFile (a warning): a file an entry names is not on the
// volume; the entry stays in the menu, and booting it fails.
var ErrMissingFile = errors.New("bls: no such file on the volume")

// file is the file p (l's text) that entry e names on line l, on the volume: p itself when
// it is there; else, for an entry below a root other than the volume's
// (boot/loader/entries), p below that root; else, for a path that starts
// with /boot/, p without it (zipl's kernel-install plugin writes
// "/boot/vmlinuz-V" for the running system, where a separate /boot
// partition is mounted at /boot). A file found in none of these places
// is p with an ErrMissingFile warning. A volume without FS is not
// searched.
func (cv *converter) file(e *Entry, l Line) (bootmenu.File, error) {
	p := l.Text
	v := cv.vol
	if v.FS == nil {
		return v.File(p), nil
	}
	tries := []string{p}
	if root := strings.TrimSuffix(path.Dir(e.Path), EntriesDir); root != "" && root != path.Dir(e.Path) {
		tries = append(tries, path.Join(root, p))
	}
	if rest, ok := strings.CutPrefix(volume.Clean(p), "boot/"); ok {
		tries = append(tries, rest)
	}
	for _, t := range tries {
		if info, err := fs.Stat(v.FS, volume.Clean(t)); err == nil && info.Mode().IsRegular() {
			return v.File(t), nil
		}
	}
	return v.File(p), &Warning{File: e.Path, Line: l.N, Err: fmt.Errorf("%w: %s", ErrMissingFile, p)}
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		errs = append(errs, err)
	}
	return errs
}

// archName is how the menu names goarch: its UEFI name when it has one.
func archName(goarch string) string {
	if n := uki.EFIArch(goarch); n != "" {
		return strings.ToLower(n)
	}
	return goarch
}

// uniqueTitles makes titles that several listed entries share tell them
// apart, as the spec asks: first by adding the version, then the ID.
func uniqueTitles(mes []*bootmenu.Entry, es []*Entry) {
	for _, add := range []func(e *Entry) string{
		func(e *Entry) string { return e.Version },
		func(e *Entry) string { return e.ID },
	} {
		count := map[string]int{}
		for _, me := range mes {
			if !me.Hidden {
				count[me.Title]++
			}
		}
		for i, me := range mes {
			if extra := add(es[i]); count[me.Title] > 1 && !me.Hidden && extra != "" && !strings.Contains(me.Title, extra) {
				me.Title += " (" + extra + ")"
			}
		}
	}
}

// defaultEntry is what boots unattended: loader.conf's default, else the
// first bootable listed entry.
func (cv *converter) defaultEntry() (*bootmenu.Entry, string) {
	var firstBootable *bootmenu.Entry
	for _, me := range cv.menu.Entries {
		if me.Bootable() && !me.Hidden {
			firstBootable = me
			break
		}
	}
	l := cv.res.Loader
	if l == nil || l.Default == "" {
		return firstBootable, viaFirst(firstBootable)
	}
	if l.Default == savedDefault {
		cv.warn(&Warning{File: l.Path, Line: l.DefaultLine, Err: ErrSavedDefault})
		return firstBootable, viaFirst(firstBootable)
	}
	for _, me := range cv.menu.Entries {
		e := cv.back[me]
		suffix := confSuffix
		if e.Type == Type2 {
			suffix = efiSuffix
		}
		if me.Bootable() && !me.Hidden && (Match(l.Default, e.ID) || Match(l.Default, e.ID+suffix)) {
			return me, "loader.conf default"
		}
	}
	cv.warn(&Warning{File: l.Path, Line: l.DefaultLine, Err: fmt.Errorf("%w: %q", ErrNoMatch, l.Default)})
	return firstBootable, viaFirst(firstBootable)
}

func viaFirst(e *bootmenu.Entry) string {
	if e == nil {
		return ""
	}
	return "first entry"
}

// Command reads a typed line as bootmenu.Menu.PlainCommand does (a label
// or menu number, then kernel options to add); loader.conf's "editor no"
// refuses the options.
func (cv *converter) Command(line string) (bootmenu.Choice, error) {
	ch, err := cv.menu.PlainCommand(line)
	if err != nil {
		return ch, err
	}
	if l := cv.res.Loader; ch.Args != "" && l != nil && l.EditorSet && !l.Editor {
		return bootmenu.Choice{Entry: ch.Entry, Command: ch.Command, Args: ch.Args, Typed: true},
			fmt.Errorf("options %q: %w (%s:%d)", ch.Args, ErrEditorDisabled, cv.vol.File(l.Path).Name, l.EditorLine)
	}
	return ch, nil
}

// OnError: nothing runs after a BLS entry failed.
func (cv *converter) OnError(bootmenu.Choice) (bootmenu.Choice, bool) {
	return bootmenu.Choice{}, false
}

// Follow fails: BLS has no entries that open menus.
func (cv *converter) Follow(_ context.Context, e *bootmenu.Entry) (*bootmenu.Menu, error) {
	return nil, fmt.Errorf("%q: %w", e.Label, ErrNoChain)
}
