package initramfs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/ulikunitz/xz"
)

// Files depmod and the kernel build leave in a lib/modules/VERSION tree.
const (
	modulesDepFile     = "modules.dep"     // depmod(8): "path: dep dep ..."
	modulesBuiltinFile = "modules.builtin" // kbuild: one built-in module path per line
)

// maxModuleSize bounds one decompressed module. Debian 12's largest (amdgpu)
// is about 20 MiB; the bound stops a decompression bomb in a hostile tree.
const maxModuleSize = 256 << 20

// moduleExts are the module file endings a tree may use (kmod's
// libkmod-file.c handles the same set), in lookup preference order.
var moduleExts = []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"}

// ErrModuleNotFound is returned (wrapped) for a requested module, or a
// dependency of one, that is not in the tree.
var ErrModuleNotFound = errors.New("kernel module not found")

// ModuleTree is a lib/modules/VERSION directory: an index of its module
// files by name, and modules.dep and modules.builtin when present.
type ModuleTree struct {
	dir     string
	files   map[string]string   // module name -> slash path relative to dir
	deps    map[string][]string // from modules.dep: relative path -> dependency paths; nil without it
	builtin map[string]bool     // module names from modules.builtin
	logger  *slog.Logger
}

// OpenModuleTree indexes the module tree at opts.ModulesDir (e.g.
// /lib/modules/6.1.0-50-s390x, or an unpacked Debian kernel package's
// lib/modules/VERSION); the tree logs to opts.Logger, and the other fields
// of opts are not used. With modules.dep the index is the set it lists (as
// depmod chose among duplicates); without it, the tree is walked and among
// files with the same module name the one first in path order wins, with a
// warning.
func OpenModuleTree(opts Options) (*ModuleTree, error) {
	dir, logger := opts.ModulesDir, logging.Or(opts.Logger)
	t := &ModuleTree{dir: dir, files: map[string]string{}, builtin: map[string]bool{}, logger: logger}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("module tree: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("module tree %s: not a directory", dir)
	}
	if err := t.readBuiltin(); err != nil {
		return nil, err
	}
	depPath := filepath.Join(dir, modulesDepFile)
	data, err := os.ReadFile(depPath)
	switch {
	case err == nil:
		if t.deps, err = parseModulesDep(data); err != nil {
			return nil, fmt.Errorf("%s: %w", depPath, err)
		}
		for p := range t.deps {
			t.files[modload.ModuleName(p)] = p
		}
		return t, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isModuleFile(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := modload.ModuleName(rel)
		if old, ok := t.files[name]; ok {
			logger.Warn("duplicate module, using the first", "module", name, "used", old, "ignored", rel)
			return nil
		}
		t.files[name] = rel
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("indexing module tree %s: %w", dir, err)
	}
	return t, nil
}

// Dir returns the tree's directory.
func (t *ModuleTree) Dir() string { return t.dir }

// Has reports whether the tree has a module file for name.
func (t *ModuleTree) Has(name string) bool {
	_, ok := t.files[normName(name)]
	return ok
}

// Builtin reports whether modules.builtin lists name.
func (t *ModuleTree) Builtin(name string) bool { return t.builtin[normName(name)] }

func (t *ModuleTree) readBuiltin() error {
	f, err := os.Open(filepath.Join(t.dir, modulesBuiltinFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			t.builtin[modload.ModuleName(l)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", f.Name(), err)
	}
	return nil
}

func isModuleFile(name string) bool {
	for _, e := range moduleExts {
		if strings.HasSuffix(name, e) {
			return true
		}
	}
	return false
}

// normName is the kernel's module name for a name as users and depends=
// write it: '-' and '_' are the same (kernel/params.c, parameqn).
func normName(n string) string { return strings.ReplaceAll(n, "-", "_") }

// parseModulesDep parses depmod's modules.dep: "path: dep1 dep2 ...", paths
// relative to the tree.
func parseModulesDep(data []byte) (map[string][]string, error) {
	deps := map[string][]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mod, rest, ok := strings.Cut(line, ":")
		mod = strings.TrimSpace(mod)
		if !ok || mod == "" || !isModuleFile(mod) {
			return nil, fmt.Errorf("line %d %.60q: want \"module.ko: dependencies\"", i+1, line)
		}
		deps[mod] = strings.Fields(rest)
	}
	return deps, nil
}

// ModuleRequest names a module to include and its load parameters.
type ModuleRequest struct {
	Name   string
	Params string
	// Optional modules that are not in the tree are skipped with a log
	// line instead of failing (the per-architecture default sets use it).
	Optional bool
}

// Module is a resolved module, decompressed.
type Module struct {
	Name    string      // kernel name, '_' not '-'
	Path    string      // relative to the tree, as found (may end in .xz etc.)
	Params  string      // load parameters
	Data    []byte      // the decompressed module
	Machine elf.Machine // ELF machine, to check against the target
}

// ArchivePath is where the module goes in the ramdisk: below
// modload.ModulesDir, at its path in the tree without the compression
// suffix, without a leading slash.
func (m Module) ArchivePath() string {
	p := m.Path
	if i := strings.LastIndex(p, ".ko"); i >= 0 {
		p = p[:i+len(".ko")]
	}
	return strings.TrimPrefix(path.Join(modload.ModulesDir, p), "/")
}

// Resolve returns the requested modules and everything they depend on, in
// load order (every module after its dependencies; otherwise in request
// order). Dependencies come from modules.dep when the tree has it, else
// from each module's .modinfo depends= field; MODULE_SOFTDEP pre/post
// modules are added when present. Modules listed in modules.builtin are left
// out. A missing module that is not optional, or any missing hard
// dependency, is an ErrModuleNotFound error naming it and the tree.
func (t *ModuleTree) Resolve(reqs []ModuleRequest) ([]Module, error) {
	params := map[string]string{}
	for _, r := range reqs {
		if r.Params != "" {
			params[normName(r.Name)] = r.Params
		}
	}
	r := &resolver{t: t, params: params, state: map[string]int{}}
	for _, req := range reqs {
		if err := r.visit(req.Name, "", req.Optional); err != nil {
			return nil, err
		}
	}
	return r.order, nil
}

type resolver struct {
	t      *ModuleTree
	params map[string]string
	state  map[string]int // 0 unseen, 1 in progress, 2 done
	stack  []string
	order  []Module
}

func (r *resolver) visit(name, by string, optional bool) error {
	n := normName(name)
	switch r.state[n] {
	case 2:
		return nil
	case 1:
		return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(r.stack, " -> "), n)
	}
	if r.t.builtin[n] {
		r.t.logger.Debug("module is built into the kernel", "module", n)
		r.state[n] = 2
		return nil
	}
	rel, ok := r.t.files[n]
	if !ok {
		if optional {
			r.t.logger.Info("optional module not in the tree, skipped", "module", n, "tree", r.t.dir)
			r.state[n] = 2
			return nil
		}
		what := fmt.Sprintf("module %q", name)
		if by != "" {
			what += fmt.Sprintf(" (needed by %s)", by)
		}
		where := "no " + modulesDepFile + " entry"
		if r.t.deps == nil {
			where = "looked for " + strings.Join(withExts(n), ", ")
		}
		return fmt.Errorf("%s not in %s (%s): %w", what, r.t.dir, where, ErrModuleNotFound)
	}
	r.state[n] = 1
	r.stack = append(r.stack, n)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()

	m, info, err := r.t.load(rel)
	if err != nil {
		return err
	}
	if mn := info.Name(); mn != "" && normName(mn) != n {
		r.t.logger.Warn("module file name differs from its name field", "file", rel, "name", mn)
	}
	m.Name, m.Params = n, r.params[n]

	var deps []string
	if r.t.deps != nil {
		for _, p := range r.t.deps[rel] {
			deps = append(deps, modload.ModuleName(p))
		}
	} else {
		deps = info.Depends()
	}
	pre, post := info.Softdeps()
	for _, d := range pre {
		if err := r.visit(d, n, true); err != nil {
			return err
		}
	}
	for _, d := range deps {
		if err := r.visit(d, n, false); err != nil {
			return err
		}
	}
	r.order = append(r.order, m)
	r.state[n] = 2
	for _, d := range post {
		if err := r.visit(d, n, true); err != nil {
			return err
		}
	}
	return nil
}

func withExts(n string) []string {
	var s []string
	for _, e := range moduleExts {
		s = append(s, n+e)
	}
	return s
}

// load reads and decompresses the module at rel and reads its .modinfo.
func (t *ModuleTree) load(rel string) (Module, ModInfo, error) {
	p := filepath.Join(t.dir, filepath.FromSlash(rel))
	data, err := readModuleFile(p)
	if err != nil {
		return Module{}, nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return Module{}, nil, fmt.Errorf("module %s: %w", p, err)
	}
	machine := f.Machine
	f.Close()
	info, err := ReadModinfo(bytes.NewReader(data))
	if err != nil {
		return Module{}, nil, fmt.Errorf("module %s: %w", p, err)
	}
	return Module{Path: rel, Data: data, Machine: machine}, info, nil
}

// readModuleFile reads a module file, decompressing .xz, .zst and .gz.
func readModuleFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	switch {
	case strings.HasSuffix(p, ".ko.xz"):
		xr, err := xz.NewReader(bufio.NewReader(f))
		if err != nil {
			return nil, fmt.Errorf("module %s: xz: %w", p, err)
		}
		r = xr
	case strings.HasSuffix(p, ".ko.zst"):
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxModuleSize))
		if err != nil {
			return nil, fmt.Errorf("module %s: zstd: %w", p, err)
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(p, ".ko.gz"):
		gr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("module %s: gzip: %w", p, err)
		}
		r = gr
	}
	data, err := io.ReadAll(io.LimitReader(r, maxModuleSize+1))
	if err != nil {
		return nil, fmt.Errorf("module %s: decompressing: %w", p, err)
	}
	if len(data) > maxModuleSize {
		return nil, fmt.Errorf("module %s: more than %d bytes decompressed", p, maxModuleSize)
	}
	return data, nil
}

// Names returns the names of mods, in order.
func Names(mods []Module) []string {
	var s []string
	for _, m := range mods {
		s = append(s, m.Name)
	}
	return slices.Clip(s)
}
