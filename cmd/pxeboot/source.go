package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// sourceFlags say where the boot server's files are: a local copy of the
// TFTP root (--root) or the server itself (--url).
type sourceFlags struct {
	root, url string
}

func (s *sourceFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.root, "root", "", "local TFTP root directory (works offline)")
	fs.StringVar(&s.url, "url", "", "boot server: tftp://HOST[:PORT]/ or http(s)://HOST/PATH/")
}

// opener gives the Opener for the flags; maxSize caps each file.
func (s *sourceFlags) opener(maxSize int) (pxelinux.Opener, error) {
	switch {
	case s.root != "" && s.url != "":
		return nil, errors.New("give --root or --url, not both")
	case s.root != "":
		st, err := os.Stat(s.root)
		if err != nil {
			return nil, fmt.Errorf("--root: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("--root %s: not a directory", s.root)
		}
		return pxelinux.FSOpener(os.DirFS(s.root), maxSize), nil
	case s.url != "":
		return urlOpener(s.url, maxSize)
	}
	return nil, errors.New("give --root TFTPDIR or --url tftp://HOST/ | http(s)://HOST/PATH/")
}

// urlOpener fetches through pxeclient/fetch: names on the boot server are
// below base (a TFTP server's root, or an HTTP directory standing in for
// it), host::name from that TFTP server, URLs as given.
func urlOpener(base string, maxSize int) (pxelinux.Opener, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--url %q: not a URL with a host", base)
	}
	switch u.Scheme {
	case "tftp", "http", "https":
	default:
		return nil, fmt.Errorf("--url %q: scheme must be tftp, http or https", base)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	f := fetch.New(fetch.Options{
		Attempts: 1,
		// A config bigger than the parser accepts is refused before it is
		// read into memory.
		MemCheck: func(need int64) error {
			if need > int64(maxSize) {
				return fmt.Errorf("%d bytes, more than %d: %w", need, maxSize, fetch.ErrNoMemory)
			}
			return nil
		},
	})
	return pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
		var loc string
		switch {
		case p.URL != "":
			loc = p.URL
		case p.Host != "":
			loc = fetch.TFTPURL(p.Host, strings.TrimLeft(p.Name, "/"))
		case u.Scheme == "tftp":
			loc = fetch.TFTPURL(u.Host, strings.TrimLeft(u.Path, "/")+strings.TrimLeft(p.Name, "/"))
		default:
			loc = base + (&url.URL{Path: strings.TrimLeft(p.Name, "/")}).EscapedPath()
		}
		file, err := f.Fetch(ctx, loc)
		if err != nil {
			return nil, err
		}
		return file.Data, nil
	}), nil
}
