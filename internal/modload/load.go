package modload

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// SysModuleDir is where the kernel shows loaded and built-in modules
// (Documentation/ABI/stable/sysfs-module).
const SysModuleDir = "/sys/module"

// LoadAll reads LoadOrderFile below root and loads every module it lists,
// in order, logging each to logger (nil discards). A module that is already
// loaded or built into the kernel (it has a directory in /sys/module, or
// the kernel answers EEXIST) counts as success. A module that fails does
// not stop the others: the failures are returned together (errors.Join),
// each naming its module.
func LoadAll(root string, logger *slog.Logger) error {
	l := &loader{root: root, log: logging.Or(logger)}
	return l.loadFile(LoadOrderFile)
}

// LoadFS loads the modules the filesystem driver needs, from
// FSOrderFile(driver) below root, as LoadAll does. A ramdisk without that
// file is no error: the driver is built into the kernel, or the ramdisk
// was built without it (then the mount fails and says so).
func LoadFS(root, driver string, logger *slog.Logger) error {
	if driver == "" || strings.ContainsAny(driver, "/.") {
		return fmt.Errorf("filesystem driver %q: %w", driver, ErrBadLoadOrder)
	}
	l := &loader{root: root, log: logging.Or(logger)}
	err := l.loadFile(FSOrderFile(driver))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// loader loads modules listed in a load order file.
type loader struct {
	// root is the directory the entry paths are relative to; "" means "/".
	root string
	// sysModule is the sysfs module directory; "" means SysModuleDir. A
	// module whose directory exists there is loaded or built in and is
	// skipped.
	sysModule string
	log       *slog.Logger
	// load loads one module; nil means the kernel (loadModule).
	load func(path, params string) error
}

// loadFile parses the load order file at name (below l.root) and loads its
// entries.
func (l *loader) loadFile(name string) error {
	f, err := os.Open(l.path(name))
	if err != nil {
		return fmt.Errorf("module load order: %w", err)
	}
	defer f.Close()
	entries, err := ParseLoadOrder(f)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return l.loadEntries(entries)
}

// loadEntries loads entries in order, as LoadAll describes.
func (l *loader) loadEntries(entries []Entry) error {
	sys := l.sysModule
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
			l.log.Info("module already present", "module", name)
			continue
		}
		p := l.path(e.Path)
		err := load(p, e.Params)
		switch {
		case err == nil:
			l.log.Info("module loaded", "module", name, "params", e.Params)
		case errors.Is(err, fs.ErrExist):
			l.log.Info("module already loaded", "module", name)
		default:
			l.log.Error("module not loaded", "module", name, "path", p, "err", err)
			errs = append(errs, fmt.Errorf("loading module %s from %s: %w", name, p, err))
		}
	}
	return errors.Join(errs...)
}

func (l *loader) path(p string) string {
	root := l.root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(p))
}
