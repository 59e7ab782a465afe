package bls

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/positive"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
	"github.com/s390netboot/s390netboot/uki"
)

// Errors of Load (warnings).
var (
	// ErrTooLarge: a file above Options.MaxFileSize, or beyond
	// Options.MaxTotalSize; it is not read.
	ErrTooLarge = errors.New("bls: file too large")
	// ErrTooMany: more entry files than Options.MaxEntries (or a
	// directory with more names than Load looks at); the rest are not
	// read.
	ErrTooMany = errors.New("bls: too many entries")
	// ErrNotRegular: an entry name that is a directory, device or pipe;
	// it is not read.
	ErrNotRegular = errors.New("bls: not a regular file")
	// ErrRead: a file or directory that could not be read.
	ErrRead = errors.New("bls: read error")
	// ErrSecondLoaderConf: a loader.conf in a second root; the first one
	// counts.
	ErrSecondLoaderConf = errors.New("bls: a second loader.conf")
	// ErrOtherSemantics: loader/entries.srel says the entries follow
	// other rules than the spec's; they are read as the spec's all the
	// same.
	ErrOtherSemantics = errors.New("bls: the entries follow other rules than the Boot Loader Specification")
)

// Where the spec puts things, below a root (the root of an ESP, an
// XBOOTLDR partition or a separate /boot; "boot" of a root filesystem).
const (
	EntriesDir = "loader/entries"
	LoaderFile = "loader/loader.conf"
	UKIDir     = "EFI/Linux"
	// SrelFile marks a directory of entries that follow the spec: it
	// holds "type1" (the spec's "Standard-conformance Marker File").
	SrelFile = "loader/entries.srel"
)

// srelType1 is what SrelFile holds for entries that follow the spec.
const srelType1 = "type1"

// DefaultRoots are where Load looks by default: the volume's root (an
// ESP, an XBOOTLDR partition, a separate /boot partition) and its "boot"
// folder (a root filesystem that holds /boot, as an install on one
// partition has it).
var DefaultRoots = []string{".", "boot"}

// Default limits. Real directories are far below them: a Fedora entry is
// about 400 bytes, and kernel-install keeps a handful of kernels.
const (
	DefaultMaxFileSize  = 64 << 10
	DefaultMaxEntries   = 4096
	DefaultMaxTotalSize = 8 << 20
	// dirBatch is how many names Load reads from a directory at a time;
	// scanFactor·MaxEntries bounds how many names it looks at in all.
	dirBatch   = 256
	scanFactor = 16
)

// Options are what Load needs beyond the files. The zero value reads
// DefaultRoots for the running architecture without variables.
type Options struct {
	// Arch is the GOARCH whose entries boot ("" is runtime.GOARCH):
	// entries whose architecture key (or UKI machine) is another are
	// hidden.
	Arch string
	// Vars are the variables of options and initrd lines (GRUB's
	// environment from grubenv: kernelopts, tuned_params, ...).
	Vars map[string]string
	// Roots are the folders of fsys that hold loader/ and EFI/Linux
	// (nil: DefaultRoots).
	Roots []string
	// MaxFileSize bounds one entry file or loader.conf, MaxTotalSize all
	// of them together, MaxEntries the entry files read (type #1 and #2
	// together). Zero takes the defaults.
	MaxFileSize  int64
	MaxTotalSize int64
	MaxEntries   int
	// Logger gets debug messages (what was read); nil discards them.
	Logger *slog.Logger
}

// Result is what Load found.
type Result struct {
	// Entries are all entries in the spec's order (Sort), those for
	// other architectures too.
	Entries []*Entry
	// Loader is the loader.conf read, nil when there is none.
	Loader *LoaderConf
	// Dirs are the entry and UKI directories that exist, in the order
	// read.
	Dirs []string
	// Warnings are the problems worked around (*Warning values naming
	// the file and line), in the order found.
	Warnings []error

	arch string
	vars map[string]string
}

// Load reads the type #1 entries (ROOT/loader/entries/*.conf), the
// unified kernel images (ROOT/EFI/Linux/*.efi) and loader.conf
// (ROOT/loader/loader.conf) of each root of fsys. Names starting with
// '.' are skipped (editor and AppleDouble files), as systemd does. A
// missing directory is no error; a file that cannot be read, is too
// large or is no entry is a warning, and the other entries are read. The
// error is for fsys itself failing: its root cannot be read (never for
// its contents).
func Load(fsys fs.FS, opts Options) (*Result, error) {
	if fsys == nil {
		return nil, errors.New("bls: no filesystem")
	}
	if _, err := fs.Stat(fsys, "."); err != nil {
		return nil, fmt.Errorf("bls: the volume's root: %w", err)
	}
	opts.MaxFileSize = positive.Or(opts.MaxFileSize, DefaultMaxFileSize)
	opts.MaxTotalSize = positive.Or(opts.MaxTotalSize, DefaultMaxTotalSize)
	opts.MaxEntries = positive.Or(opts.MaxEntries, DefaultMaxEntries)
	if opts.Arch == "" {
		opts.Arch = runtime.GOARCH
	}
	roots := opts.Roots
	if roots == nil {
		roots = DefaultRoots
	}
	l := &loader{fsys: fsys, opts: opts, log: logging.Or(opts.Logger), res: &Result{arch: opts.Arch, vars: opts.Vars},
		warns: warnList{max: maxWarnings}}
	for _, root := range roots {
		root = volume.Clean(root)
		l.loaderConf(path.Join(root, LoaderFile))
		l.srel(path.Join(root, SrelFile))
		l.dir(path.Join(root, EntriesDir), confSuffix, l.conf)
		l.dir(path.Join(root, UKIDir), efiSuffix, l.uki)
	}
	Sort(l.res.Entries)
	l.res.Warnings = l.warns.result(".")
	return l.res, nil
}

// loader is one Load.
type loader struct {
	fsys  fs.FS
	opts  Options
	log   *slog.Logger
	res   *Result
	total int64 // bytes read so far
	count int   // entry files read so far
	full  bool  // MaxEntries was reached (warned once)
	warns warnList
}

func (l *loader) warn(file string, line int, err error) {
	l.warns.add(&Warning{File: file, Line: line, Err: err})
}

func (l *loader) warnAll(errs []error) {
	for _, err := range errs {
		l.warns.add(err)
	}
}

// dir reads the files of dir ending in suffix (any case, as on FAT),
// newest name first, each with read.
func (l *loader) dir(dir, suffix string, read func(name string, typ fs.FileMode)) {
	names, err := l.names(dir, suffix)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		l.warn(dir, 0, fmt.Errorf("%w: %w", ErrRead, err))
	}
	if names == nil && err != nil {
		return
	}
	l.res.Dirs = append(l.res.Dirs, dir)
	l.log.Debug("bls: reading", "dir", dir, "files", len(names))
	for _, de := range names {
		if l.count >= l.opts.MaxEntries {
			if !l.full {
				l.warn(dir, 0, fmt.Errorf("%w: only %d entry files are read", ErrTooMany, l.opts.MaxEntries))
				l.full = true
			}
			return
		}
		l.count++
		read(path.Join(dir, de.Name()), de.Type())
	}
}

// names lists the names in dir ending in suffix, in descending version
// order, reading at most scanFactor·MaxEntries names.
func (l *loader) names(dir, suffix string) ([]fs.DirEntry, error) {
	f, err := l.fsys.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	var names []fs.DirEntry
	limit := scanFactor * l.opts.MaxEntries
	for seen := 0; ; {
		batch, err := d.ReadDir(dirBatch)
		for _, de := range batch {
			n := de.Name()
			if len(n) > len(suffix) && strings.EqualFold(n[len(n)-len(suffix):], suffix) && n[0] != '.' {
				names = append(names, de)
			}
		}
		seen += len(batch)
		if err == io.EOF || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			sortNames(names)
			return names, err
		}
		if seen >= limit {
			l.warn(dir, 0, fmt.Errorf("%w: the directory has more than %d names; the rest are not read", ErrTooMany, limit))
			break
		}
	}
	sortNames(names)
	return names, nil
}

// sortNames sorts directory entries newest name first (descending
// version order), so that the bound on entries keeps the newest.
func sortNames(names []fs.DirEntry) {
	slices.SortFunc(names, func(a, b fs.DirEntry) int { return CompareVersions(b.Name(), a.Name()) })
}

// open opens name, which its directory lists with type typ, when it is a
// regular file (for a symbolic link: when its target is), and gives its
// size. Nothing else is opened: opening a named pipe would block, and a
// device is no file of the volume's.
func (l *loader) open(name string, typ fs.FileMode) (fs.File, int64, bool) {
	if typ&fs.ModeSymlink != 0 {
		info, err := fs.Stat(l.fsys, name)
		if err != nil {
			l.warn(name, 0, fmt.Errorf("%w: %w", ErrRead, err))
			return nil, 0, false
		}
		typ = info.Mode().Type()
	}
	if !typ.IsRegular() {
		l.warn(name, 0, fmt.Errorf("%w: %s", ErrNotRegular, typ))
		return nil, 0, false
	}
	f, err := l.fsys.Open(name)
	if err != nil {
		l.warn(name, 0, fmt.Errorf("%w: %w", ErrRead, err))
		return nil, 0, false
	}
	info, err := f.Stat()
	switch {
	case err != nil:
		l.warn(name, 0, fmt.Errorf("%w: %w", ErrRead, err))
	case !info.Mode().IsRegular():
		l.warn(name, 0, fmt.Errorf("%w: %s", ErrNotRegular, info.Mode().Type()))
	default:
		return f, info.Size(), true
	}
	f.Close()
	return nil, 0, false
}

// readFile reads name (of type typ in its directory) within the bounds.
func (l *loader) readFile(name string, typ fs.FileMode) ([]byte, bool) {
	f, size, ok := l.open(name, typ)
	if !ok {
		return nil, false
	}
	defer f.Close()
	if size > l.opts.MaxFileSize {
		l.warn(name, 0, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, size, l.opts.MaxFileSize))
		return nil, false
	}
	if l.total+size > l.opts.MaxTotalSize {
		l.warn(name, 0, fmt.Errorf("%w: the files read so far and this one pass %d bytes", ErrTooLarge, l.opts.MaxTotalSize))
		return nil, false
	}
	// The size may lie (a file that grows, a filesystem that reports
	// none): read one byte more than allowed to see.
	b, err := io.ReadAll(io.LimitReader(f, l.opts.MaxFileSize+1))
	l.total += int64(len(b))
	switch {
	case err != nil:
		l.warn(name, 0, fmt.Errorf("%w: %w", ErrRead, err))
		return nil, false
	case int64(len(b)) > l.opts.MaxFileSize:
		l.warn(name, 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, l.opts.MaxFileSize))
		return nil, false
	}
	return b, true
}

// conf reads a type #1 entry.
func (l *loader) conf(name string, typ fs.FileMode) {
	b, ok := l.readFile(name, typ)
	if !ok {
		return
	}
	e, warns := ParseEntry(name, b)
	l.warnAll(warns)
	if e != nil {
		l.res.Entries = append(l.res.Entries, e)
	}
}

// uki reads a type #2 entry in place.
func (l *loader) uki(name string, typ fs.FileMode) {
	f, size, ok := l.open(name, typ)
	if !ok {
		return
	}
	defer f.Close()
	r, ok := f.(io.ReaderAt)
	if !ok {
		l.warn(name, 0, fmt.Errorf("%w: the filesystem cannot read the image in place (no ReadAt)", ErrRead))
		return
	}
	e, warns := ParseUKI(name, r, size)
	l.warnAll(warns)
	if e != nil {
		l.res.Entries = append(l.res.Entries, e)
	}
}

// loaderConf reads loader.conf at name when it is there.
func (l *loader) loaderConf(name string) {
	info, err := fs.Stat(l.fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return
	case err != nil:
		l.warn(name, 0, fmt.Errorf("%w: %w", ErrRead, err))
		return
	case l.res.Loader != nil:
		l.warn(name, 0, fmt.Errorf("%w: %s counts", ErrSecondLoaderConf, l.res.Loader.Path))
		return
	}
	b, ok := l.readFile(name, info.Mode().Type())
	if !ok {
		return
	}
	c, warns := ParseLoaderConf(name, b)
	l.warnAll(warns)
	l.res.Loader = c
}

// srel checks the marker file at name when it is there.
func (l *loader) srel(name string) {
	info, err := fs.Stat(l.fsys, name)
	if err != nil {
		return // no marker: "no assumptions should be made"
	}
	b, ok := l.readFile(name, info.Mode().Type())
	if ok && strings.TrimSpace(string(b)) != srelType1 {
		l.warn(name, 0, fmt.Errorf("%w: it says %q, not %q", ErrOtherSemantics, clip(strings.TrimSpace(string(b))), srelType1))
	}
}

// ForArch reports whether e boots on goarch: it has no architecture key,
// or the key names goarch's UEFI architecture (case-insensitively, as
// the spec says; uki.EFIArch is the one table of those names).
func (e *Entry) ForArch(goarch string) bool {
	return e.Architecture == "" || strings.EqualFold(e.Architecture, uki.EFIArch(goarch))
}
