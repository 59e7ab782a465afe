// Package modload loads the kernel modules that mkpxeramfs put into a netboot
// ramdisk, in the order the builder recorded, and names the paths the ramdisk
// builder (package initramfs) and the init (cmd/pxeinit) agree on.
//
// It is meant for a PID 1 that must stay small: it imports only the standard
// library and golang.org/x/sys/unix, and it needs no decompressor, because the
// builder stores every module decompressed.
//
// Usage, early in the init after /proc and /sys are mounted:
//
//	if err := modload.LoadAll("/", logger); err != nil {
//		logger.Warn("loading modules", "err", err) // keep booting: the NIC may be built in
//	}
//
// # The load order file
//
// [LoadOrderFile] is UTF-8 text, one module per line, in the order the
// modules must be loaded (dependencies first):
//
//	# comment
//	lib/modules/kernel/net/core/failover.ko
//	lib/modules/kernel/drivers/net/net_failover.ko
//	lib/modules/kernel/drivers/net/virtio_net.ko napi_tx=1
//
// The first field is the module's path relative to the archive root (no
// leading slash). Anything after the first run of blanks is passed verbatim to
// the kernel as the module's parameters (the string finit_module(2) takes).
// Blank lines and lines whose first non-blank character is '#' are ignored.
//
// # Security
//
// The load order file comes from the ramdisk the init itself was started
// from, so it is as trusted as the init. [ParseLoadOrder] still rejects lines
// longer than [MaxLineLength], absolute paths and paths with ".." elements, so
// that a damaged file cannot make the init load a module from outside the
// ramdisk's module directory.
package modload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"
)

// Paths inside the netboot ramdisk, shared by the builder and the init.
const (
	// InitPath is the init binary; the kernel runs /init from an initramfs
	// (init/main.c, ramdisk_execute_command).
	InitPath = "/init"

	// ModulesDir is the directory the modules are stored in, decompressed,
	// below their path relative to the lib/modules/VERSION tree they came
	// from (for example /lib/modules/kernel/drivers/net/virtio_net.ko).
	ModulesDir = "/lib/modules"

	// LoadOrderFile lists the modules to load, in order; see the package
	// documentation for its format.
	LoadOrderFile = "/lib/modules/load.order"
	// FSOrderDir holds a load order file per filesystem driver,
	// DRIVER.order (FSOrderFile), in the same format: the modules that
	// driver needs, loaded only when a disk has such a filesystem
	// (LoadFS). Filesystems are the biggest modules of a ramdisk (xfs
	// alone takes 2 s to load in a TCG guest); a network boot never
	// loads them.
	FSOrderDir = "/lib/modules/fs"

	// CABundle is the PEM bundle of trusted root certificates for HTTPS. It
	// is the first file Go's crypto/x509 reads on Linux
	// (crypto/x509/root_linux.go, certFiles).
	CABundle = "/etc/ssl/certs/ca-certificates.crt"

	// TrustedKey is where the public key that signed boot artefacts must
	// verify against goes.
	TrustedKey = "/etc/pxeinit/trusted.pub"
)

// MaxLineLength bounds one line of the load order file. A module path in a
// Linux tree is well under 256 bytes; the rest is room for parameters.
const MaxLineLength = 4096

// ErrBadLoadOrder is returned (wrapped) for a load order file that cannot be
// parsed.
var ErrBadLoadOrder = errors.New("malformed module load order")

// Entry is one module to load.
type Entry struct {
	// Path is relative to the archive root, e.g.
	// "lib/modules/kernel/drivers/net/virtio_net.ko".
	Path string
	// Params is the parameter string for the kernel, "" for none.
	Params string
}

// String returns the entry as a load order line.
func (e Entry) String() string {
	if e.Params == "" {
		return e.Path
	}
	return e.Path + " " + e.Params
}

// Name returns the module name the kernel uses for e: the file name without
// ".ko", with '-' replaced by '_' (scripts/Makefile.lib, modname).
func (e Entry) Name() string {
	return ModuleName(e.Path)
}

// ModuleName returns the kernel's name for the module file at p, e.g.
// "i2c_algo_bit" for "kernel/drivers/i2c/algos/i2c-algo-bit.ko.xz".
func ModuleName(p string) string {
	base := path.Base(p)
	if i := strings.Index(base, ".ko"); i > 0 {
		base = base[:i]
	}
	return strings.ReplaceAll(base, "-", "_")
}

// ParseLoadOrder reads a load order file from r.
func ParseLoadOrder(r io.Reader) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), MaxLineLength)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		p, params := text, ""
		if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
			p, params = text[:i], strings.TrimSpace(text[i+1:])
		}
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrBadLoadOrder, line, err)
		}
		entries = append(entries, Entry{Path: p, Params: params})
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: line %d longer than %d bytes", ErrBadLoadOrder, line+1, MaxLineLength)
		}
		return nil, fmt.Errorf("reading module load order: %w", err)
	}
	return entries, nil
}

// checkPath accepts clean relative paths that end in ".ko".
func checkPath(p string) error {
	switch {
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("module path %q is absolute", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("module path %q is not a clean path inside the archive", p)
	case !strings.HasSuffix(p, ".ko"):
		return fmt.Errorf("module path %q does not end in .ko (modules are stored decompressed)", p)
	}
	return nil
}

// FSOrderFile is the load order file of the filesystem driver (the type
// mount(2) takes: "ext4", "xfs", "vfat", "iso9660").
func FSOrderFile(driver string) string {
	return path.Join(FSOrderDir, driver+".order")
}
