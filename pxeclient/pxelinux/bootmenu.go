package pxelinux

import (
	"context"
	"errors"
	"fmt"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// BootMenu gives c as the boot menu model for the facts f: every entry
// with its complete command line and initrds (IPAPPEND applied), the
// menus, what Enter and the timeout boot, and c's rules for typed lines
// (Command), ONERROR (OnErrorChoice) and CONFIG entries (Parser.Follow
// with p; nil: Follow fails). url gives where a path is fetched from;
// nil leaves File.URL empty (an offline plan).
func (c *Config) BootMenu(f Facts, url func(Path) string, p *Parser) *bootmenu.Menu {
	return c.FileMenu(f, func(p Path) bootmenu.File {
		file := bootmenu.File{Name: p.String()}
		if url != nil {
			file.URL = url(p)
		}
		return file
	}, p)
}

// FileMenu is BootMenu with the whole rule from a path to the file an
// entry names (name and URL) given by file: extlinux on a disk names
// "vda2:/boot/vmlinuz" at a file:// URL (package localboot).
func (c *Config) FileMenu(f Facts, file func(Path) bootmenu.File, p *Parser) *bootmenu.Menu {
	cv := &converter{cfg: c, facts: f, fileOf: file, parser: p, entries: map[*Entry]*bootmenu.Entry{}, back: map[*bootmenu.Entry]*Entry{}}
	m := &bootmenu.Menu{
		Source:       c.Source.String(),
		Tried:        []string{},
		TotalTimeout: c.TotalTimeout,
		Quiet:        !c.HasMenu() && !c.Prompt,
		Warnings:     c.Warnings,
		Rules:        cv,
	}
	for _, t := range c.Tried {
		m.Tried = append(m.Tried, t.String())
	}
	m.Text = append(append(m.Text, c.Display...), c.Say...)
	for _, e := range c.Entries {
		m.Entries = append(m.Entries, cv.entry(e))
	}
	if c.Menu != nil {
		m.Title = c.Menu.Title
		m.Items = cv.items(c.Menu.Items)
	}
	m.Enter = cv.choice(c.enterChoice())
	a := c.Autoboot()
	m.Auto = bootmenu.Auto{Choice: cv.choice(a.Choice), Wait: a.Wait, Forever: a.Forever, Via: a.Via}
	return m
}

// converter turns entries and choices of one config into the model and
// is that menu's bootmenu.Rules.
type converter struct {
	cfg     *Config
	facts   Facts
	fileOf  func(Path) bootmenu.File
	parser  *Parser
	entries map[*Entry]*bootmenu.Entry
	back    map[*bootmenu.Entry]*Entry
}

func (cv *converter) file(p Path) bootmenu.File {
	if p == (Path{}) {
		return bootmenu.File{}
	}
	return cv.fileOf(p)
}

func (cv *converter) files(ps []Path) []bootmenu.File {
	out := []bootmenu.File{}
	for _, p := range ps {
		out = append(out, cv.file(p))
	}
	return out
}

// options is the ALLOWOPTIONS rule of the config.
func (cv *converter) options() bootmenu.Options {
	switch {
	case !cv.cfg.AllowOptions:
		return bootmenu.OptionsDropped
	case cv.cfg.AllowOptionsSet:
		return bootmenu.OptionsAllowed
	}
	return bootmenu.OptionsDefault
}

func (cv *converter) entry(e *Entry) *bootmenu.Entry {
	if e == nil {
		return nil
	}
	if me, ok := cv.entries[e]; ok {
		return me
	}
	me := &bootmenu.Entry{
		Label: e.Label, Title: e.Title, Cmdline: e.Cmdline(cv.facts), Initrds: []bootmenu.File{},
		Origin: bootmenu.Origin{File: e.File.String(), Line: e.Line},
		Hidden: e.Hidden, Disabled: e.Disabled, Help: e.Help, Options: cv.options(),
	}
	switch e.Kind {
	case KindLinux:
		me.Kind, me.Kernel = bootmenu.Linux, cv.file(e.KernelPath)
		me.Initrds = cv.files(Choice{Entry: e}.Initrds(cv.facts))
	case KindConfig:
		me.Kind, me.Kernel = bootmenu.Chain, cv.file(e.KernelPath)
	case KindLocalBoot:
		me.Kind, me.Reason = bootmenu.Local, fmt.Sprintf("LOCALBOOT %d", e.LocalBoot)
	default:
		me.Kind, me.Kernel, me.Reason = bootmenu.Other, cv.file(e.KernelPath), e.Reason
		if me.Reason == "" {
			me.Reason = e.Type
		}
	}
	if e.Implicit {
		me.Origin = bootmenu.Origin{File: cv.cfg.Source.String()}
	}
	cv.entries[e], cv.back[me] = me, e
	return me
}

func (cv *converter) items(items []*Item) []bootmenu.Item {
	var out []bootmenu.Item
	for _, it := range items {
		switch {
		case it.Separator:
			out = append(out, bootmenu.Item{Separator: true})
		case it.Submenu != nil:
			title := stripCaret(it.Text)
			if title == "" {
				title = it.Submenu.Title
			}
			if title == "" {
				title = it.Submenu.Tag
			}
			out = append(out, bootmenu.Item{Submenu: &bootmenu.Submenu{Title: title, Items: cv.items(it.Submenu.Items)}})
		case it.Entry != nil:
			out = append(out, bootmenu.Item{Entry: cv.entry(it.Entry)})
		}
	}
	return out
}

// choice converts ch.
func (cv *converter) choice(ch Choice) bootmenu.Choice {
	out := bootmenu.Choice{Entry: cv.entry(ch.Entry), Command: ch.Command, Args: ch.Args}
	if ch.Entry != nil {
		out.Cmdline = ch.Cmdline(cv.facts)
		out.Initrds = cv.files(ch.Initrds(cv.facts))
	}
	return out
}

// Command reads a typed line (Config.Command). Its Args are the options
// after the label or number, or after an implicit kernel's name (which
// go into that kernel's command line); ALLOWOPTIONS 0 drops them.
func (cv *converter) Command(line string) (bootmenu.Choice, error) {
	ch, err := cv.cfg.Command(line)
	out := cv.choice(ch)
	out.Typed = true
	if err == nil && ch.Entry != nil && ch.Entry.Implicit && cv.cfg.AllowOptions {
		_, out.Args = splitWord(trimSpace(line))
	}
	return out, err
}

// OnError is ONERROR with the failed command appended (OnErrorChoice).
func (cv *converter) OnError(failed bootmenu.Choice) (bootmenu.Choice, bool) {
	ch, ok := cv.cfg.OnErrorChoice(Choice{Command: failed.Command})
	if !ok {
		return bootmenu.Choice{}, false
	}
	return cv.choice(ch), true
}

// errNoParser is Follow without a Parser.
var errNoParser = errors.New("pxelinux: no parser to load the CONFIG file with")

// Follow loads the config a CONFIG entry names (Parser.Follow) and gives
// its menu, with the same facts and URLs.
func (cv *converter) Follow(ctx context.Context, me *bootmenu.Entry) (*bootmenu.Menu, error) {
	e, ok := cv.back[me]
	if !ok {
		return nil, fmt.Errorf("pxelinux: entry %q is not of config %s", me.Label, cv.cfg.Source)
	}
	if cv.parser == nil {
		return nil, errNoParser
	}
	next, err := cv.parser.Follow(ctx, cv.cfg, e)
	if err != nil {
		return nil, err
	}
	return next.FileMenu(cv.facts, cv.fileOf, cv.parser), nil
}
