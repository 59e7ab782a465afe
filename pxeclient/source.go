package pxeclient

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// Source says where the files a config names are fetched from: Base is
// the URL standing for the boot server's TFTP root, "tftp://10.0.2.2/"
// (or with a port, for tests) or an HTTP(S) directory holding a copy of
// it ("https://boot.example/tftp/").
type Source struct {
	Base string
}

// TFTPSource is the TFTP root of server (port 69).
func TFTPSource(server netip.Addr) Source {
	return Source{Base: "tftp://" + server.String() + "/"}
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

// URL gives the URL to fetch p from: URLs as written, host::name from
// that host's TFTP server, names on the boot server below Base.
func (s Source) URL(p pxelinux.Path) string {
	name := strings.TrimLeft(p.Name, "/")
	switch {
	case p.URL != "":
		return p.URL
	case p.Host != "":
		return fetch.TFTPURL(p.Host, name)
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

// Server is the host (and port) of Base, for messages.
func (s Source) Server() string {
	if u, err := url.Parse(s.Base); err == nil && u.Host != "" {
		return u.Host
	}
	return s.Base
}
