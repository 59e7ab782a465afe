package pxelinux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/positive"
)

// Opener fetches a file named by a config: the config itself, INCLUDE,
// MENU INCLUDE, DISPLAY and CONFIG files. A file that does not exist must
// give an error for which errors.Is(err, fs.ErrNotExist) holds (ErrNotFound
// does); any other error is a failure to fetch and stops the lookup or the
// parse. Openers should not return more than Limits.MaxFileSize bytes
// (reading one byte more is enough to tell that a file is too big).
type Opener interface {
	Open(ctx context.Context, p Path) ([]byte, error)
}

// OpenerFunc adapts a function to Opener.
type OpenerFunc func(ctx context.Context, p Path) ([]byte, error)

// Open calls f.
func (f OpenerFunc) Open(ctx context.Context, p Path) ([]byte, error) { return f(ctx, p) }

var (
	// ErrNotFound is what an Opener may return for a missing file; it
	// matches fs.ErrNotExist, which openers may return instead.
	ErrNotFound = fmt.Errorf("pxelinux: file not found: %w", fs.ErrNotExist)
	// ErrNoConfig: none of the config names exists (see NoConfigError).
	ErrNoConfig = errors.New("pxelinux: no config file found")
	// ErrLimit: a file, the sum of the files, the number of files or of
	// entries is over its limit (see Limits).
	ErrLimit = errors.New("pxelinux: limit exceeded")
	// ErrIncludeCycle (a warning): an INCLUDE names a file that is being
	// included already; the INCLUDE is skipped.
	ErrIncludeCycle = errors.New("pxelinux: include cycle")
	// ErrIncludeDepth (a warning): INCLUDEs nest deeper than
	// Limits.MaxIncludeDepth; the INCLUDE is skipped.
	ErrIncludeDepth = errors.New("pxelinux: includes nested too deep")
	// ErrIncludeMissing (a warning): an INCLUDE names a file that does not
	// exist; it is skipped, as PXELINUX does.
	ErrIncludeMissing = errors.New("pxelinux: included file not found")
	// ErrLineTooLong (a warning): a line is longer than MaxLineLength;
	// the rest of it is dropped.
	ErrLineTooLong = errors.New("pxelinux: line too long")
	// ErrUnknownKeyword (a warning): a keyword PXELINUX does not know.
	ErrUnknownKeyword = errors.New("pxelinux: unknown keyword")
	// ErrBadValue (a warning): a keyword's argument is not a number.
	ErrBadValue = errors.New("pxelinux: bad value")
	// ErrOutOfScope (a warning): a keyword that only works inside a LABEL
	// (or a MENU END without MENU BEGIN) was found elsewhere.
	ErrOutOfScope = errors.New("pxelinux: keyword out of scope")
)

// Warning is a problem the parser worked around (Config.Warnings): File
// and Line say where, Err what; Err wraps the sentinel that says which
// problem it is (ErrUnknownKeyword, ErrIncludeCycle, ...), so errors.Is
// works on the Warning. Its text is "FILE:LINE: what".
type Warning struct {
	File Path
	Line int
	Err  error
}

func (w *Warning) Error() string { return fmt.Sprintf("%s:%d: %v", w.File, w.Line, w.Err) }

// Unwrap returns Err.
func (w *Warning) Unwrap() error { return w.Err }

// Where returns File (as a name) and Line: a Warning is a
// bootmenu.Located.
func (w *Warning) Where() (file string, line int) { return w.File.String(), w.Line }

// Limits against broken or hostile configs. Zero fields take the defaults.
type Limits struct {
	// MaxFileSize is the largest config, include or DISPLAY file.
	MaxFileSize int
	// MaxTotalSize is the most bytes read for one Parse, all files together.
	MaxTotalSize int
	// MaxFiles is the most files read for one Parse (includes, DISPLAY).
	MaxFiles int
	// MaxIncludeDepth is how deep INCLUDE/MENU INCLUDE may nest.
	MaxIncludeDepth int
	// MaxEntries is the most LABELs, submenus and separators.
	MaxEntries int
}

// Default limits. Real configs are far below them: the largest
// distribution menus (Debian's installer with all its includes) are
// under 40 KiB in about 15 files and 150 entries.
const (
	DefaultMaxFileSize     = 1 << 20
	DefaultMaxTotalSize    = 8 << 20
	DefaultMaxFiles        = 256
	DefaultMaxIncludeDepth = 16 // "nested up to 16 levels", syslinux doc/syslinux.txt
	DefaultMaxEntries      = 4096
	// MaxLineLength is PXELINUX's line buffer (MAX_LINE in
	// com32/elflink/ldlinux/readconfig.c), terminating NUL included.
	MaxLineLength = 4096
	// maxTenths caps TIMEOUT/TOTALTIMEOUT (C's atoi would overflow).
	maxTenths = math.MaxInt32
	// tenth is the unit of TIMEOUT and TOTALTIMEOUT.
	tenth = 100 * time.Millisecond
)

func (l Limits) withDefaults() Limits {
	l.MaxFileSize = positive.Or(l.MaxFileSize, DefaultMaxFileSize)
	l.MaxTotalSize = positive.Or(l.MaxTotalSize, DefaultMaxTotalSize)
	l.MaxFiles = positive.Or(l.MaxFiles, DefaultMaxFiles)
	l.MaxIncludeDepth = positive.Or(l.MaxIncludeDepth, DefaultMaxIncludeDepth)
	l.MaxEntries = positive.Or(l.MaxEntries, DefaultMaxEntries)
	return l
}

// Parser reads PXELINUX configs through Opener. The zero Limits are the
// defaults; a nil Logger discards messages. Logger gets debug messages
// only (ignored keywords and the like); warnings are not logged but
// returned in Config.Warnings for the caller to show.
type Parser struct {
	Opener Opener
	Logger *slog.Logger
	Limits Limits
}

// NoConfigError says that none of the config names exists; Tried lists
// them all in the order tried. It matches ErrNoConfig.
type NoConfigError struct {
	Tried []Path
}

func (e *NoConfigError) Error() string {
	names := make([]string, len(e.Tried))
	for i, p := range e.Tried {
		names[i] = p.String()
	}
	return fmt.Sprintf("pxelinux: no config file found; tried %s", strings.Join(names, ", "))
}

// Unwrap makes errors.Is(err, ErrNoConfig) hold.
func (e *NoConfigError) Unwrap() error { return ErrNoConfig }

// Load finds the config for f (ConfigNames order, first that exists) and
// parses it. A name that does not exist is skipped; any other fetch error
// stops the lookup (a config that exists but could not be fetched must not
// silently give way to pxelinux.cfg/default). When none exists, the error
// is a *NoConfigError.
func (p *Parser) Load(ctx context.Context, f Facts) (*Config, error) {
	dir := workDir(Prefix(f))
	var tried []Path
	for _, name := range ConfigNames(f) {
		tried = append(tried, name)
		data, err := p.open(ctx, name)
		if errors.Is(err, fs.ErrNotExist) {
			p.logger().Debug("no config", "name", name.String())
			continue
		}
		if err != nil {
			return nil, err
		}
		c, err := p.parse(ctx, dir, name, data)
		if err != nil {
			return nil, err
		}
		c.Tried = tried
		return c, nil
	}
	return nil, &NoConfigError{Tried: tried}
}

// Parse fetches and parses the config file, resolving relative names
// against dir (PXELINUX notation: "::s390x/" for the s390x/ directory of
// the boot server's TFTP root, "" for the root itself).
func (p *Parser) Parse(ctx context.Context, dir string, file Path) (*Config, error) {
	data, err := p.open(ctx, file)
	if err != nil {
		return nil, err
	}
	return p.ParseBytes(ctx, dir, file, data)
}

// open fetches the config file name; the error says which.
func (p *Parser) open(ctx context.Context, name Path) ([]byte, error) {
	data, err := p.Opener.Open(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("pxelinux: fetching config %s: %w", name, err)
	}
	return data, nil
}

// ParseBytes parses data as the config file named file (used in messages
// and as the include-cycle key); INCLUDE and DISPLAY go through Opener.
func (p *Parser) ParseBytes(ctx context.Context, dir string, file Path, data []byte) (*Config, error) {
	c, err := p.parse(ctx, dir, file, data)
	if err != nil {
		return nil, err
	}
	c.Tried = []Path{file}
	return c, nil
}

// Follow loads the config an entry of KindConfig names (CONFIG file [dir],
// or a menu module with a config file in APPEND), as PXELINUX restarts
// with it. Tried of the result is c.Tried followed by the new file.
func (p *Parser) Follow(ctx context.Context, c *Config, e *Entry) (*Config, error) {
	if e.Kind != KindConfig {
		return nil, fmt.Errorf("pxelinux: entry %q is a %s entry, not a config", e.Label, e.Kind)
	}
	dir := e.dir
	if d := firstWord(e.Append); d != "" && e.Type == "config" {
		if classify(d) == urlSuffix {
			dir += d
		} else {
			dir = d
		}
	}
	n, err := p.Parse(ctx, dir, e.KernelPath)
	if err != nil {
		return nil, err
	}
	n.Tried = append(append([]Path(nil), c.Tried...), e.KernelPath)
	return n, nil
}

func (p *Parser) logger() *slog.Logger { return logging.Or(p.Logger) }

// labelData collects one LABEL until the next LABEL (record in
// readconfig.c).
type labelData struct {
	file      Path // where the LABEL line is
	line      int
	label     string
	typ       string // kernel keyword, lower case
	kernel    string // rest of the KERNEL line (image and options)
	append    string
	hasAppend bool
	initrd    string
	menuLabel string
	hasMenu   bool
	help      []string
	ipappend  uint32
	hide      bool
	def       bool
	disabled  bool
	fdt       string
	action    string // "goto", "exit", "quit" for MENU GOTO/EXIT/QUIT
}

type parser struct {
	*Parser
	ctx    context.Context
	lim    Limits
	log    *slog.Logger
	cfg    *Config
	dir    string
	menu   *Menu
	ld     *labelData
	stack  []string
	files  int
	total  int
	nitems int
}

func (p *Parser) parse(ctx context.Context, dir string, file Path, data []byte) (*Config, error) {
	st := &parser{
		Parser: p,
		ctx:    ctx,
		lim:    p.Limits.withDefaults(),
		log:    p.logger(),
		dir:    dir,
	}
	st.menu = &Menu{}
	st.cfg = &Config{Source: file, Dir: dir, Menu: st.menu, AllowOptions: true, Implicit: true}
	if err := st.file(file, data); err != nil {
		return nil, err
	}
	if err := st.record(); err != nil {
		return nil, err
	}
	st.resolveDefault()
	return st.cfg, nil
}

// warn records a warning about line n of file. It is not logged: the
// caller gets all of them in Config.Warnings and decides how many to show
// (a file of garbage gives thousands, which would also push everything
// else out of a log ring).
func (st *parser) warn(file Path, n int, err error) {
	st.cfg.Warnings = append(st.cfg.Warnings, &Warning{File: file, Line: n, Err: err})
}

// file parses one file's lines into the shared state; includes nest.
func (st *parser) file(name Path, data []byte) error {
	if err := st.account(name, data); err != nil {
		return err
	}
	st.stack = append(st.stack, name.String())
	defer func() { st.stack = st.stack[:len(st.stack)-1] }()
	ls := lines{data: data}
	for {
		if err := st.ctx.Err(); err != nil {
			return err
		}
		line, ok := st.next(&ls, name)
		if !ok {
			return nil
		}
		if err := st.line(name, &ls, line); err != nil {
			return err
		}
	}
}

func (st *parser) account(name Path, data []byte) error {
	st.files++
	st.total += len(data)
	switch {
	case len(data) > st.lim.MaxFileSize:
		return fmt.Errorf("%s: %d bytes, more than %d: %w", name, len(data), st.lim.MaxFileSize, ErrLimit)
	case st.files > st.lim.MaxFiles:
		return fmt.Errorf("%s: more than %d files read: %w", name, st.lim.MaxFiles, ErrLimit)
	case st.total > st.lim.MaxTotalSize:
		return fmt.Errorf("%s: more than %d bytes read in all files: %w", name, st.lim.MaxTotalSize, ErrLimit)
	}
	return nil
}

// lines splits a file as PXELINUX's fgets loop does: '\n' ends a line,
// and the line ends at its first '\r' or NUL.
type lines struct {
	data []byte
	n    int // line number of the last line returned
}

func (st *parser) next(ls *lines, name Path) (string, bool) {
	if len(ls.data) == 0 {
		return "", false
	}
	ls.n++
	var line []byte
	if i := bytes.IndexByte(ls.data, '\n'); i >= 0 {
		line, ls.data = ls.data[:i], ls.data[i+1:]
	} else {
		line, ls.data = ls.data, nil
	}
	if len(line) > MaxLineLength-1 {
		st.warn(name, ls.n, fmt.Errorf("%d bytes, more than %d, rest dropped: %w", len(line), MaxLineLength-1, ErrLineTooLong))
		line = line[:MaxLineLength-1]
	}
	if i := bytes.IndexAny(line, "\r\x00"); i >= 0 {
		line = line[:i]
	}
	return string(line), true
}

// isSpace is my_isspace (com32/include/menu.h): every control character
// and the space count as white space.
func isSpace(c byte) bool { return c <= ' ' }

func skipSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	return s
}

func trimSpace(s string) string {
	s = skipSpace(s)
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// splitWord returns the first word (up to white space) and the rest with
// leading white space skipped.
func splitWord(s string) (word, rest string) {
	i := 0
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return s[:i], skipSpace(s[i:])
}

func firstWord(s string) string { w, _ := splitWord(skipSpace(s)); return w }

// number parses C's atoi/strtoul prefix of s (leading digits, base from a
// 0x/0 prefix when base is 0); ok is false when no digit was found.
func number(s string, base int) (int64, bool) {
	s = skipSpace(s)
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if base == 0 {
		switch {
		case len(s) > 2 && s[0] == '0' && s[1]|0x20 == 'x' && isHex(s[2]):
			base, s = 16, s[2:]
		case len(s) > 1 && s[0] == '0':
			base = 8
		default:
			base = 10
		}
	}
	i := 0
	for i < len(s) && digitOK(s[i], base) {
		i++
	}
	if i == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:i], base, 64)
	if err != nil || v > math.MaxInt32 {
		v = math.MaxInt32
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

func digitOK(c byte, base int) bool {
	switch base {
	case 8:
		return c >= '0' && c <= '7'
	case 16:
		return isHex(c)
	}
	return c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func (st *parser) num(name Path, n int, kw, arg string, base int) int64 {
	v, ok := number(arg, base)
	if !ok {
		st.warn(name, n, fmt.Errorf("%s %q is not a number, taken as 0: %w", kw, arg, ErrBadValue))
	}
	return v
}

func tenths(v int64) time.Duration {
	if v < 0 {
		v = 0
	}
	if v > maxTenths {
		v = maxTenths
	}
	return time.Duration(v) * tenth
}

// kernelKeywords are the image-type keywords of a LABEL (kernel_types in
// readconfig.c).
var kernelKeywords = map[string]bool{
	"localboot": true, "kernel": true, "linux": true, "boot": true, "bss": true,
	"pxe": true, "fdimage": true, "comboot": true, "com32": true, "config": true,
}

// ignored are keywords that only matter to a PC console or BIOS; they are
// accepted with a debug message.
var ignored = map[string]string{
	"font":        "console font",
	"kbdmap":      "keyboard map",
	"serial":      "serial console settings",
	"console":     "video console switch",
	"nocomplete":  "Tab completion",
	"nohalt":      "CPU idle setting",
	"pxeretry":    "PXE stack retries",
	"sendcookies": "HTTP cookies of lpxelinux",
	"path":        "COM32 module search path",
	"fdtdir":      "U-Boot device tree directory",
}

func (st *parser) line(name Path, ls *lines, raw string) error {
	p := skipSpace(raw)
	if p == "" || p[0] == '#' {
		return nil
	}
	kw, arg := splitWord(p)
	kw = strings.ToLower(kw)
	n := ls.n
	switch {
	case kw == "menu":
		return st.menuLine(name, n, arg)
	case kw == "text":
		var help []string
		for {
			l, ok := st.next(ls, name)
			if !ok {
				break
			}
			if strings.EqualFold(firstWord(l), "endtext") {
				break
			}
			help = append(help, l)
		}
		if strings.EqualFold(firstWord(arg), "help") && st.ld != nil {
			st.ld.help = append(st.ld.help, help...)
		}
	case isFKey(kw):
		st.log.Debug("pxelinux: F-key help files are not shown", "file", name.String(), "line", n)
	case kw == "include":
		return st.include(name, n, arg, "")
	case kw == "append":
		if st.ld != nil {
			st.ld.append, st.ld.hasAppend = trimSpace(arg), true
		} else {
			st.cfg.Append = trimSpace(arg)
		}
	case kw == "initrd":
		if st.ld != nil {
			st.ld.initrd = trimSpace(arg)
		} else {
			st.log.Debug("pxelinux: global INITRD is ignored, as PXELINUX does", "file", name.String(), "line", n)
		}
	case kw == "label":
		if err := st.record(); err != nil {
			return err
		}
		word, _ := splitWord(arg)
		st.ld = &labelData{file: name, line: n, label: word, kernel: word, typ: "kernel", ipappend: st.cfg.IPAppend}
	case kernelKeywords[kw]:
		if st.ld == nil {
			st.warn(name, n, fmt.Errorf("%s outside a LABEL is ignored, as PXELINUX does: %w", strings.ToUpper(kw), ErrOutOfScope))
			return nil
		}
		st.ld.kernel, st.ld.typ = trimSpace(arg), kw
	case kw == "fdt" || kw == "devicetree":
		if st.ld != nil {
			st.ld.fdt = firstWord(arg)
		}
	case kw == "timeout":
		st.cfg.Timeout = tenths(st.num(name, n, kw, arg, 10))
	case kw == "totaltimeout":
		st.cfg.TotalTimeout = tenths(st.num(name, n, kw, arg, 10))
	case kw == "ontimeout":
		st.cfg.OnTimeout = trimSpace(arg)
	case kw == "onerror":
		st.cfg.OnError = trimSpace(arg)
	case kw == "allowoptions":
		st.cfg.AllowOptions = st.num(name, n, kw, arg, 10) != 0
		st.cfg.AllowOptionsSet = true
	case kw == "implicit":
		st.cfg.Implicit = st.num(name, n, kw, arg, 10) != 0
	case kw == "prompt":
		st.cfg.Prompt = st.num(name, n, kw, arg, 10) != 0
	case kw == "noescape":
		st.cfg.NoEscape = st.num(name, n, kw, arg, 10) != 0
	case kw == "ipappend" || kw == "sysappend":
		v := uint32(st.num(name, n, kw, arg, 0))
		if st.ld != nil {
			st.ld.ipappend = v
		} else {
			st.cfg.IPAppend = v
		}
	case kw == "default":
		st.cfg.Default = trimSpace(arg)
	case kw == "ui":
		st.cfg.UI = trimSpace(arg)
	case kw == "say":
		// PXELINUX prints from the fifth byte of the line on (p+4).
		st.cfg.Say = append(st.cfg.Say, strings.TrimRight(p[min(len(p), len("say ")):], " \t"))
	case kw == "display":
		return st.display(name, n, firstWord(arg))
	case ignored[kw] != "":
		st.log.Debug("pxelinux: ignored: "+ignored[kw], "keyword", kw, "file", name.String(), "line", n)
	default:
		st.warn(name, n, fmt.Errorf("%q: %w", kw, ErrUnknownKeyword))
	}
	return nil
}

// isFKey matches F1..F12 (and F0 = F10), as is_fkey in readconfig.c.
func isFKey(kw string) bool {
	if len(kw) < 2 || kw[0] != 'f' {
		return false
	}
	v, err := strconv.Atoi(kw[1:])
	return err == nil && v >= 0 && v <= 12 && kw[1] != '+' && kw[1] != '-'
}

// menuIgnored are MENU directives for looks only.
var menuIgnored = map[string]bool{
	"color": true, "colour": true, "msgcolor": true, "msgcolour": true,
	"background": true, "shiftkey": true, "save": true, "nosave": true,
	"master": true, "start": true, "indent": true, "hidden": true,
	"autoboot": true, "tabmsg": true, "notabmsg": true, "passprompt": true,
	"width": true, "margin": true, "passwordmargin": true, "rows": true,
	"tabmsgrow": true, "cmdlinerow": true, "endrow": true, "passwordrow": true,
	"timeoutrow": true, "helpmsgrow": true, "helpmsgendrow": true,
	"hshift": true, "vshift": true, "hiddenrow": true, "resolution": true,
	"immediate": true, "hidekey": true, "clear": true,
}

func (st *parser) menuLine(name Path, n int, rest string) error {
	sub, arg := splitWord(rest)
	sub = strings.ToLower(sub)
	m := st.menu
	switch sub {
	case "label":
		switch {
		case st.ld != nil:
			st.ld.menuLabel, st.ld.hasMenu = trimSpace(arg), true
		case m.Parent != nil:
			it := parentItem(m)
			it.Text = trimSpace(arg)
			if m.Title == "" {
				m.Title = stripCaret(it.Text)
			}
		}
	case "title":
		old := m.Title
		m.Title = trimSpace(arg)
		if m.Parent != nil {
			if it := parentItem(m); it.Text == m.Tag || it.Text == old {
				it.Text = m.Title
			}
		}
	case "default":
		if st.ld != nil {
			st.ld.def = true
		}
	case "hide":
		if st.ld != nil {
			st.ld.hide = true
		}
	case "disable", "disabled":
		if st.ld != nil {
			st.ld.disabled = true
		}
	case "passwd":
		st.log.Debug("pxelinux: MENU PASSWD is not enforced", "file", name.String(), "line", n)
	case "onerror":
		st.cfg.OnError = trimSpace(arg)
	case "include":
		file, tag := splitWord(arg)
		return st.include(name, n, file, trimSpace(tag))
	case "separator":
		if err := st.record(); err != nil {
			return err
		}
		if err := st.count(name, n, "MENU SEPARATOR"); err != nil {
			return err
		}
		m.Items = append(m.Items, &Item{Separator: true})
	case "begin":
		if err := st.record(); err != nil {
			return err
		}
		return st.begin(name, n, "MENU BEGIN", trimSpace(arg))
	case "end":
		if err := st.record(); err != nil {
			return err
		}
		if m.Parent == nil {
			st.warn(name, n, fmt.Errorf("MENU END without MENU BEGIN: %w", ErrOutOfScope))
			return nil
		}
		st.menu = m.Parent
	case "goto", "exit", "quit":
		if st.ld != nil {
			st.ld.action = sub
			if sub != "quit" {
				st.ld.kernel = trimSpace(arg)
			}
		}
	default:
		if menuIgnored[sub] {
			st.log.Debug("pxelinux: ignored menu look", "keyword", "menu "+sub, "file", name.String(), "line", n)
			return nil
		}
		st.warn(name, n, fmt.Errorf("%q: %w", "menu "+sub, ErrUnknownKeyword))
	}
	return nil
}

func parentItem(m *Menu) *Item {
	for _, it := range m.Parent.Items {
		if it.Submenu == m {
			return it
		}
	}
	return &Item{} // unreachable: begin always adds the item
}

// begin opens a submenu (kw: the keyword that does, for messages).
func (st *parser) begin(name Path, n int, kw, tag string) error {
	if err := st.count(name, n, kw); err != nil {
		return err
	}
	sub := &Menu{Tag: tag, Parent: st.menu}
	st.menu.Items = append(st.menu.Items, &Item{Submenu: sub, Text: tag})
	st.menu = sub
	return nil
}

// count counts one entry (what: the keyword that makes it) at line n of
// name against Limits.MaxEntries.
func (st *parser) count(name Path, n int, what string) error {
	st.nitems++
	if st.nitems > st.lim.MaxEntries {
		return fmt.Errorf("%s:%d: %s: more than %d entries: %w", name, n, what, st.lim.MaxEntries, ErrLimit)
	}
	return nil
}

// include parses another file in place (INCLUDE, MENU INCLUDE); with a
// tag, MENU INCLUDE wraps it in a submenu.
func (st *parser) include(from Path, n int, file, tag string) error {
	file = firstWord(file)
	if file == "" {
		st.warn(from, n, fmt.Errorf("INCLUDE without a file name: %w", ErrBadValue))
		return nil
	}
	p := Resolve(st.dir, file)
	for _, s := range st.stack {
		if s == p.String() {
			st.warn(from, n, fmt.Errorf("INCLUDE %s: %w (%s), skipped", p, ErrIncludeCycle, strings.Join(append(st.stack, p.String()), " -> ")))
			return nil
		}
	}
	if len(st.stack) >= st.lim.MaxIncludeDepth {
		st.warn(from, n, fmt.Errorf("INCLUDE %s: %w (more than %d), skipped", p, ErrIncludeDepth, st.lim.MaxIncludeDepth))
		return nil
	}
	data, err := st.Opener.Open(st.ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		st.warn(from, n, fmt.Errorf("INCLUDE %s: %w, skipped", p, ErrIncludeMissing))
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s:%d: fetching INCLUDE %s: %w", from, n, p, err)
	}
	if tag != "" {
		if err := st.record(); err != nil {
			return err
		}
		if err := st.begin(from, n, "MENU INCLUDE", tag); err != nil {
			return err
		}
	}
	if err := st.file(p, data); err != nil {
		return err
	}
	if tag != "" {
		if err := st.record(); err != nil {
			return err
		}
		if st.menu.Parent != nil {
			st.menu = st.menu.Parent
		}
	}
	return nil
}

func (st *parser) display(from Path, n int, file string) error {
	if file == "" {
		return nil
	}
	p := Resolve(st.dir, file)
	data, err := st.Opener.Open(st.ctx, p)
	if errors.Is(err, fs.ErrNotExist) {
		st.log.Debug("pxelinux: DISPLAY file not found, skipped", "file", p.String())
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s:%d: fetching DISPLAY %s: %w", from, n, p, err)
	}
	if err := st.account(p, data); err != nil {
		return err
	}
	st.cfg.Display = append(st.cfg.Display, string(data))
	return nil
}

// imageExtensions decide the type of a KERNEL image by its name
// (file_extensions in com32/elflink/ldlinux/ldlinux.c; .com and .cbt
// from the COMBOOT rules of syslinux 4). ldlinux also takes .img for a
// floppy image; here it stays a kernel, because s390x distributions name
// their kernels kernel.img (RHEL's images/kernel.img, the s390-tools
// netboot examples) and no platform this client runs on has floppies:
// FDIMAGE still says so explicitly.
var imageExtensions = []struct{ ext, typ string }{
	{".c32", "com32"},
	{".bss", "bss"},
	{".bin", "boot"},
	{".bs", "boot"},
	{".0", "pxe"},
	{".com", "comboot"},
	{".cbt", "comboot"},
}

// reasons say why kexec cannot boot an image type.
var reasons = map[string]string{
	"com32":   "COM32 module: a syslinux program for x86 BIOS/EFI, not a Linux kernel",
	"fdimage": "floppy disk image: needs a PC BIOS",
	"bss":     "boot sector with patched superblock: needs a PC BIOS",
	"boot":    "boot sector: needs a PC BIOS",
	"pxe":     "PXE network boot program: needs a PXE BIOS stack",
	"comboot": "COMBOOT program: a DOS-style x86 program for syslinux",
}

// isMenuModule reports menu.c32 and vesamenu.c32, which show another
// config's menu: to us, a CONFIG.
func isMenuModule(kernel string) bool {
	b := strings.ToLower(kernel[strings.LastIndexAny(kernel, "/:")+1:])
	return b == "menu.c32" || b == "vesamenu.c32"
}

func imageType(typ, kernel string) string {
	if typ != "kernel" {
		return typ
	}
	low := strings.ToLower(kernel)
	for _, e := range imageExtensions {
		if strings.HasSuffix(low, e.ext) {
			return e.typ
		}
	}
	return "linux"
}

// newEntry builds an entry the way record() in readconfig.c builds its
// command line; global is the global APPEND in force.
func newEntry(label, typ, kernelLine, appendArg string, hasAppend bool, global, initrd string, ipappend uint32, dir string) *Entry {
	image, kargs := splitWord(kernelLine)
	e := &Entry{Label: label, Title: label, Type: typ, Kernel: image, IPAppend: ipappend, initrd: initrd, dir: dir}
	a := global
	if hasAppend {
		a = appendArg
	}
	if a == "-" {
		a = ""
	}
	e.Append = joinNonEmpty(trimSpace(kargs), a)
	switch t := imageType(typ, image); {
	case t == "localboot":
		e.Kind = KindLocalBoot
		v, _ := number(image, 0)
		e.LocalBoot, e.Kernel = int(v), ""
		return e
	case t == "config":
		e.Kind = KindConfig
	case t == "com32" && isMenuModule(image) && firstWord(e.Append) != "":
		e.Kind, e.Kernel = KindConfig, firstWord(e.Append)
	case t == "linux":
		e.Kind = KindLinux
	default:
		e.Kind, e.Reason = KindOther, reasons[t]
		if e.Reason == "" {
			e.Reason = t + " image cannot be loaded by kexec"
		}
	}
	if e.Kernel != "" {
		e.KernelPath = Resolve(dir, e.Kernel)
	}
	e.Initrds = initrdsOf(e.rawArgs(Facts{}, ""), dir)
	return e
}

func joinNonEmpty(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// record ends the LABEL being parsed (record() in readconfig.c).
func (st *parser) record() error {
	ld := st.ld
	st.ld = nil
	if ld == nil {
		return nil
	}
	if err := st.count(ld.file, ld.line, fmt.Sprintf("LABEL %q", ld.label)); err != nil {
		return err
	}
	e := newEntry(ld.label, ld.typ, ld.kernel, ld.append, ld.hasAppend, st.cfg.Append, ld.initrd, ld.ipappend, st.dir)
	if ld.action != "" {
		e.Kind, e.Type, e.Reason = KindOther, "menu "+ld.action, "menu navigation (MENU "+strings.ToUpper(ld.action)+")"
		e.Kernel, e.KernelPath, e.Append, e.Initrds = "", Path{}, "", nil
	}
	if ld.hasMenu {
		e.Title = stripCaret(ld.menuLabel)
		if i := strings.IndexByte(ld.menuLabel, '^'); i >= 0 && i+1 < len(ld.menuLabel) {
			e.Hotkey = lower(ld.menuLabel[i+1])
		}
	}
	e.Hidden, e.Disabled, e.MenuDefault, e.FDT = ld.hide, ld.disabled, ld.def, ld.fdt
	e.Help = strings.Join(ld.help, "\n")
	e.File, e.Line = ld.file, ld.line
	st.cfg.Entries = append(st.cfg.Entries, e)
	e.menu = st.menu
	if !e.Hidden {
		st.menu.Items = append(st.menu.Items, &Item{Entry: e})
		if e.MenuDefault && e.Kind != KindOther {
			st.menu.Default = e
		}
	}
	return nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func stripCaret(s string) string { return strings.ReplaceAll(s, "^", "") }

// resolveDefault makes the DEFAULT label the default of its menu, as
// parse_configs() does after all files are read.
func (st *parser) resolveDefault() {
	e := st.cfg.Lookup(firstWord(st.cfg.Default))
	if e == nil || e.Hidden {
		return
	}
	e.menu.Default = e
}
