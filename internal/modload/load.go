package modload

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// SysModuleDir is where the kernel shows loaded and built-in modules
// (Documentation/ABI/stable/sysfs-module).
const SysModuleDir = "/sys/module"

// Loader loads modules listed in a load order file.
type Loader struct {
	// Root is the directory the entry paths are relative to; "/" in the
	// init.
	Root string
	// SysModule is the sysfs module directory; "" means SysModuleDir. A
	// module whose directory exists there is loaded or built in and is
	// skipped.
	SysModule string
	// Logger receives one line per module; nil discards.
	Logger *slog.Logger

	// load loads one module; nil means the kernel (loadModule).
	load func(path, params string) error
}

// LoadAll reads LoadOrderFile below root and loads every module it lists,
// logging each to logger (nil discards). See [Loader.Load].
func LoadAll(root string, logger *slog.Logger) error {
	l := &Loader{Root: root, Logger: logger}
	return l.LoadFile(LoadOrderFile)
}

// LoadFile parses the load order file at name (below l.Root) and loads its
// entries with [Loader.Load].
func (l *Loader) LoadFile(name string) error {
	f, err := os.Open(l.path(name))
	if err != nil {
		return fmt.Errorf("module load order: %w", err)
	}
	defer f.Close()
	entries, err := ParseLoadOrder(f)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return l.Load(entries)
}

// Load loads entries in order. A module that is already loaded or built into
// the kernel (it has a directory in /sys/module, or the kernel answers
// EEXIST) counts as success. A module that fails does not stop the others: the
// failures are returned together (errors.Join), each naming its module.
func (l *Loader) Load(entries []Entry) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sys := l.SysModule
	if sys == "" {
		sys = SysModuleDir
	}
	load := l.load
	if load == nil {
		load = loadModule
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if _, err := os.Stat(filepath.Join(sys, name)); err == nil {
			logger.Info("module already present", "module", name)
			continue
		}
		p := l.path(e.Path)
		err := load(p, e.Params)
		switch {
		case err == nil:
			logger.Info("module loaded", "module", name, "params", e.Params)
		case errors.Is(err, fs.ErrExist):
			logger.Info("module already loaded", "module", name)
		default:
			logger.Error("module not loaded", "module", name, "path", p, "err", err)
			errs = append(errs, fmt.Errorf("loading module %s from %s: %w", name, p, err))
		}
	}
	return errors.Join(errs...)
}

func (l *Loader) path(p string) string {
	root := l.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(p))
}
