package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/u-root/u-root/pkg/cpio"
)

// Modes and device numbers of the records every netboot ramdisk carries.
const (
	// DirMode is the mode of every directory: never group- or
	// world-writable.
	DirMode = 0o755

	// Character device numbers from Documentation/admin-guide/devices.txt:
	// 5,1 is /dev/console, 1,3 is /dev/null. The kernel opens /dev/console
	// for PID 1's stdin/stdout/stderr before devtmpfs is mounted
	// (init/main.c, console_on_rootfs), so it must be in the archive.
	consoleMajor, consoleMinor = 5, 1
	nullMajor, nullMinor       = 1, 3
)

// ErrDuplicate is returned (wrapped) when two inputs claim the same path in
// the archive.
var ErrDuplicate = errors.New("path already in the archive")

// Archive collects the files of a ramdisk and writes them as a reproducible
// newc cpio archive: records sorted by path, every parent directory written
// explicitly with mode 0755 before its contents, owner root:root, one fixed
// modification time, inode numbers counted from 1 in path order.
//
// The zero value is an empty archive ready to use.
type Archive struct {
	recs map[string]cpio.Record
}

// AddFile adds a regular file with the given permission bits. Group and
// world write permission are removed.
func (a *Archive) AddFile(name string, data []byte, perm uint64) error {
	return a.add(cpio.StaticRecord(data, cpio.Info{Name: name, Mode: cpio.S_IFREG | perm&0o7755}))
}

// AddDir adds a directory (mode 0755). Parent directories of other records
// are added implicitly; AddDir is for empty ones such as mount points.
func (a *Archive) AddDir(name string) error {
	return a.add(cpio.Directory(name, DirMode))
}

// AddCharDev adds a character device node.
func (a *Archive) AddCharDev(name string, perm, major, minor uint64) error {
	return a.add(cpio.CharDev(name, perm&0o7777, major, minor))
}

// AddSymlink adds a symbolic link to target.
func (a *Archive) AddSymlink(name, target string) error {
	return a.add(cpio.Symlink(name, target))
}

// AddConsoleNodes adds /dev/console and /dev/null.
func (a *Archive) AddConsoleNodes() error {
	return errors.Join(
		a.AddCharDev("dev/console", 0o600, consoleMajor, consoleMinor),
		a.AddCharDev("dev/null", 0o666, nullMajor, nullMinor),
	)
}

// Has reports whether name is in the archive (not counting implicit parent
// directories).
func (a *Archive) Has(name string) bool {
	n, err := cleanName(name)
	if err != nil {
		return false
	}
	_, ok := a.recs[n]
	return ok
}

func (a *Archive) add(r cpio.Record) error {
	n, err := cleanName(r.Name)
	if err != nil {
		return err
	}
	r.Name = n
	if a.recs == nil {
		a.recs = make(map[string]cpio.Record)
	}
	if old, ok := a.recs[n]; ok {
		if old.Mode&cpio.S_IFMT == cpio.S_IFDIR && r.Mode&cpio.S_IFMT == cpio.S_IFDIR {
			return nil
		}
		return fmt.Errorf("/%s: %w", n, ErrDuplicate)
	}
	a.recs[n] = r
	return nil
}

// cleanName turns "/a/b" or "a/b" into "a/b" and refuses names that would
// leave the archive root or contain NUL.
func cleanName(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	switch {
	case n == "" || n == ".":
		return "", fmt.Errorf("archive path %q: names the root", name)
	case strings.ContainsRune(n, 0):
		return "", fmt.Errorf("archive path %q: contains NUL", name)
	case path.Clean(n) != n || n == ".." || strings.HasPrefix(n, "../"):
		return "", fmt.Errorf("archive path %q: not a clean path below the root", name)
	}
	return n, nil
}

// WriteTo writes the uncompressed archive, trailer included, to w, with
// every record's modification time set to mtime (seconds since 1970).
func (a *Archive) WriteTo(w io.Writer, mtime uint32) (int64, error) {
	all := make(map[string]cpio.Record, len(a.recs))
	for n, r := range a.recs {
		all[n] = r
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			if old, ok := all[d]; ok {
				if old.Mode&cpio.S_IFMT != cpio.S_IFDIR {
					return 0, fmt.Errorf("/%s is a file but /%s needs it as a directory: %w", d, n, ErrDuplicate)
				}
				continue
			}
			if old, ok := a.recs[d]; ok && old.Mode&cpio.S_IFMT != cpio.S_IFDIR {
				return 0, fmt.Errorf("/%s is a file but /%s needs it as a directory: %w", d, n, ErrDuplicate)
			}
			all[d] = cpio.Directory(d, DirMode)
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	// Plain byte order puts every directory before its contents: a parent
	// is a proper prefix of its children's names.
	slices.Sort(names)

	cw := &countWriter{w: w}
	rw := cpio.Newc.Writer(cw)
	for i, n := range names {
		r := all[n]
		r.Ino = uint64(i + 1)
		r.UID, r.GID = 0, 0
		r.MTime = uint64(mtime)
		r.Dev, r.Major, r.Minor = 0, 0, 0
		r.NLink = 1
		if r.Mode&cpio.S_IFMT == cpio.S_IFDIR {
			r.NLink = 2
		}
		if err := rw.WriteRecord(r); err != nil {
			return cw.n, fmt.Errorf("writing /%s to the archive: %w", n, err)
		}
	}
	if err := cpio.WriteTrailer(rw); err != nil {
		return cw.n, fmt.Errorf("writing the archive trailer: %w", err)
	}
	return cw.n, nil
}

// Bytes returns the uncompressed archive.
func (a *Archive) Bytes(mtime uint32) ([]byte, error) {
	var b bytes.Buffer
	_, err := a.WriteTo(&b, mtime)
	return b.Bytes(), err
}

// countWriter counts the bytes written through it to w. Behind
// io.TeeReader (with w io.Discard) it counts the bytes read.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
