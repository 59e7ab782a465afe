package pxeclient

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// Source says where the files a config names come from. It holds the
// one rule that turns a PXELINUX path into the URL it is fetched from
// (URL); every part of the client and pxeboot use it.
//
// Base is the URL standing for the boot server's TFTP root,
// "tftp://10.0.2.2/" (or with a port, for tests) or an HTTP(S) directory
// holding a copy of it ("https://boot.example/tftp/"). Dir, instead, is a
// local copy of the TFTP root (`pxeboot plan --root`): configs are read
// from it and nothing is fetched.
type Source struct {
	Base string
	Dir  string
}

// TFTPSource is the TFTP root of server (port 69); an IPv6 server in
// brackets, a link-local one with its zone ("tftp://[fe80::1%25eth0]/").
func TFTPSource(server netip.Addr) Source {
	return Source{Base: fetch.TFTPURL(server.String(), "")}
}

// ParseSource checks a base URL (tftp, http or https, with a host) and
// adds the trailing slash.
func ParseSource(base string) (Source, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return Source{}, fmt.Errorf("boot server URL %q: not a URL with a host", base)
	}
	switch u.Scheme {
	case "tftp", "http", "https":
	default:
		return Source{}, fmt.Errorf("boot server URL %q: scheme must be tftp, http or https", base)
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return Source{Base: base}, nil
}

// DirSource is a local copy of a TFTP root; dir must be a directory.
func DirSource(dir string) (Source, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Source{}, err
	}
	if !st.IsDir() {
		return Source{}, fmt.Errorf("%s: not a directory", dir)
	}
	return Source{Dir: dir}, nil
}

// URL gives the URL to fetch p from: URLs as written, host::name from
// that host's TFTP server, names on the boot server below Base (for a
// Dir source, a file:// URL below it, which nothing fetches).
func (s Source) URL(p pxelinux.Path) string {
	name := strings.TrimLeft(p.Name, "/")
	switch {
	case p.URL != "":
		return p.URL
	case p.Host != "":
		return fetch.TFTPURL(p.Host, name)
	case s.Dir != "":
		return (&url.URL{Scheme: "file", Path: strings.TrimSuffix(s.Dir, "/") + "/" + name}).String()
	}
	u, err := url.Parse(s.Base)
	if err != nil {
		return s.Base + name
	}
	if u.Scheme == "tftp" {
		return fetch.TFTPURL(u.Host, strings.TrimLeft(u.Path, "/")+name)
	}
	return s.Base + (&url.URL{Path: name}).EscapedPath()
}

// Server is the host (and port) of Base, or Dir, for messages.
func (s Source) Server() string {
	if s.Dir != "" {
		return s.Dir
	}
	if u, err := url.Parse(s.Base); err == nil && u.Host != "" {
		return u.Host
	}
	return s.Base
}

// dirOpener reads configs from Dir (pxelinux.FSOpener).
func (s Source) dirOpener() pxelinux.Opener {
	return pxelinux.FSOpener(os.DirFS(s.Dir), 0)
}
