package grub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// mnode is a built menu item with what default paths match.
type mnode struct {
	it    *item
	entry *bootmenu.Entry
	sub   []*mnode
	title string
}

type builder struct {
	in      *interp
	labels  map[string]*bootmenu.Entry
	entries []*bootmenu.Entry
}

// menu runs every entry's and submenu's body and gives the menu.
func (in *interp) menu(mb *menuBuild) *bootmenu.Menu {
	b := &builder{in: in, labels: map[string]*bootmenu.Entry{}}
	nodes := b.build(mb, "")
	m := &bootmenu.Menu{
		Source:  mb.file.name,
		Tried:   append([]string{}, in.tried...),
		Items:   items(nodes),
		Entries: b.entries,
	}
	r := &rules{menu: m}
	m.Rules = r
	// The default, timeout and fallback of the menu's context.
	def, _ := mb.vars.lookup("default")
	e, via := b.choose(nodes, def, mb.file.name)
	if e != nil {
		m.Enter = e.With("")
	}
	m.Auto = bootmenu.Auto{Choice: m.Enter, Via: via}
	timeout := strings.TrimSpace(mb.vars.get("timeout"))
	style := mb.vars.get("timeout_style")
	switch n, err := strconv.Atoi(timeout); {
	case e == nil:
		m.Auto = bootmenu.Auto{Forever: true}
	case timeout == "" || n < 0:
		m.Auto.Forever = true
	case err != nil:
		in.warnErr(&bootmenu.Warning{File: mb.file.name, Err: fmt.Errorf("timeout %q is no number: the menu waits", timeout)})
		m.Auto.Forever = true
	default:
		m.Auto.Wait = time.Duration(n) * time.Second
		if style == "hidden" || style == "countdown" {
			m.Auto.Via += ", timeout_style=" + style
		}
	}
	if fb := strings.Fields(mb.vars.get("fallback")); len(fb) > 0 {
		for _, spec := range fb {
			if n := find(nodes, spec); n != nil {
				r.fallback = append(r.fallback, firstEntry(n))
			} else {
				in.warnErr(&bootmenu.Warning{File: mb.file.name, Err: fmt.Errorf("fallback %q matches no menu entry", spec)})
			}
		}
	}
	m.Warnings = in.warnings
	return m
}

// build runs the bodies of a menu's items: submenus first make their
// own menu; entries give what they boot.
func (b *builder) build(mb *menuBuild, path string) []*mnode {
	var out []*mnode
	for _, it := range mb.items {
		chosen := it.id
		if chosen == "" {
			chosen = it.title
		}
		if path != "" {
			chosen = path + ">" + chosen
		}
		n := &mnode{it: it, title: it.title}
		if it.submenu {
			sub := b.in.runSubmenu(mb, it, chosen)
			n.sub = b.build(sub, chosen)
		} else {
			n.entry = b.in.runEntry(mb, it, chosen)
			n.entry.Label = b.label(it)
			b.labels[n.entry.Label] = n.entry
			b.entries = append(b.entries, n.entry)
		}
		out = append(out, n)
	}
	return out
}

// label is what a user types for an entry: its --id, else its title
// made one word; unique within the menu.
func (b *builder) label(it *item) string {
	base := it.id
	if base == "" {
		base = slug(it.title)
	}
	l := base
	for i := 2; b.labels[l] != nil; i++ {
		l = fmt.Sprintf("%s-%d", base, i)
	}
	return l
}

// slug is a title as one lowercase word: letters, digits, '.', '_' and
// '-' kept, runs of anything else one '-'.
func slug(title string) string {
	var s strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			if dash && s.Len() > 0 {
				s.WriteByte('-')
			}
			dash = false
			s.WriteRune(r)
			continue
		}
		dash = true
	}
	if s.Len() == 0 {
		return "entry"
	}
	return s.String()
}

func items(nodes []*mnode) []bootmenu.Item {
	out := []bootmenu.Item{}
	for _, n := range nodes {
		if n.entry != nil {
			if !n.entry.Hidden { // bootable by its label, not listed
				out = append(out, bootmenu.Item{Entry: n.entry})
			}
			continue
		}
		out = append(out, bootmenu.Item{Submenu: &bootmenu.Submenu{Title: n.title, Items: items(n.sub)}})
	}
	return out
}

// runEntry runs a menu entry's body, as GRUB does when it is chosen, in
// a copy of its context with $chosen set, and says what it boots.
func (in *interp) runEntry(mb *menuBuild, it *item, chosen string) *bootmenu.Entry {
	vars := newScope(mb.vars, false)
	vars.set("chosen", chosen, "")
	run := &entryRun{}
	f := &frame{vars: vars, fns: &funcs{parent: mb.fns, defs: map[string]*funcNode{}}, args: it.args, entry: run, file: it.at.file}
	in.limit = min(in.steps+in.o.MaxEntrySteps, in.o.MaxSteps)
	start := in.steps
	_, c := in.exec(f, it.body)
	in.limit = in.o.MaxSteps
	e := &bootmenu.Entry{Title: it.title, Hidden: it.hidden, Initrds: []bootmenu.File{}, Origin: bootmenu.Origin{File: it.at.file.name, Line: it.at.line}}
	if run.hasLinuxAt {
		e.Origin = bootmenu.Origin{File: run.linuxAt.file.name, Line: run.linuxAt.line}
	}
	if it.origin != nil {
		e.Origin = *it.origin
	}
	switch {
	case in.stop != nil:
		e.Kind, e.Reason = bootmenu.Other, "not interpreted: "+shortErr(in.stop)
	case c.kind == ctlStop:
		e.Kind, e.Reason = bootmenu.Other, fmt.Sprintf("its commands did not end within %d statements", in.steps-start)
		in.warnErr(it.at.warning(fmt.Errorf("menu entry %q: more than %d statements: %w", it.title, in.o.MaxEntrySteps, ErrLimit)))
	case run.other != "":
		e.Kind, e.Reason = bootmenu.Other, run.other
		if run.file != nil {
			e.Kernel = *run.file
		}
	case run.kernel != nil:
		e.Kind, e.Kernel, e.Cmdline = bootmenu.Linux, *run.kernel, run.cmdline
		e.Initrds = append(e.Initrds, run.initrds...)
	case run.failed != "":
		e.Kind, e.Reason = bootmenu.Other, run.failed
	default:
		e.Kind, e.Reason = bootmenu.Other, "loads no Linux kernel"
	}
	return e
}

// shortErr is the reason in an error after its position.
func shortErr(err error) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err.Error()
	case errors.Is(err, ErrLimit):
		return "the statement limit was reached"
	}
	return err.Error()
}

// runSubmenu runs a submenu's body in a new context (exported variables
// only, as GRUB opens one) and gives the menu it defines.
func (in *interp) runSubmenu(mb *menuBuild, it *item, chosen string) *menuBuild {
	vars := newScope(mb.vars, true)
	vars.set("chosen", chosen, "")
	sub := &menuBuild{vars: vars, fns: mb.fns, file: it.at.file}
	f := &frame{vars: vars, fns: mb.fns, args: it.args, menu: sub, file: it.at.file}
	in.limit = min(in.steps+in.o.MaxEntrySteps, in.o.MaxSteps)
	in.exec(f, it.body)
	in.limit = in.o.MaxSteps
	return sub
}

// choose is the default entry and the rule that chose it: $default as
// an index, an id or a title, or a path of those through submenus
// ("gnulinux-advanced-…>gnulinux-6.1.0-…"); the first entry when it is
// unset or matches nothing (as GRUB falls back to entry 0), with a
// warning of file, the menu's config.
func (b *builder) choose(nodes []*mnode, def *variable, file string) (*bootmenu.Entry, string) {
	first := func() *bootmenu.Entry {
		for _, n := range nodes {
			if e := firstEntry(n); e != nil && !e.Hidden {
				return e
			}
		}
		return nil
	}
	if def == nil || def.value == "" {
		return first(), "first entry"
	}
	via := "default=" + def.value
	if def.from != "" {
		via = def.from + "=" + def.value
	}
	n := find(nodes, def.value)
	if n == nil {
		b.in.warnErr(&bootmenu.Warning{File: file, Err: fmt.Errorf("default %q matches no menu entry: the first entry is the default", def.value)})
		return first(), "first entry (" + via + " matches none)"
	}
	return firstEntry(n), via
}

// find follows a default path: parts separated by '>', each an index
// (hidden entries not counted), an id or a title.
func find(nodes []*mnode, spec string) *mnode {
	parts := strings.Split(spec, ">")
	cur := nodes
	for i, p := range parts {
		n := match(cur, p)
		if n == nil {
			return nil
		}
		if i == len(parts)-1 {
			return n
		}
		if n.entry != nil {
			return nil
		}
		cur = n.sub
	}
	return nil
}

func match(nodes []*mnode, p string) *mnode {
	if idx, err := strconv.Atoi(p); err == nil && p != "" && isDigit(p[0]) {
		i := 0
		for _, n := range nodes {
			if n.entry != nil && n.entry.Hidden {
				continue
			}
			if i == idx {
				return n
			}
			i++
		}
		return nil
	}
	for _, n := range nodes {
		if n.it.id == p {
			return n
		}
	}
	for _, n := range nodes {
		if n.title == p {
			return n
		}
	}
	return nil
}

// firstEntry is n's entry, or a submenu's first (GRUB boots a submenu's
// entry 0 when the default names the submenu itself).
func firstEntry(n *mnode) *bootmenu.Entry {
	if n.entry != nil {
		return n.entry
	}
	for _, s := range n.sub {
		if e := firstEntry(s); e != nil {
			return e
		}
	}
	return nil
}

// rules are a GRUB menu's bootmenu.Rules.
type rules struct {
	menu     *bootmenu.Menu
	fallback []*bootmenu.Entry
}

// Command reads a typed line as bootmenu.Menu.PlainCommand does: a label
// or a menu number, then kernel options added to the entry's command
// line.
func (r *rules) Command(line string) (bootmenu.Choice, error) {
	return r.menu.PlainCommand(line)
}

// OnError is GRUB's fallback: the first entry of $fallback that is not
// the one that failed and can boot.
func (r *rules) OnError(failed bootmenu.Choice) (bootmenu.Choice, bool) {
	for _, e := range r.fallback {
		if e != nil && e != failed.Entry && e.Bootable() {
			return e.With(""), true
		}
	}
	return bootmenu.Choice{}, false
}

// errNoChain: a GRUB menu has no entries that open other menus.
var errNoChain = errors.New("grub: a GRUB menu has no entries that open another menu")

func (r *rules) Follow(context.Context, *bootmenu.Entry) (*bootmenu.Menu, error) {
	return nil, errNoChain
}
