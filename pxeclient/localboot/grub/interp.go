package grub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"strconv"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// Limits against hostile input; a zero field of Options takes these.
const (
	// DefaultMaxFileSize bounds one config file (grub.cfg, a sourced
	// file): a real grub.cfg is a few KiB; 10,000 entries take ~4 MiB.
	DefaultMaxFileSize = 4 << 20
	// DefaultMaxSteps bounds the statements executed in all: the
	// configs, then every menu entry's body.
	DefaultMaxSteps = 4_000_000
	// DefaultMaxEntrySteps bounds the statements of one menu entry's
	// body, so that one endless loop leaves the other entries bootable.
	DefaultMaxEntrySteps = 20_000
	// DefaultMaxEntries bounds menu entries and submenus together.
	DefaultMaxEntries = 20_000
	// DefaultMaxDepth bounds nested function calls, and separately
	// nested configfile/source/normal files.
	DefaultMaxDepth = 32
)

// Internal bounds.
const (
	maxValue = 64 << 10 // one variable's value
	maxVars  = 4096     // variables in one scope
	maxFiles = 64       // distinct config files read
)

// Sentinel errors, in the menu's Warnings and Interpret's error.
var (
	// ErrTooLarge: a config file is bigger than Options.MaxFileSize; it
	// is not read.
	ErrTooLarge = errors.New("config file too large")
	// ErrLimit: a bound on statements, entries, nesting or variables
	// was reached; what remained was not interpreted.
	ErrLimit = errors.New("limit reached")
	// ErrCycle: a config file sources or opens itself, directly or
	// through others.
	ErrCycle = errors.New("config files form a cycle")
	// ErrUnknownCommand: a command GRUB may have but the interpreter
	// does not (lsefi, cryptomount, ...): it fails with status 1.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrDevice: a device name that no volume has ((hd3,gpt1), a
	// UUID no filesystem has).
	ErrDevice = errors.New("device not found")
	// ErrUnsupportedDevice: a GRUB device the client cannot read
	// (lvm/…, md/…, crypto…, network and memory devices).
	ErrUnsupportedDevice = errors.New("device not supported")
	// ErrNoEntry: a typed label or number that is no entry; the same
	// error as bootmenu.ErrNoEntry.
	ErrNoEntry = bootmenu.ErrNoEntry
)

// Options says what to interpret and where.
type Options struct {
	// Volumes are the machine's filesystems: search, (hdN,gptM) and
	// ($root) paths resolve among them.
	Volumes []*volume.Volume
	// Root is the volume holding the config ($root at the start); Path
	// the config's path on it ("/boot/grub/grub.cfg",
	// "/EFI/debian/grub.cfg").
	Root *volume.Volume
	Path string
	// Arch is the GOARCH the kernel is for ($grub_cpu); "" is the
	// running one.
	Arch string
	// Platform is $grub_platform: "efi" or "pc" (BIOS); "" is "efi".
	Platform string
	// Logger gets debug lines (save_env not done, echo); nil discards.
	Logger *slog.Logger
	// Limits; 0 takes the Default… constant.
	MaxFileSize   int64
	MaxSteps      int
	MaxEntrySteps int
	MaxEntries    int
	MaxDepth      int
}

// cfgFile is a config file being read.
type cfgFile struct {
	vol  *volume.Volume
	path string // on vol, with a leading '/'
	name string // "vda2:/boot/grub/grub.cfg"
}

func (c *cfgFile) key() string { return c.name }

// ctlKind is how a statement left: normally, or by break, continue,
// return, exit, or by a menu that ends the interpretation.
type ctlKind uint8

const (
	ctlNone ctlKind = iota
	ctlBreak
	ctlContinue
	ctlReturn
	ctlExit
	ctlStop
)

type ctl struct {
	kind ctlKind
	n    int
}

// frame is the state a statement runs in.
type frame struct {
	vars  *scope
	fns   *funcs
	args  []string
	menu  *menuBuild // nil in a menu entry's body
	entry *entryRun  // non-nil in a menu entry's body
	file  *cfgFile
	calls int // nested function calls
	files int // nested config files
	loops int
}

// interp is one Interpret call.
type interp struct {
	ctx   context.Context
	o     Options
	log   *slog.Logger
	steps int
	// limit is the step count the current run may reach: MaxSteps, or
	// less in a menu entry's body.
	limit    int
	warnings []error
	seen     map[string]bool
	files    map[string][]byte
	active   []string
	entries  int
	tried    []string
	// result is the menu of the first configfile/normal that gave one;
	// stop is why interpretation ended early (ctx, the step limit).
	result *menuBuild
	stop   error
	// status is $?.
	status int
}

// Interpret runs the grub.cfg at o.Path on o.Root as GRUB's normal mode
// would, then every menu entry's body as if it were chosen, and gives
// the menu. An error means there is no menu: the config cannot be read
// (missing, too large: ErrTooLarge) or ctx ended; everything else is in
// the menu's Warnings.
func Interpret(ctx context.Context, o Options) (*bootmenu.Menu, error) {
	if o.Root == nil {
		return nil, errors.New("grub: Options.Root is nil")
	}
	setDefaults(&o)
	// The configs may take half the statements; the entries' bodies
	// the rest, each at most MaxEntrySteps.
	in := &interp{ctx: ctx, o: o, log: logging.Or(o.Logger), limit: o.MaxSteps / 2, seen: map[string]bool{}, files: map[string][]byte{}}
	file := in.file(o.Root, o.Path)
	src, err := in.read(file)
	if err != nil {
		return nil, fmt.Errorf("grub: %s: %w", file.name, err)
	}
	vars := newScope(nil, false)
	in.initVars(vars, file)
	fns := &funcs{defs: map[string]*funcNode{}}
	top := &menuBuild{vars: vars, fns: fns, file: file}
	f := &frame{vars: vars, fns: fns, menu: top, file: file}
	in.runSource(f, file, src)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("grub: %s: %w", file.name, err)
	}
	if errors.Is(in.stop, ErrLimit) {
		in.stop = nil // the configs ran out; the entries defined get their turn
	}
	in.limit = o.MaxSteps
	mb := top
	if in.result != nil {
		mb = in.result
	}
	m := in.menu(mb)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("grub: %s: %w", file.name, err)
	}
	return m, nil
}

func setDefaults(o *Options) {
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	if o.Platform == "" {
		o.Platform = "efi"
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	if o.MaxEntrySteps <= 0 {
		o.MaxEntrySteps = DefaultMaxEntrySteps
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
}

// grubCPU is $grub_cpu for a GOARCH (GRUB's target CPU names).
func grubCPU(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "386":
		return "i386"
	case "ppc64", "ppc64le":
		return "powerpc"
	case "mips64", "mips64le", "mips", "mipsle":
		return "mips"
	}
	return goarch // arm64, arm, riscv64, loong64, s390x (no GRUB there)
}

// features are the $feature_* variables GRUB 2.12's normal mode exports
// (grub-core/normal/main.c), all "y".
var features = []string{
	"feature_chainloader_bpb", "feature_ntldr", "feature_platform_search_hint",
	"feature_default_font_path", "feature_all_video_module", "feature_menuentry_id",
	"feature_menuentry_options", "feature_200_final", "feature_nativedisk_cmd",
	"feature_timeout_style",
}

func (in *interp) initVars(s *scope, file *cfgFile) {
	dev := deviceName(in.o.Root)
	set := func(name, value string) {
		s.set(name, value, "")
		s.export(name)
	}
	set("root", dev)
	dir := file.path[:strings.LastIndexByte(file.path, '/')]
	set("prefix", "("+dev+")"+dir)
	set("cmdpath", "("+dev+")"+dir)
	set("grub_platform", in.o.Platform)
	set("grub_cpu", grubCPU(in.o.Arch))
	for _, f := range features {
		set(f, "y")
	}
	in.setConfigVars(s, file)
}

// setConfigVars sets $config_file and $config_directory for the file
// normal mode reads (read_config_file, grub-core/normal/main.c).
func (in *interp) setConfigVars(s *scope, file *cfgFile) {
	dev := deviceName(file.vol)
	dir := file.path[:strings.LastIndexByte(file.path, '/')]
	s.set("config_file", "("+dev+")"+file.path, "")
	s.export("config_file")
	s.set("config_directory", "("+dev+")"+dir, "")
	s.export("config_directory")
}

func (in *interp) file(v *volume.Volume, path string) *cfgFile {
	p := "/" + strings.TrimPrefix(volume.Clean(path), ".")
	return &cfgFile{vol: v, path: p, name: v.File(p).Name}
}

// read reads a config file, at most MaxFileSize bytes, once.
func (in *interp) read(c *cfgFile) ([]byte, error) {
	if b, ok := in.files[c.key()]; ok {
		return b, nil
	}
	if len(in.files) >= maxFiles {
		return nil, fmt.Errorf("more than %d config files: %w", maxFiles, ErrLimit)
	}
	name := volume.Clean(c.path)
	if c.vol.FS == nil {
		return nil, fmt.Errorf("volume %s has no files: %w", c.vol, fs.ErrNotExist)
	}
	f, err := c.vol.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, fmt.Errorf("is a directory: %w", fs.ErrInvalid)
		}
		if st.Size() > in.o.MaxFileSize {
			return nil, fmt.Errorf("%d bytes, at most %d are read: %w", st.Size(), in.o.MaxFileSize, ErrTooLarge)
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, in.o.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > in.o.MaxFileSize {
		return nil, fmt.Errorf("more than %d bytes: %w", in.o.MaxFileSize, ErrTooLarge)
	}
	in.files[c.key()] = b
	in.tried = append(in.tried, c.name)
	return b, nil
}

// warn records a problem at p.
func (in *interp) warn(p pos, format string, args ...any) {
	in.warnErr(p.warning(fmt.Errorf(format, args...)))
}

func (in *interp) warnErr(err error) {
	if in.seen[err.Error()] {
		return
	}
	in.seen[err.Error()] = true
	in.warnings = append(in.warnings, err)
	in.log.Debug("grub: " + err.Error())
}

// step counts one statement; false when interpretation must stop.
func (in *interp) step(p pos) bool {
	if in.stop != nil {
		return false
	}
	in.steps++
	if in.steps%1024 == 0 {
		if err := in.ctx.Err(); err != nil {
			in.stop = err
			return false
		}
	}
	if in.steps > in.limit {
		if in.limit >= in.o.MaxSteps || in.limit == in.o.MaxSteps/2 {
			in.stop = p.warning(fmt.Errorf("more than %d statements executed: %w", in.limit, ErrLimit))
			in.warnErr(in.stop)
		}
		return false
	}
	return true
}

// next is the next statement p reads, nil at the end: a syntax error is
// a warning and skips that statement's line, as GRUB's normal mode does.
func (in *interp) next(p *parser) node {
	for {
		n, err := p.statement()
		if err == nil {
			return n
		}
		in.warnErr(err)
		p.lx.skipLine()
	}
}

// runSource parses and runs a file statement by statement, as GRUB's
// normal mode does (next).
func (in *interp) runSource(f *frame, file *cfgFile, src []byte) ctl {
	in.active = append(in.active, file.key())
	defer func() { in.active = in.active[:len(in.active)-1] }()
	p := &parser{lx: newLexer(string(src), 1), file: file}
	for {
		n := in.next(p)
		if n == nil {
			return ctl{}
		}
		st, c := in.exec(f, []node{n})
		in.status = st
		switch c.kind {
		case ctlStop, ctlExit:
			return c
		}
		if in.stop != nil {
			return ctl{kind: ctlStop}
		}
	}
}

// exec runs statements; it returns the status of the last one.
func (in *interp) exec(f *frame, nodes []node) (int, ctl) {
	st := 0
	for _, n := range nodes {
		if !in.step(n.where()) {
			return 1, ctl{kind: ctlStop}
		}
		var c ctl
		switch n := n.(type) {
		case *command:
			st, c = in.command(f, n)
		case *ifNode:
			st, c = in.execIf(f, n)
		case *loopNode:
			st, c = in.loop(f, n)
		case *forNode:
			st, c = in.execFor(f, n)
		case *funcNode:
			f.fns.defs[n.name] = n
			st = 0
		}
		in.status = st
		if c.kind != ctlNone {
			return st, c
		}
	}
	return st, ctl{}
}

func (in *interp) execIf(f *frame, n *ifNode) (int, ctl) {
	for i, cond := range n.conds {
		st, c := in.exec(f, cond)
		if c.kind != ctlNone {
			return st, c
		}
		if st == 0 {
			return in.exec(f, n.bodies[i])
		}
	}
	if n.els != nil {
		return in.exec(f, n.els)
	}
	return 0, ctl{}
}

func (in *interp) loop(f *frame, n *loopNode) (int, ctl) {
	st := 0
	f.loops++
	defer func() { f.loops-- }()
	for {
		if !in.step(n.pos) {
			return 1, ctl{kind: ctlStop}
		}
		cst, c := in.exec(f, n.cond)
		if c.kind != ctlNone {
			return cst, c
		}
		if (cst == 0) == n.until {
			return st, ctl{}
		}
		var bc ctl
		st, bc = in.exec(f, n.body)
		if stop, ret := loopCtl(&bc); stop {
			return st, ret
		}
	}
}

// loopCtl handles break/continue for one loop level: stop says the loop
// ends, with ret to pass up.
func loopCtl(c *ctl) (stop bool, ret ctl) {
	switch c.kind {
	case ctlBreak:
		if c.n > 1 {
			return true, ctl{kind: ctlBreak, n: c.n - 1}
		}
		return true, ctl{}
	case ctlContinue:
		if c.n > 1 {
			return true, ctl{kind: ctlContinue, n: c.n - 1}
		}
		return false, ctl{}
	case ctlNone:
		return false, ctl{}
	}
	return true, *c
}

func (in *interp) execFor(f *frame, n *forNode) (int, ctl) {
	items := in.expand(f, n.items)
	st := 0
	f.loops++
	defer func() { f.loops-- }()
	for _, it := range items {
		if !in.step(n.pos) {
			return 1, ctl{kind: ctlStop}
		}
		in.setVar(f, n.pos, n.name, it, "")
		var bc ctl
		st, bc = in.exec(f, n.body)
		if stop, ret := loopCtl(&bc); stop {
			return st, ret
		}
	}
	return st, ctl{}
}

// setVar sets a variable within the bounds.
func (in *interp) setVar(f *frame, p pos, name, value, from string) bool {
	if len(value) > maxValue {
		in.warn(p, "the value of %s is %d bytes, more than %d: %w", name, len(value), maxValue, ErrLimit)
		return false
	}
	if _, ok := f.vars.vars[name]; !ok && f.vars.count() >= maxVars {
		in.warn(p, "more than %d variables: %w", maxVars, ErrLimit)
		return false
	}
	f.vars.set(name, value, from)
	return true
}

// lookup is a variable's value, the positional and special ones too.
func (in *interp) lookup(f *frame, name string) string {
	switch {
	case name == "?":
		return strconv.Itoa(in.status)
	case name == "#":
		return strconv.Itoa(len(f.args))
	case name == "@" || name == "*":
		return strings.Join(f.args, " ")
	case isDigit(name[0]):
		n, err := strconv.Atoi(name)
		if err != nil || n < 1 || n > len(f.args) {
			return ""
		}
		return f.args[n-1]
	}
	return f.vars.get(name)
}

// expand gives the arguments words make: variables replaced, unquoted
// ones split at white space, words that expand to nothing unquoted
// dropped (grub_script_arglist_to_argv).
func (in *interp) expand(f *frame, words []word) []string {
	var out []string
	for _, w := range words {
		out = in.expandWord(f, w, out)
	}
	return out
}

func (in *interp) expandWord(f *frame, w word, out []string) []string {
	var cur strings.Builder
	present := false
	end := func() {
		if present {
			out = append(out, cur.String())
			// Long words cost statements too, so that a loop that
			// doubles a value cannot allocate without bound.
			in.steps += cur.Len() / 64
		}
		cur.Reset()
		present = false
	}
	for _, p := range w.parts {
		switch p.kind {
		case partLit:
			cur.WriteString(p.text)
			present = present || p.text != ""
		case partQuote:
			cur.WriteString(p.text)
			present = true
		case partQVar:
			if p.text == "@" && len(f.args) > 0 {
				for i, a := range f.args {
					if i > 0 {
						end()
					}
					cur.WriteString(a)
					present = true
				}
				continue
			}
			cur.WriteString(in.lookup(f, p.text))
			present = true
		case partVar:
			v := in.lookup(f, p.text)
			for i, fld := range strings.FieldsFunc(v, isSpace) {
				if i > 0 || (v != "" && isSpace(rune(v[0]))) {
					end()
				}
				cur.WriteString(fld)
				present = true
			}
			if v != "" && isSpace(rune(v[len(v)-1])) {
				end()
			}
		}
	}
	end()
	return out
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }
