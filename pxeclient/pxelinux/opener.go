package pxelinux

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/s390netboot/s390netboot/internal/positive"
)

// FSOpener serves files of the boot server from fsys, a copy of its TFTP
// root (os.DirFS("/srv/tftp") for `pxeboot plan --root`, fstest.MapFS in
// tests). Names are cleaned as TFTP servers do (leading '/' dropped);
// names that leave the root, files on other hosts and URLs give an error
// matching ErrNotFound that says why. Files bigger than maxSize (0: the
// default MaxFileSize) give an error wrapping ErrLimit.
func FSOpener(fsys fs.FS, maxSize int) Opener {
	maxSize = positive.Or(maxSize, DefaultMaxFileSize)
	return OpenerFunc(func(ctx context.Context, p Path) ([]byte, error) {
		if p.URL != "" || p.Host != "" {
			return nil, fmt.Errorf("%s: only files of the boot server are available offline: %w", p, ErrNotFound)
		}
		name, ok := cleanName(p.Name)
		if !ok {
			return nil, fmt.Errorf("%q: not a file name below the TFTP root: %w", p.Name, ErrNotFound)
		}
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, int64(maxSize)+1))
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, err
			}
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(data) > maxSize {
			return nil, fmt.Errorf("%s: more than %d bytes: %w", p, maxSize, ErrLimit)
		}
		return data, nil
	})
}

// cleanName drops empty and "." elements ("s390x//images/./vmlinuz" is
// "s390x/images/vmlinuz", as TFTP servers read it) and refuses "..".
func cleanName(name string) (string, bool) {
	var out []string
	for _, el := range strings.Split(name, "/") {
		switch el {
		case "", ".":
			continue
		case "..":
			return "", false
		}
		out = append(out, el)
	}
	n := strings.Join(out, "/")
	return n, n != "" && fs.ValidPath(n)
}
