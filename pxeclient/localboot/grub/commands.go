package grub

import (
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// builtin is a command: it returns the exit status.
type builtin func(in *interp, f *frame, c *command, argv []string) (int, ctl)

// builtins are GRUB's commands; they take precedence over functions, as
// in grub_script_execute_cmdline.
var builtins map[string]builtin

// fallbacks are commands grub-mkconfig's configs define as functions;
// when a config calls one without defining it, it does nothing.
var fallbacks = map[string]bool{"load_video": true, "recordfail": true, "savedefault": true}

// quiet are commands about the screen, the keyboard, modules and
// sounds: nothing to do for a menu, status 0.
var quiet = []string{
	"insmod", "rmmod", "terminal_output", "terminal_input", "terminal", "serial",
	"background_image", "background_color", "clear", "play", "sleep", "boot",
	"set_gfxpayload", "videoinfo", "cmosclean", "halt_if_no_input",
}

func init() {
	builtins = map[string]builtin{
		"set":             cmdSet,
		"unset":           cmdUnset,
		"export":          cmdExport,
		"true":            func(*interp, *frame, *command, []string) (int, ctl) { return 0, ctl{} },
		"false":           func(*interp, *frame, *command, []string) (int, ctl) { return 1, ctl{} },
		"[":               cmdTest,
		"test":            cmdTest,
		"return":          cmdReturn,
		"break":           cmdBreak,
		"continue":        cmdBreak,
		"shift":           cmdShift,
		"setparams":       cmdSetparams,
		"exit":            cmdExit,
		"echo":            cmdEcho,
		"gettext":         cmdEcho,
		"loadfont":        cmdLoadfont,
		"fwsetup":         func(*interp, *frame, *command, []string) (int, ctl) { return 1, ctl{} },
		"keystatus":       func(*interp, *frame, *command, []string) (int, ctl) { return 1, ctl{} },
		"configfile":      cmdConfigfile,
		"normal":          cmdConfigfile,
		"source":          cmdSource,
		".":               cmdSource,
		"load_env":        cmdLoadEnv,
		"save_env":        cmdSaveEnv,
		"search":          cmdSearch,
		"search.fs_uuid":  cmdSearch,
		"search.fs_label": cmdSearch,
		"search.file":     cmdSearch,
		"linux":           cmdLinux,
		"linux16":         cmdLinux,
		"linuxefi":        cmdLinux,
		"initrd":          cmdInitrd,
		"initrd16":        cmdInitrd,
		"initrdefi":       cmdInitrd,
		"devicetree":      cmdDevicetree,
		"chainloader":     cmdChainloader,
		"menuentry":       cmdMenuentry,
		"submenu":         cmdMenuentry,
		"hiddenentry":     cmdMenuentry,
		"blscfg":          cmdBlscfg,
		"bls_import":      cmdBlscfg,
	}
	for _, q := range quiet {
		builtins[q] = func(*interp, *frame, *command, []string) (int, ctl) { return 0, ctl{} }
	}
}

func (in *interp) command(f *frame, c *command) (int, ctl) {
	argv := in.expand(f, c.words)
	if len(argv) == 0 {
		return 0, ctl{}
	}
	name := argv[0]
	if c.blockSet && name != "menuentry" && name != "submenu" && name != "hiddenentry" {
		in.warn(c.pos, "%s takes no { } block", name)
		return 1, ctl{}
	}
	if b, ok := builtins[name]; ok {
		return b(in, f, c, argv)
	}
	if fn, ok := f.fns.lookup(name); ok {
		return in.call(f, c, fn, argv[1:])
	}
	if fallbacks[name] {
		return 0, ctl{}
	}
	if i := strings.IndexByte(name, '='); i > 0 && len(argv) == 1 {
		// NAME=VALUE as a command is an assignment, GRUB's last resort.
		return in.assign(f, c, name[:i], name[i+1:], c.words[0]), ctl{}
	}
	in.warn(c.pos, "%s: %w", name, ErrUnknownCommand)
	return 1, ctl{}
}

// call runs a function with its positional parameters.
func (in *interp) call(f *frame, c *command, fn *funcNode, args []string) (int, ctl) {
	if f.calls >= in.o.MaxDepth {
		in.warn(c.pos, "function %s: calls nest deeper than %d: %w", fn.name, in.o.MaxDepth, ErrLimit)
		return 1, ctl{}
	}
	g := *f
	g.args, g.calls, g.loops = args, f.calls+1, 0
	st, r := in.exec(&g, fn.body)
	switch r.kind {
	case ctlReturn:
		return r.n, ctl{}
	case ctlStop, ctlExit:
		return st, r
	}
	return st, ctl{}
}

// assign sets name from w (the word written), noting when the value is
// copied from a variable load_env read.
func (in *interp) assign(f *frame, c *command, name, value string, w word) int {
	if !validName(name) {
		in.warn(c.pos, "set: %q is no variable name", name)
		return 1
	}
	// `set default="${saved_entry}"`: the word is NAME= and one
	// variable, whose origin the value keeps.
	from, text, vars, only := "", "", 0, ""
	for _, p := range w.parts {
		switch p.kind {
		case partVar, partQVar:
			vars++
			only = p.text
		default:
			text += p.text
		}
	}
	if vars == 1 && text == name+"=" {
		if v, ok := f.vars.lookup(only); ok && v.value == value {
			from = v.from
		}
	}
	if !in.setVar(f, c.pos, name, value, from) {
		return 1
	}
	return 0
}

func cmdSet(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	if len(argv) == 1 {
		return 0, ctl{}
	}
	st := 0
	for i, a := range argv[1:] {
		name, value, ok := strings.Cut(a, "=")
		if !ok {
			continue // `set NAME` shows it in GRUB
		}
		w := word{parts: []part{{kind: partLit, text: a}}}
		if i+1 < len(c.words) && len(argv) == len(c.words) {
			w = c.words[i+1]
		}
		st = in.assign(f, c, name, value, w)
	}
	return st, ctl{}
}

func cmdUnset(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	for _, a := range argv[1:] {
		f.vars.unset(a)
	}
	return 0, ctl{}
}

func cmdExport(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	for _, a := range argv[1:] {
		if validName(a) {
			f.vars.export(a)
		}
	}
	return 0, ctl{}
}

func cmdReturn(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	n := in.status
	if len(argv) > 1 {
		v, err := strconv.Atoi(argv[1])
		if err != nil {
			in.warn(c.pos, "return: %q is no number", argv[1])
			return 1, ctl{}
		}
		n = v
	}
	if f.calls == 0 {
		in.warn(c.pos, "return outside a function")
		return 1, ctl{}
	}
	return n, ctl{kind: ctlReturn, n: n}
}

func cmdBreak(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	n := 1
	if len(argv) > 1 {
		v, err := strconv.Atoi(argv[1])
		if err != nil || v < 1 {
			in.warn(c.pos, "%s: %q is no positive number", argv[0], argv[1])
			return 1, ctl{}
		}
		n = v
	}
	if f.loops == 0 {
		return 0, ctl{}
	}
	if argv[0] == "break" {
		return 0, ctl{kind: ctlBreak, n: n}
	}
	return 0, ctl{kind: ctlContinue, n: n}
}

func cmdShift(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	n := 1
	if len(argv) > 1 {
		v, err := strconv.Atoi(argv[1])
		if err != nil || v < 0 {
			return 1, ctl{}
		}
		n = v
	}
	if n > len(f.args) {
		return 1, ctl{}
	}
	f.args = f.args[n:]
	return 0, ctl{}
}

func cmdSetparams(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	f.args = append([]string(nil), argv[1:]...)
	return 0, ctl{}
}

// cmdExit ends the config being read (in a function: the function).
func cmdExit(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	return 0, ctl{kind: ctlExit}
}

func cmdEcho(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	in.log.Debug("grub: echo", "at", c.pos.String(), "text", strings.Join(argv[1:], " "))
	return 0, ctl{}
}

// cmdLoadfont fails: there are no fonts here, and configs that test it
// (Debian's `if loadfont $font`) go on without graphics.
func cmdLoadfont(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	return 1, ctl{}
}

func cmdSaveEnv(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	in.log.Debug("grub: save_env not done: nothing on a disk is written", "at", c.pos.String(), "vars", argv[1:])
	return 0, ctl{}
}

// cmdLoadEnv reads grubenv: -f FILE or $prefix/grubenv; names after
// the options only take those variables.
func cmdLoadEnv(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	file := ""
	var only []string
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-f" || a == "--file":
			if i+1 < len(argv) {
				i++
				file = argv[i]
			}
		case strings.HasPrefix(a, "--file="):
			file = strings.TrimPrefix(a, "--file=")
		case a == "-s" || a == "--skip-sig":
		case strings.HasPrefix(a, "-"):
		default:
			only = append(only, a)
		}
	}
	if file == "" {
		file = f.vars.get("prefix") + "/grubenv"
	}
	v, p, err := in.resolve(f, file)
	if err != nil {
		in.warn(c.pos, "load_env %s: %w", file, err)
		return 1, ctl{}
	}
	data, err := readSmall(v.FS, p, MaxEnvSize)
	if err != nil {
		in.warn(c.pos, "load_env %s: %w", file, err)
		return 1, ctl{}
	}
	env, err := ReadEnv(data)
	if err != nil {
		in.warn(c.pos, "load_env %s: %w", file, err)
	}
	for _, name := range sortedKeys(env) {
		if only != nil && !contains(only, name) || !validName(name) {
			continue
		}
		in.setVar(f, c.pos, name, env[name], name)
	}
	if err != nil {
		return 1, ctl{}
	}
	return 0, ctl{}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cmdConfigfile reads another config in a new context (exported
// variables only) with its own menu; once that menu has entries, it is
// the menu GRUB shows, and the one Interpret gives. normal without a
// file does nothing here.
func cmdConfigfile(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	if len(argv) < 2 {
		return 0, ctl{}
	}
	if f.entry != nil {
		f.entry.fail(c.pos, fmt.Sprintf("opens another menu (%s %s)", argv[0], argv[1]))
		return 1, ctl{}
	}
	file, src, ok := in.open(f, c, argv[1])
	if !ok {
		return 1, ctl{}
	}
	vars := newScope(f.vars, true)
	in.setConfigVars(vars, file)
	mb := &menuBuild{vars: vars, fns: f.fns, file: file}
	g := &frame{vars: vars, fns: f.fns, menu: mb, file: file, files: f.files + 1}
	r := in.runSource(g, file, src)
	if r.kind == ctlStop {
		return 1, r
	}
	if len(mb.items) > 0 {
		in.result = mb
		return 0, ctl{kind: ctlStop}
	}
	return 0, ctl{}
}

// cmdSource reads another config in the same context and menu.
func cmdSource(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	if len(argv) < 2 {
		in.warn(c.pos, "%s needs a file", argv[0])
		return 1, ctl{}
	}
	file, src, ok := in.open(f, c, argv[1])
	if !ok {
		return 1, ctl{}
	}
	g := *f
	g.file, g.files = file, f.files+1
	in.setConfigVars(f.vars, file)
	r := in.runSource(&g, file, src)
	if r.kind == ctlStop {
		return 1, r
	}
	return in.status, ctl{}
}

// open finds and reads the config a configfile/source names, refusing
// cycles and deep nesting.
func (in *interp) open(f *frame, c *command, name string) (*cfgFile, []byte, bool) {
	v, p, err := in.resolve(f, name)
	if err != nil {
		in.warn(c.pos, "%s %s: %w", c.words0(), name, err)
		return nil, nil, false
	}
	file := in.file(v, p)
	for i, k := range in.active {
		if k == file.key() {
			chain := append(append([]string(nil), in.active[i:]...), file.key())
			in.warn(c.pos, "%s %s: %w: %s", c.words0(), name, ErrCycle, strings.Join(chain, " → "))
			return nil, nil, false
		}
	}
	if f.files+1 > in.o.MaxDepth {
		in.warn(c.pos, "%s %s: config files nest deeper than %d: %w", c.words0(), name, in.o.MaxDepth, ErrLimit)
		return nil, nil, false
	}
	src, err := in.read(file)
	if err != nil {
		in.warn(c.pos, "%s %s: %w", c.words0(), file.name, err)
		return nil, nil, false
	}
	return file, src, true
}

// words0 is the command's name as written, for messages.
func (c *command) words0() string {
	if s, ok := c.words[0].literal(); ok {
		return s
	}
	return "command"
}

// readSmall reads a small file (grubenv), refusing one over max bytes.
func readSmall(fsys fs.FS, name string, max int64) ([]byte, error) {
	if fsys == nil {
		return nil, fs.ErrNotExist
	}
	file, err := fsys.Open(volumeName(name))
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%d bytes, at most %d: %w", st.Size(), max, ErrTooLarge)
	}
	b, err := io.ReadAll(io.LimitReader(file, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("more than %d bytes: %w", max, ErrTooLarge)
	}
	return b, nil
}
