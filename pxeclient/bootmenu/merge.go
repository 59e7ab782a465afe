package bootmenu

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Part is one menu of a merged menu (Merge): a config file of a disk, or
// a whole boot source.
type Part struct {
	// Title heads the part's group, a Submenu of the merged menu
	// ("vda2 (ext4 "boot") /grub/grub.cfg"); "" puts the part's items
	// into the merged menu as they are (a part that groups its own
	// entries already).
	Title string
	Menu  *Menu
}

// Merge gives one menu of several, parts in order (nil menus are
// skipped), as the boot flow shows the network's and the disks' entries
// together and local boot shows the configs of all disks:
//
//   - Items: each part's items (its listed entries when it has no menu
//     lines, as a PXELINUX config without MENU), in a Submenu titled
//     Part.Title, or as they are when the title is "";
//   - labels stay unique across the merged menu: an entry whose label an
//     earlier part holds is listed as a copy named LABEL-2 (-3, ...: the
//     first suffix no entry holds), so every entry can be typed;
//   - Auto, Enter, Quiet and TotalTimeout are those of the first part
//     whose unattended choice boots something (Auto.Entry set), else of
//     the first part: the order of the parts is the order between them;
//   - Source is that part's, Tried, Text and Warnings are all parts' in
//     order; Locked is set when any part is;
//   - Rules read a typed line against the merged menu (a label of any
//     part, a number of the merged numbering) and hand the command to the
//     rules of the part the entry belongs to, with the entry's own label,
//     so its options, ONERROR and CONFIG work as in that part alone; a
//     word no part lists is offered to each part in order (PXELINUX boots
//     a kernel named at the prompt).
func Merge(parts []Part) *Menu {
	mr := &mergedRules{part: map[*Entry]int{}, orig: map[*Entry]*Entry{}, copyOf: map[*Entry]*Entry{}}
	m := &Menu{Tried: []string{}, Rules: mr}
	mr.m = m
	// Labels the parts hold, so that a new name never takes one.
	taken := map[string]bool{}
	for _, p := range parts {
		if p.Menu != nil {
			for _, e := range p.Menu.Listed() {
				taken[e.Label] = true
			}
		}
	}
	kept := map[string]bool{}
	auto := -1
	for _, p := range parts {
		pm := p.Menu
		if pm == nil {
			continue
		}
		i := len(mr.parts)
		mr.parts = append(mr.parts, pm)
		for _, e := range pm.Listed() {
			me := e
			if kept[e.Label] {
				c := *e
				c.Label = freeLabel(e.Label, taken)
				taken[c.Label] = true
				me = &c
			}
			kept[me.Label] = true
			mr.part[me], mr.orig[me], mr.copyOf[e] = i, e, me
		}
		for _, e := range pm.Entries {
			m.Entries = append(m.Entries, mr.copyOf[e])
		}
		items := mr.items(pm.Items)
		if pm.Items == nil {
			for _, e := range pm.Entries {
				if !e.Hidden {
					items = append(items, Item{Entry: mr.copyOf[e]})
				}
			}
		}
		if p.Title != "" {
			title := p.Title
			if pm.Title != "" {
				title += ": " + pm.Title
			}
			m.Items = append(m.Items, Item{Submenu: &Submenu{Title: title, Items: items}})
		} else {
			m.Items = append(m.Items, items...)
		}
		m.Tried = append(m.Tried, pm.Tried...)
		m.Text = append(m.Text, pm.Text...)
		m.Warnings = append(m.Warnings, pm.Warnings...)
		m.Locked = m.Locked || pm.Locked
		if auto < 0 && pm.Auto.Entry != nil {
			auto = i
		}
	}
	if len(mr.parts) == 0 {
		return m
	}
	if auto < 0 {
		auto = 0
	}
	from := mr.parts[auto]
	m.Source, m.Quiet, m.TotalTimeout = from.Source, from.Quiet, from.TotalTimeout
	m.Auto = from.Auto
	m.Auto.Choice = mr.choice(from.Auto.Choice)
	m.Enter = mr.choice(from.Enter)
	return m
}

// freeLabel is label with the first suffix -2, -3, ... that no entry
// holds.
func freeLabel(label string, taken map[string]bool) string {
	for n := 2; ; n++ {
		if l := label + "-" + strconv.Itoa(n); !taken[l] {
			return l
		}
	}
}

// mergedRules are the Rules of a merged menu.
type mergedRules struct {
	m     *Menu
	parts []*Menu
	// part is the part of each entry of m; orig the part's own entry
	// (the same one unless it was renamed); copyOf the other way.
	part   map[*Entry]int
	orig   map[*Entry]*Entry
	copyOf map[*Entry]*Entry
}

// items are a part's items with its entries as m lists them.
func (mr *mergedRules) items(in []Item) []Item {
	var out []Item
	for _, it := range in {
		switch {
		case it.Entry != nil:
			out = append(out, Item{Entry: mr.mapEntry(it.Entry)})
		case it.Submenu != nil:
			out = append(out, Item{Submenu: &Submenu{Title: it.Submenu.Title, Items: mr.items(it.Submenu.Items)}})
		default:
			out = append(out, it)
		}
	}
	return out
}

// mapEntry is the entry of m standing for a part's entry e.
func (mr *mergedRules) mapEntry(e *Entry) *Entry {
	if me, ok := mr.copyOf[e]; ok {
		return me
	}
	return e
}

// choice is a part's choice with its entry as m lists it.
func (mr *mergedRules) choice(ch Choice) Choice {
	if ch.Entry != nil {
		ch.Entry = mr.mapEntry(ch.Entry)
	}
	return ch
}

// Command reads line against the merged menu (see Merge).
func (mr *mergedRules) Command(line string) (Choice, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		if mr.m.Enter.Entry == nil {
			return Choice{}, fmt.Errorf("empty command and no default entry")
		}
		ch := mr.m.Enter
		ch.Typed = true
		return ch, nil
	}
	word, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		word, rest = line[:i], strings.TrimSpace(line[i:])
	}
	e := mr.lookup(word)
	if e == nil {
		if n, err := strconv.Atoi(word); err == nil {
			list := mr.m.Numbered()
			if n < 1 || n > len(list) {
				return Choice{Command: line}, fmt.Errorf("%q: no entry has number %d (1-%d)", line, n, len(list))
			}
			e = list[n-1]
		}
	}
	if e == nil {
		return mr.unlisted(line, word)
	}
	p, o := mr.parts[mr.part[e]], mr.orig[e]
	if p.Rules == nil {
		ch := e.With(rest)
		ch.Command, ch.Typed = line, true
		return ch, nil
	}
	cmd := o.Label
	if rest != "" {
		cmd += " " + rest
	}
	ch, err := p.Rules.Command(cmd)
	return mr.choice(ch), err
}

// lookup is the entry of m labelled label (hidden ones too).
func (mr *mergedRules) lookup(label string) *Entry {
	for _, e := range mr.m.Listed() {
		if e.Label == label {
			return e
		}
	}
	return nil
}

// unlisted offers a line whose first word no entry holds to each part
// in order; the first that takes it decides, else the first error.
func (mr *mergedRules) unlisted(line, word string) (Choice, error) {
	var first error
	for _, p := range mr.parts {
		if p.Rules == nil {
			continue
		}
		ch, err := p.Rules.Command(line)
		if err == nil {
			return mr.choice(ch), nil
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("%q is no label and no number of this menu", word)
	}
	return Choice{Command: line}, first
}

// OnError is the rule of the failed entry's part.
func (mr *mergedRules) OnError(failed Choice) (Choice, bool) {
	i, ok := mr.part[failed.Entry]
	if !ok || mr.parts[i].Rules == nil {
		return Choice{}, false
	}
	failed.Entry = mr.orig[failed.Entry]
	ch, ok := mr.parts[i].Rules.OnError(failed)
	return mr.choice(ch), ok
}

// Follow is the rule of the entry's part.
func (mr *mergedRules) Follow(ctx context.Context, e *Entry) (*Menu, error) {
	i, ok := mr.part[e]
	if !ok {
		return nil, fmt.Errorf("entry %q is not of this menu", e.Label)
	}
	if mr.parts[i].Rules == nil {
		return nil, fmt.Errorf("entry %q of %s: %w", e.Label, mr.parts[i].Source, ErrNoRules)
	}
	return mr.parts[i].Rules.Follow(ctx, mr.orig[e])
}
