// Package atomicfile writes files that appear complete or not at all: the
// data goes to a temporary file in the same directory, which is synced
// and then renamed over the final name. A reader never sees half a file,
// and a failed or interrupted write leaves the old file (or none) behind.
//
//	if err := atomicfile.WriteFile("plan.json", data, 0o644); err != nil { ... }
//
// For output that is streamed (an image built piece by piece), Create
// returns the temporary file; Commit puts it in place, Abort removes it:
//
//	f, err := atomicfile.Create(name, 0o644)
//	defer f.Abort() // a no-op after Commit
//	_, err = io.Copy(f, src)
//	err = f.Commit()
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a file being written under a temporary name next to its final
// name.
type File struct {
	*os.File
	name string
	perm fs.FileMode
	done bool
}

// Create starts writing name: it creates a temporary file in name's
// directory (".NAME.tmp*", so a listing shows what it is for). Nothing
// appears under name until Commit.
func Create(name string, perm fs.FileMode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	return &File{File: tmp, name: name, perm: perm}, nil
}

// Name is the final name, not the temporary one.
func (f *File) Name() string { return f.name }

// Commit sets the permissions, syncs the data, closes the file and renames
// it to its final name, then syncs the directory so that the rename
// survives a crash. On error the temporary file is removed.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or aborted", f.name)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Chmod(f.perm)
	if err == nil {
		err = f.File.Sync()
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.name, err)
	}
	syncDir(filepath.Dir(f.name))
	return nil
}

// Abort closes and removes the temporary file. It does nothing after
// Commit, so it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}

// WriteFile writes data to name atomically with permissions perm.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	f, err := Create(name, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Commit()
}

// syncDir makes a rename in dir durable. Failure is ignored: some file
// systems cannot sync directories, and the data itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
