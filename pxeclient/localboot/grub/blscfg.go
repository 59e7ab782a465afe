package grub

import (
	"fmt"
	"path"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/bls"
)

// blsRoots are the folders holding loader/entries where Fedora's blscfg
// looks when $blsdir is unset (GRUB_BLS_CONFIG_PATH), then below /boot.
var blsRoots = []string{".", "boot"}

// cmdBlscfg is Fedora's and RHEL's blscfg (grub-core/commands/blscfg.c
// in their grub2): the type #1 BLS entries of $root's /loader/entries
// (then /boot/loader/entries; $blsdir, or an argument "(dev)/dir",
// when given; on BIOS $boot before $root) become menu entries in the
// BLS order (package bls), each with the body blscfg writes:
//
//	load_video
//	set gfxpayload=keep
//	insmod gzio
//	linux ($root)LINUX OPTIONS
//	initrd ($root)INITRD…
//
// where OPTIONS has its $variables ($kernelopts, $tuned_params) replaced
// now, unset ones by nothing, and the initrd line keeps its own
// ($tuned_initrd) for when the body runs. The entry's id is the file
// name without .conf; "default", "non-default" or an id as argument
// select entries as blscfg does.
func cmdBlscfg(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	if f.menu == nil {
		in.warn(c.pos, "blscfg inside a menu entry is ignored")
		return 1, ctl{}
	}
	dev, dir, only := "", f.vars.get("blsdir"), ""
	showDefault, showOther := true, true
	if len(argv) > 1 {
		switch a := argv[1]; {
		case a == "default":
			showOther = false
		case a == "non-default":
			showDefault = false
		case strings.HasPrefix(a, "("):
			end := strings.IndexByte(a, ')')
			if end < 0 {
				in.warn(c.pos, "blscfg %s: no ')'", a)
				return 1, ctl{}
			}
			dev, dir = a[1:end], a[end+1:]
		default:
			only, showDefault, showOther = a, false, false
		}
	}
	if dev == "" {
		dev = f.vars.get("root")
		if b := f.vars.get("boot"); in.o.Platform != "efi" && b != "" {
			dev = b
		}
	}
	v, err := in.volumeFor(strings.Trim(dev, "()"))
	if err != nil {
		in.warn(c.pos, "blscfg: %w", err)
		return 1, ctl{}
	}
	roots := blsRoots
	if dir != "" {
		d := strings.TrimSuffix(trimSlash(dir), "/")
		if !strings.HasSuffix("/"+d, "/"+bls.EntriesDir) {
			in.warn(c.pos, "blscfg: $blsdir %s does not end in /%s: not read", dir, bls.EntriesDir)
			return 1, ctl{}
		}
		roots = []string{path.Clean(strings.TrimSuffix(strings.TrimSuffix(d, bls.EntriesDir), "/") + "/.")}
	}
	var res *bls.Result
	for _, root := range roots {
		r, err := bls.Load(v.FS, bls.Options{Arch: in.o.Arch, Roots: []string{root}, Logger: in.o.Logger})
		if err != nil {
			in.warn(c.pos, "blscfg on %s: %w", v, err)
			return 1, ctl{}
		}
		res = r
		if len(r.Entries) > 0 || len(r.Dirs) > 0 {
			break
		}
	}
	for _, w := range res.Warnings {
		in.warnErr(bls.OnVolume(v, w))
	}
	def := f.vars.get("default")
	idx := 0
	for _, e := range res.Entries {
		if e.Type != bls.Type1 || !e.ForArch(in.o.Arch) {
			continue
		}
		isDef := def != "" && (def == e.ID || def == e.Title || def == fmt.Sprint(idx))
		idx++
		if !(showDefault && isDef || showOther && !isDef || only == e.ID) {
			continue
		}
		if e.Linux == "" {
			continue // an efi entry: blscfg skips it
		}
		it := in.blsItem(f, v.File("/"+e.Path).Name, e)
		it.origin = &bootmenu.Origin{File: v.File("/" + e.Path).Name, Line: e.LinuxLine}
		if st, r := in.addItem(f, c.pos, it); st != 0 {
			return st, r
		}
	}
	return 0, ctl{}
}

// trimSlash is a path without its leading slashes.
func trimSlash(p string) string { return strings.TrimLeft(p, "/") }

// blsItem is the menu entry blscfg makes of e.
func (in *interp) blsItem(f *frame, name string, e *bls.Entry) *item {
	var opts []string
	for _, l := range e.Options {
		opts = append(opts, l.Text)
	}
	options := blsExpand(f, strings.Join(opts, " "))
	var src strings.Builder
	src.WriteString("load_video\nset gfxpayload=keep\ninsmod gzio\n")
	src.WriteString("linux ($root)" + e.Linux)
	if options != "" {
		src.WriteString(" " + options)
	}
	src.WriteString("\n")
	var initrds []string
	if early := strings.Fields(f.vars.get("early_initrd")); len(early) > 0 {
		dir := path.Dir(e.Linux)
		if len(e.Initrd) > 0 {
			dir = path.Dir(strings.Fields(e.Initrd[0].Text + " x")[0])
		}
		for _, x := range early {
			initrds = append(initrds, "($root)"+path.Join(dir, x))
		}
	}
	for _, l := range e.Initrd {
		initrds = append(initrds, "($root)"+l.Text)
	}
	if len(initrds) > 0 {
		src.WriteString("initrd " + strings.Join(initrds, " ") + "\n")
	}
	if e.Devicetree != "" {
		src.WriteString("devicetree ($root)" + e.Devicetree + "\n")
	}
	title := e.Title
	if title == "" {
		title = e.Linux
	}
	file := &cfgFile{vol: f.file.vol, path: f.file.path, name: name}
	p := &parser{lx: newLexer(src.String(), 1), file: file}
	var body []node
	for n := in.next(p); n != nil; n = in.next(p) {
		body = append(body, n)
	}
	return &item{title: title, id: e.ID, args: []string{title}, body: body, at: pos{file, e.LinuxLine}}
}

// blsExpand replaces $NAME in a BLS options value with the variable's
// value ("" when unset), as blscfg's expand_val does.
func blsExpand(f *frame, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && isNameChar(s[j]) {
			j++
		}
		b.WriteString(f.vars.get(s[i+1 : j]))
		i = j - 1
	}
	return b.String()
}
