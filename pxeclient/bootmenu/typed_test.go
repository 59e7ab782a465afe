package bootmenu_test

import (
	"context"
	"errors"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// TestPlainCommand: a label exactly, else ignoring case, else a menu
// number; options after it are added to the entry's command line.
func TestPlainCommand(t *testing.T) {
	entry := func(label, cmdline string) *bootmenu.Entry {
		return &bootmenu.Entry{Label: label, Kind: bootmenu.Linux, Cmdline: cmdline, Initrds: []bootmenu.File{{Name: label + ".img"}}}
	}
	fedora, Fedora, two, hidden, off := entry("fedora", "ro"), entry("Fedora", "rw"), entry("2", ""), entry("rescue", "ro single"), entry("off", "")
	hidden.Hidden, off.Disabled = true, true
	m := &bootmenu.Menu{
		Entries: []*bootmenu.Entry{fedora, Fedora, two, hidden, off},
		Items: []bootmenu.Item{{Entry: fedora}, {Entry: off},
			{Submenu: &bootmenu.Submenu{Items: []bootmenu.Item{{Entry: Fedora}, {Entry: two}}}}},
	}
	m.Rules = plainRules{m}
	for _, tt := range []struct {
		line, label, command, args, cmdline string
		err                                 error
	}{
		{line: "fedora", label: "fedora", command: "fedora", cmdline: "ro"},
		{line: "Fedora", label: "Fedora", command: "Fedora", cmdline: "rw"},        // exact before folded
		{line: "FEDORA", label: "fedora", command: "FEDORA", cmdline: "ro"},        // the first folded match
		{line: "3", label: "2", command: "3", cmdline: ""},                         // numbers skip disabled entries, enter submenus
		{line: "2", label: "2", command: "2", cmdline: ""},                         // a label before a number
		{line: "1", label: "fedora", command: "1", cmdline: "ro"},                  // number 1
		{line: "rescue", label: "rescue", command: "rescue", cmdline: "ro single"}, // hidden: by label
		{line: "  fedora   quiet  splash ", label: "fedora", command: "fedora   quiet  splash", args: "quiet  splash", cmdline: "ro quiet  splash"},
		{line: "4", command: "4", err: bootmenu.ErrNoEntry},
		{line: "0", command: "0", err: bootmenu.ErrNoEntry},
		{line: "nothing x", command: "nothing x", err: bootmenu.ErrNoEntry},
		{line: "", command: "", err: bootmenu.ErrNoEntry},
	} {
		ch, err := m.Typed(tt.line)
		switch {
		case !errors.Is(err, tt.err):
			t.Errorf("Typed(%q): %v, want %v", tt.line, err, tt.err)
		case !ch.Typed || ch.Command != tt.command || ch.Args != tt.args || ch.Cmdline != tt.cmdline:
			t.Errorf("Typed(%q) = %+v; want command %q, args %q, cmdline %q", tt.line, ch, tt.command, tt.args, tt.cmdline)
		case tt.err != nil && ch.Entry != nil:
			t.Errorf("Typed(%q) = entry %q with %v", tt.line, ch.Entry.Label, err)
		case tt.err == nil && (ch.Entry == nil || ch.Entry.Label != tt.label || len(ch.Initrds) != 1 || ch.Initrds[0].Name != tt.label+".img"):
			t.Errorf("Typed(%q) = %+v; want entry %q", tt.line, ch, tt.label)
		}
	}
}

// TestWith: the choice a source makes itself (a default) is not typed
// and its command is the label.
func TestWith(t *testing.T) {
	e := &bootmenu.Entry{Label: "a", Cmdline: "ro"}
	if ch := e.With(""); ch.Entry != e || ch.Command != "a" || ch.Cmdline != "ro" || ch.Args != "" || ch.Typed {
		t.Errorf(`With("") = %+v`, ch)
	}
	if ch := e.With("quiet"); ch.Command != "a quiet" || ch.Cmdline != "ro quiet" || ch.Args != "quiet" {
		t.Errorf(`With("quiet") = %+v`, ch)
	}
	if ch := (&bootmenu.Entry{Label: "b"}).With("quiet"); ch.Cmdline != "quiet" {
		t.Errorf(`With("quiet") on an empty command line = %q`, ch.Cmdline)
	}
}

// plainRules are the rules of a source with no language of its own.
type plainRules struct{ m *bootmenu.Menu }

func (r plainRules) Command(line string) (bootmenu.Choice, error) { return r.m.PlainCommand(line) }
func (plainRules) OnError(bootmenu.Choice) (bootmenu.Choice, bool) {
	return bootmenu.Choice{}, false
}
func (plainRules) Follow(context.Context, *bootmenu.Entry) (*bootmenu.Menu, error) {
	return nil, errors.ErrUnsupported
}
