// Package bootmenu is the boot menu every boot source feeds: entries
// (what each boots, with its complete command line, where it came from,
// whether it can boot and why not), menus with submenus and separators,
// the default, the timeout rules and the unattended choice. The console
// menu (internal/menu), the boot flow (package pxeclient) and `pxeboot
// plan` read only this model; a boot source produces it. PXELINUX is the
// first producer (pxelinux.Config.BootMenu); configs found on local disks
// (BLS, GRUB, extlinux, package localboot) produce the same model, and
// Merge makes one menu of several (the configs of all disks, the network
// and the disks).
//
//	m := cfg.BootMenu(facts, src.URL)       // a producer
//	bootmenu.Render(os.Stdout, m, bootmenu.Banner|bootmenu.Items)
//	a := m.Auto                             // what boots unattended, after a.Wait
//	ch, err := m.Typed("2 quiet")           // a line typed at the console
//	next, err := m.Rules.Follow(ctx, ch.Entry) // a Chain entry: the menu it opens
//	all := bootmenu.Merge([]bootmenu.Part{{Title: "network", Menu: m}, {Menu: disks}})
//
// What differs between sources, and cannot be data, is behind [Rules]:
// how a typed line is read, what runs after an entry failed (PXELINUX
// ONERROR) and how the menu a Chain entry names is loaded (PXELINUX
// CONFIG).
//
// # Typed options
//
// An entry's command line is part of its source. When the source is
// signed ([Menu.Locked], set by the boot flow under signed boot), options
// typed at the console would change a signed command line, so [Menu.Typed]
// refuses them ([ErrOptionsLocked]) unless the source itself allows them
// explicitly ([OptionsAllowed], PXELINUX's ALLOWOPTIONS 1 written in the
// config).
package bootmenu

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind says what an entry does when chosen.
type Kind int

const (
	// Linux boots a kernel with its initrds and command line.
	Linux Kind = iota
	// Chain opens another menu (PXELINUX CONFIG, or menu.c32 with a
	// config file); Kernel names the file it is read from and
	// Rules.Follow loads it.
	Chain
	// Local boots from a local disk (PXELINUX LOCALBOOT); the netboot
	// client cannot do that, Reason says so.
	Local
	// Other is an image the client cannot boot (a COM32 module, a PXE
	// program, a menu action); Reason says which.
	Other
)

func (k Kind) String() string {
	switch k {
	case Linux:
		return "linux"
	case Chain:
		return "chain"
	case Local:
		return "local"
	case Other:
		return "other"
	}
	return "unknown"
}

// File is a file an entry needs.
type File struct {
	// Name is the file as its source writes it, for people and
	// plan.json ("images/vmlinuz", "host::name", a URL).
	Name string
	// URL is where it is fetched from ("" when the source has no place
	// to fetch from, as for an offline plan); file:// for a file on a
	// local disk.
	URL string
	// Section, when set, is the PE section of the file at URL that holds
	// the data (a unified kernel image's ".linux" or ".initrd"): the
	// file is read and the section taken.
	Section string
}

// Origin says where an entry was defined: a config file and its line
// (0 when unknown), or a disk and the file on it.
type Origin struct {
	File string
	Line int
	// Volume is, for an entry found on a disk, the volume its config is
	// on ("vda2"); "" for the network's.
	Volume string
}

func (o Origin) String() string {
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	return o.File
}

// Options says whether the user may add kernel options to an entry.
type Options int

const (
	// OptionsDefault: the source says nothing. Typed options are added,
	// unless the menu is Locked (signed boot).
	OptionsDefault Options = iota
	// OptionsAllowed: the source allows them explicitly (PXELINUX
	// ALLOWOPTIONS 1); they are added even to a Locked menu.
	OptionsAllowed
	// OptionsDropped: the source forbids them (PXELINUX ALLOWOPTIONS 0):
	// they are dropped without a word, as PXELINUX drops them.
	OptionsDropped
)

// Entry is one thing the menu can boot.
type Entry struct {
	// Label is the name a user types; Title what the menu shows.
	Label, Title string
	// Kind says what choosing the entry does; Reason, for Local and
	// Other, says why the client cannot boot it (short, for a menu line).
	Kind   Kind
	Reason string
	// Kernel is the kernel (for Chain: the config file it opens);
	// Initrds are loaded in order.
	Kernel  File
	Initrds []File
	// Cmdline is the complete command line the kernel gets (for entries
	// that are not Linux: the options the image would get).
	Cmdline string
	// Origin is where the entry was defined.
	Origin Origin
	// Hidden entries are bootable by name but not listed; Disabled ones
	// are listed but cannot be chosen.
	Hidden, Disabled bool
	// Help is the entry's help text, lines joined with "\n".
	Help string
	// Options says whether typed kernel options are added.
	Options Options
}

// Bootable reports whether choosing e leads somewhere: a kernel to load
// or a menu to open.
func (e *Entry) Bootable() bool { return e.Kind == Linux || e.Kind == Chain }

// Why says in words why ch cannot be acted on ("" when it can).
func (ch Choice) Why() string {
	e := ch.Entry
	switch {
	case e == nil:
		return "nothing to boot"
	case e.Bootable():
		return ""
	case e.Kind == Local:
		return fmt.Sprintf("%q is %s: booting from a local disk is not possible from the network boot client", e.Label, e.Reason)
	}
	return fmt.Sprintf("%q cannot be booted by kexec: %s", e.Label, e.Reason)
}

// Item is one line of a menu: an entry, a submenu or a separator.
type Item struct {
	Entry     *Entry
	Submenu   *Submenu
	Separator bool
}

// Submenu is a menu within a menu (PXELINUX MENU BEGIN).
type Submenu struct {
	Title string
	Items []Item
}

// Choice is what a command boots: an entry and the command line and
// initrds it gets once the command's options are added.
type Choice struct {
	// Entry is the entry chosen; nil when nothing boots.
	Entry *Entry
	// Command is the command as written or typed ("linux quiet").
	Command string
	// Args are the kernel options the command adds ("quiet").
	Args string
	// Typed: the command was typed at the console (not DEFAULT,
	// ONTIMEOUT, ONERROR or the menu default, which the source made).
	Typed bool
	// Cmdline and Initrds are Entry's with the command's options added.
	Cmdline string
	Initrds []File
}

// Auto is what boots when nobody touches the console.
type Auto struct {
	Choice
	// Wait is how long the menu waits first; 0 boots at once.
	Wait time.Duration
	// Forever: the menu waits for the user (no timeout, or nothing to
	// boot). Wait is then 0.
	Forever bool
	// Via says which rule chose ("DEFAULT", "ONTIMEOUT", "menu
	// default"), "" when nothing boots unattended.
	Via string
}

// Menu is what a boot source offers.
type Menu struct {
	// Source is the config file (or disk) the menu was read from; Tried
	// lists every name tried before it, Source last.
	Source string
	Tried  []string
	// Text is shown before the menu: DISPLAY files, SAY lines.
	Text []string
	// Title is the menu's title; Items its lines in order.
	Title string
	Items []Item
	// Entries are all entries in source order, hidden ones and those of
	// submenus too.
	Entries []*Entry
	// Enter is what Enter on an empty line boots (the menu's default
	// entry); its Entry is nil when Enter boots nothing.
	Enter Choice
	// Auto is the unattended choice and the wait before it.
	Auto Auto
	// TotalTimeout bounds the wait even when the user typed (0: none).
	TotalTimeout time.Duration
	// Quiet: no menu and no prompt; Auto boots at once without showing
	// anything but Text (PXELINUX without UI and PROMPT 0).
	Quiet bool
	// Locked is set by the boot flow under signed boot: Typed refuses
	// options the source does not allow explicitly.
	Locked bool
	// Warnings are the problems the source worked around, each naming
	// its file and line.
	Warnings []error
	// Rules are the source's behaviour (see the package doc).
	Rules Rules
}

// Rules are what a boot source does that data cannot say.
type Rules interface {
	// Command reads a line typed at the menu or the prompt (a label, a
	// menu number, options after it). It applies the source's own rules
	// for options (OptionsDropped), not Locked: Menu.Typed does.
	Command(line string) (Choice, error)
	// OnError is what runs after failed could not boot; ok is false
	// when nothing does.
	OnError(failed Choice) (ch Choice, ok bool)
	// Follow loads the menu a Chain entry opens.
	Follow(ctx context.Context, e *Entry) (*Menu, error)
}

// ErrOptionsLocked is returned by Typed for kernel options typed for an
// entry of a signed menu that does not allow them explicitly.
var ErrOptionsLocked = errors.New("typed kernel options are refused under signed boot")

// ErrNoRules is returned for a typed line or a chain when the menu's
// source gave no Rules.
var ErrNoRules = errors.New("bootmenu: the menu has no rules for commands")

// Typed reads a line typed at the console (Rules.Command) and applies
// the Locked rule: options typed under signed boot are refused unless the
// entry allows them explicitly, with an error matching ErrOptionsLocked
// that says how to allow them.
func (m *Menu) Typed(line string) (Choice, error) {
	if m.Rules == nil {
		return Choice{Command: line}, ErrNoRules
	}
	ch, err := m.Rules.Command(line)
	if err != nil {
		return ch, err
	}
	if m.Locked && ch.Typed && ch.Args != "" && (ch.Entry == nil || ch.Entry.Options != OptionsAllowed) {
		return ch, fmt.Errorf("options %q: %w: the signed config must say ALLOWOPTIONS 1 to allow them", ch.Args, ErrOptionsLocked)
	}
	return ch, nil
}

// Numbered gives the entries a user can pick by number: the listed,
// selectable entries of all menus, depth first in menu order; number n
// is Numbered()[n-1].
func (m *Menu) Numbered() []*Entry {
	var out []*Entry
	var walk func(items []Item)
	walk = func(items []Item) {
		for _, it := range items {
			switch {
			case it.Entry != nil && !it.Entry.Disabled:
				out = append(out, it.Entry)
			case it.Submenu != nil:
				walk(it.Submenu.Items)
			}
		}
	}
	walk(m.Items)
	return out
}
