package bootmenu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNoEntry is returned by [Menu.PlainCommand] for a typed word that names no
// entry of the menu.
var ErrNoEntry = errors.New("bootmenu: no such entry")

// Pick is the entry a word typed at the console names: the entry
// labelled word, else the one whose label equals word ignoring case,
// else entry number word in the menu ([Menu.Numbered]); nil when none.
// Hidden entries are picked by their label too.
func (m *Menu) Pick(word string) *Entry {
	for _, e := range m.Entries {
		if e.Label == word {
			return e
		}
	}
	for _, e := range m.Entries {
		if strings.EqualFold(e.Label, word) {
			return e
		}
	}
	if n, err := strconv.Atoi(word); err == nil {
		if list := m.Numbered(); n >= 1 && n <= len(list) {
			return list[n-1]
		}
	}
	return nil
}

// With is e chosen with the kernel options args added to its command
// line (none when ""): the command is e's label, then args. The choice is
// not Typed; set Typed (and Command to the line) for a typed line.
func (e *Entry) With(args string) Choice {
	ch := Choice{Entry: e, Command: e.Label, Args: args, Cmdline: e.Cmdline, Initrds: e.Initrds}
	if args != "" {
		ch.Command += " " + args
		ch.Cmdline = strings.TrimSpace(e.Cmdline + " " + args)
	}
	return ch
}

// PlainCommand reads a line typed for m as sources read it that have no
// command language of their own (BLS, GRUB): its first word names an
// entry ([Menu.Pick]), the rest are kernel options added to the entry's
// command line ([Entry.With]). The choice is Typed, its Command the line.
// A word that names no entry gives a choice without Entry and an error
// matching [ErrNoEntry]. A source's own rules about options (loader.conf
// "editor no") are the source's to apply on the choice (its
// Rules.Command calls PlainCommand first); the Locked rule is
// [Menu.Typed]'s.
func (m *Menu) PlainCommand(line string) (Choice, error) {
	line = strings.TrimSpace(line)
	word, args, _ := strings.Cut(line, " ")
	e := m.Pick(word)
	if e == nil {
		return Choice{Command: line, Typed: true}, fmt.Errorf("%q: %w", word, ErrNoEntry)
	}
	ch := e.With(strings.TrimSpace(args))
	ch.Command, ch.Typed = line, true
	return ch, nil
}
