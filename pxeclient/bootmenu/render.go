package bootmenu

import (
	"fmt"
	"io"
	"strings"
)

// Parts selects what Render writes.
type Parts uint

const (
	// Source: the config used and the names tried before it.
	Source Parts = 1 << iota
	// Banner: the menu's Text (DISPLAY files, SAY lines).
	Banner
	// Items: the title and the numbered entries.
	Items
	// Unattended: what boots when nobody types, after how long.
	Unattended
	// Details: each entry's files and command line.
	Details
	// Warnings: what the source worked around.
	Warnings

	// Console is what the menu on the console shows.
	Console = Banner | Items
	// Plan is `pxeboot plan --format text`.
	Plan = Source | Banner | Items | Unattended | Details | Warnings
)

// Render writes the parts of m as line-mode text (no carriage returns,
// no cursor control: IBM Z SCLP consoles and serial logs show nothing
// else correctly). The console menu and `pxeboot plan --format text` both
// write it, so they show a menu the same way:
//
//	Lab boot menu
//	 1) Install Debian [install]
//	 2) Rescue shell [rescue]
//	    Old kernel [old] (disabled)
//	 3) Boot from disk [disk] (cannot boot: local boot)
//	Tools:
//	     4) Memory test [memtest]
//
// Entries are numbered as Typed accepts them; the label follows the
// title when they differ; hidden entries are left out, disabled ones
// have no number; submenus are indented below their title; a separator
// is an empty line.
func Render(w io.Writer, m *Menu, parts Parts) error {
	var b strings.Builder
	section := func() {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
	}
	if parts&Source != 0 {
		fmt.Fprintf(&b, "config: %s\n", m.Source)
		fmt.Fprintf(&b, "tried:  %s\n", strings.Join(m.Tried, ", "))
	}
	banner := parts&Banner != 0 && len(m.Text) > 0
	if banner {
		section()
		for _, t := range m.Text {
			b.WriteString(printable(strings.TrimRight(t, "\n")) + "\n")
		}
	}
	if parts&Items != 0 {
		if !banner { // the banner leads into the menu, as on the console
			section()
		}
		num := map[*Entry]int{}
		for i, e := range m.Numbered() {
			num[e] = i + 1
		}
		if m.Title != "" {
			b.WriteString(m.Title + "\n")
		}
		writeItems(&b, m.Items, num, "")
	}
	if parts&Unattended != 0 {
		section()
		writeAuto(&b, m.Auto)
	}
	if parts&Details != 0 {
		for _, e := range m.Listed() {
			fmt.Fprintf(&b, "\n%s:\n", e.Label)
			switch e.Kind {
			case Local:
				b.WriteString("  local boot\n")
				continue
			}
			if e.Kernel.Name != "" {
				fmt.Fprintf(&b, "  kernel:  %s\n", e.Kernel.Name)
			}
			for _, i := range e.Initrds {
				fmt.Fprintf(&b, "  initrd:  %s\n", i.Name)
			}
			if e.Cmdline != "" {
				fmt.Fprintf(&b, "  cmdline: %s\n", e.Cmdline)
			}
		}
	}
	if parts&Warnings != 0 {
		for _, wn := range m.Warnings {
			fmt.Fprintf(&b, "warning: %v\n", wn)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeItems(b *strings.Builder, items []Item, num map[*Entry]int, indent string) {
	for _, it := range items {
		switch {
		case it.Separator:
			b.WriteString("\n")
		case it.Submenu != nil:
			fmt.Fprintf(b, "%s%s:\n", indent, it.Submenu.Title)
			writeItems(b, it.Submenu.Items, num, indent+"    ")
		case it.Entry != nil:
			e := it.Entry
			n := "    "
			if num[e] > 0 {
				n = fmt.Sprintf("%2d) ", num[e])
			}
			line := indent + n + e.Title
			if e.Title != e.Label {
				line += " [" + e.Label + "]"
			}
			if note := e.note(); note != "" {
				line += " (" + note + ")"
			}
			b.WriteString(line + "\n")
		}
	}
}

// note is what a menu line says about an entry beyond its title.
func (e *Entry) note() string {
	switch {
	case e.Disabled:
		return "disabled"
	case e.Kind == Chain:
		return "opens " + e.Kernel.Name
	case !e.Bootable():
		return "cannot boot: " + e.Reason
	}
	return ""
}

func writeAuto(b *strings.Builder, a Auto) {
	switch {
	case a.Entry == nil:
		b.WriteString("unattended: nothing; waits for the user\n")
	case a.Forever:
		fmt.Fprintf(b, "unattended: nothing; waits for the user (Enter boots %q)\n", a.Command)
	case a.Wait == 0:
		fmt.Fprintf(b, "unattended: %q at once (%s)\n", a.Command, a.Via)
	default:
		fmt.Fprintf(b, "unattended: %q after %s (%s)\n", a.Command, a.Wait, a.Via)
	}
	if a.Entry != nil && a.Entry.Kind == Linux {
		fmt.Fprintf(b, "  cmdline: %s\n", a.Cmdline)
	}
}

// Listed is every entry of the menu, hidden and submenu ones too, in
// source order, followed by the unattended choice's entry when the
// source made it up (a PXELINUX DEFAULT naming a kernel, not a label).
func (m *Menu) Listed() []*Entry {
	out := m.Entries
	if e := m.Auto.Entry; e != nil {
		for _, x := range m.Entries {
			if x == e {
				return out
			}
		}
		out = append(out[:len(out):len(out)], e)
	}
	return out
}

// printable drops the control characters DISPLAY files use for colours
// (Ctrl-L, Ctrl-O xx, ...) except newlines and tabs.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\n' && r != '\t' {
			return -1
		}
		return r
	}, s)
}
