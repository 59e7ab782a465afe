package signedboot

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
	"github.com/s390netboot/s390netboot/internal/minisign"
)

// The producer's side of signed boot (`pxeboot sign`): the files of a
// TFTP tree get their NAME.minisig here, named by the same rule (SigName)
// the client's Opener and FetchAll look for.

// File is a file to sign: its path on this machine and the name its
// default trusted comment gives it (relative to the tree's root).
type File struct{ Path, Name string }

// TreeFiles lists the files to sign under roots: every regular file of
// each directory (symbolic links followed, as TFTP servers follow them;
// signatures themselves left out) and each file named directly. It
// refuses a tree that holds the secret key secretKey: the TFTP server
// would hand it to anyone who asks.
func TreeFiles(secretKey string, roots []string) ([]File, error) {
	keyInfo, err := os.Stat(secretKey)
	if err != nil {
		return nil, err
	}
	var out []File
	add := func(path, name string, fi fs.FileInfo) error {
		if os.SameFile(fi, keyInfo) {
			return fmt.Errorf("%s is the secret key: keep it out of the TFTP tree, the server gives files to anyone", path)
		}
		out = append(out, File{path, name})
		return nil
	}
	for _, root := range roots {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file or directory", root)
			}
			if strings.HasSuffix(root, minisign.SigSuffix) {
				return nil, fmt.Errorf("%s: is a signature itself", root)
			}
			if err := add(root, filepath.Base(root), fi); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasSuffix(d.Name(), minisign.SigSuffix) {
				return nil
			}
			fi, err := os.Stat(path) // follows symlinks, as TFTP servers do
			if err != nil {
				if d.Type()&fs.ModeSymlink != 0 {
					return nil // a dangling link: nothing a server could send
				}
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			return add(path, filepath.ToSlash(rel), fi)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SignFile writes the signature of path by key to SigName(path),
// replacing it atomically (internal/atomicfile). An empty trustedComment
// is minisign.DefaultTrustedComment(name, now).
func SignFile(key *minisign.PrivateKey, f File, trustedComment string, now time.Time) error {
	if trustedComment == "" {
		trustedComment = minisign.DefaultTrustedComment(f.Name, now)
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	sig, err := key.SignReader(in, trustedComment)
	in.Close()
	if err != nil {
		return fmt.Errorf("sign %s: %w", f.Path, err)
	}
	return atomicfile.WriteFile(SigName(f.Path), sig.Encode(), 0o644)
}
