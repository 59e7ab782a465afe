package pxelinux

import (
	"fmt"
	"io"
	"strings"
)

// Plan is the answer to "what will this machine boot?" in the JSON shape
// `pxeboot plan` prints; other tools rely on exactly these fields.
type Plan struct {
	// Tried are the config names in the order tried, ending with the one
	// used (Path.String form: relative to the TFTP root, host::name or URL).
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
}

// NewPlan summarises c for the facts f.
func NewPlan(c *Config, f Facts) Plan {
	a := c.Autoboot()
	p := Plan{Config: c.Source.String(), Tried: []string{}, Entries: []PlanEntry{}}
	for _, t := range c.Tried {
		p.Tried = append(p.Tried, t.String())
	}
	switch {
	case a.Forever:
		p.TimeoutMS = -1
	default:
		p.TimeoutMS = a.Wait.Milliseconds()
	}
	entries := c.Entries
	if a.Entry != nil {
		p.Default = a.Entry.Label
		if a.Entry.Implicit {
			entries = append(entries[:len(entries):len(entries)], a.Entry)
		}
	}
	for _, e := range entries {
		pe := PlanEntry{
			Label: e.Label, Title: e.Title, Kernel: e.KernelPath.String(),
			Initrds: []string{}, Cmdline: e.Cmdline(f),
			LocalBoot: e.Kind == KindLocalBoot, Hidden: e.Hidden,
		}
		for _, i := range (Choice{Entry: e}).Initrds(f) {
			pe.Initrds = append(pe.Initrds, i.String())
		}
		p.Entries = append(p.Entries, pe)
	}
	return p
}

// WriteMenu writes the menu as a text console shows it: the title, then
// the items, entries numbered as Config.Command accepts them ("3" or the
// label), submenus indented, the default marked with '*', the hotkey in
// brackets, entries kexec cannot boot marked.
func WriteMenu(w io.Writer, c *Config) error {
	var b strings.Builder
	def := c.Autoboot().Entry
	num := map[*Entry]int{}
	for i, e := range c.Numbered() {
		num[e] = i + 1
	}
	var walk func(m *Menu, depth int)
	walk = func(m *Menu, depth int) {
		ind := strings.Repeat("    ", depth)
		if m.Title != "" {
			fmt.Fprintf(&b, "%s%s\n", ind, m.Title)
		}
		for _, it := range m.Items {
			switch {
			case it.Separator:
				fmt.Fprintf(&b, "%s  ---\n", ind)
			case it.Submenu != nil:
				fmt.Fprintf(&b, "%s  > %s\n", ind, orTag(stripCaret(it.Text), it.Submenu.Tag))
				walk(it.Submenu, depth+1)
			case it.Entry != nil:
				e := it.Entry
				mark := " "
				if e == def {
					mark = "*"
				}
				n := "  "
				if num[e] > 0 {
					n = fmt.Sprintf("%2d", num[e])
				}
				var notes []string
				if e.Hotkey != 0 {
					notes = append(notes, "key "+string(e.Hotkey))
				}
				switch {
				case e.Disabled:
					notes = append(notes, "disabled")
				case e.Kind == KindLocalBoot:
					notes = append(notes, "local boot")
				case e.Kind == KindConfig:
					notes = append(notes, "opens "+e.KernelPath.String())
				case e.Kind == KindOther:
					notes = append(notes, "cannot boot: "+e.Reason)
				}
				line := fmt.Sprintf("%s%s%s) %s [%s]", ind, mark, n, e.Title, e.Label)
				if len(notes) > 0 {
					line += " (" + strings.Join(notes, "; ") + ")"
				}
				b.WriteString(line + "\n")
			}
		}
	}
	if c.Menu != nil {
		walk(c.Menu, 0)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orTag(s, tag string) string {
	if s == "" {
		return tag
	}
	return s
}

// WritePlan writes the plan as text: SAY and DISPLAY text, the menu, what
// boots unattended and after how long, each entry's files and command
// line, and the warnings.
func WritePlan(w io.Writer, c *Config, f Facts) error {
	var b strings.Builder
	p := NewPlan(c, f)
	fmt.Fprintf(&b, "config: %s\n", p.Config)
	fmt.Fprintf(&b, "tried:  %s\n", strings.Join(p.Tried, ", "))
	for _, s := range c.Say {
		fmt.Fprintf(&b, "say:    %s\n", s)
	}
	for _, d := range c.Display {
		fmt.Fprintf(&b, "display:\n%s", printable(d))
		if !strings.HasSuffix(d, "\n") {
			b.WriteByte('\n')
		}
	}
	b.WriteString("\n")
	if err := WriteMenu(&b, c); err != nil {
		return err
	}
	a := c.Autoboot()
	b.WriteString("\n")
	switch {
	case a.Entry == nil:
		b.WriteString("unattended: nothing; waits for the user\n")
	case a.Forever:
		fmt.Fprintf(&b, "unattended: nothing; waits for the user (Enter boots %q)\n", a.Command)
	case a.Wait == 0:
		fmt.Fprintf(&b, "unattended: %q at once (%s)\n", a.Command, a.Via)
	default:
		fmt.Fprintf(&b, "unattended: %q after %s (%s)\n", a.Command, a.Wait, a.Via)
	}
	if a.Entry != nil && a.Entry.Kind == KindLinux {
		fmt.Fprintf(&b, "  cmdline: %s\n", a.Cmdline(f))
	}
	for _, e := range p.Entries {
		fmt.Fprintf(&b, "\n%s:\n", e.Label)
		switch {
		case e.LocalBoot:
			b.WriteString("  local boot\n")
			continue
		case e.Kernel != "":
			fmt.Fprintf(&b, "  kernel:  %s\n", e.Kernel)
		}
		for _, i := range e.Initrds {
			fmt.Fprintf(&b, "  initrd:  %s\n", i)
		}
		if e.Cmdline != "" {
			fmt.Fprintf(&b, "  cmdline: %s\n", e.Cmdline)
		}
	}
	for _, wn := range c.Warnings {
		fmt.Fprintf(&b, "warning: %v\n", wn)
	}
	_, err := io.WriteString(w, b.String())
	return err
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
