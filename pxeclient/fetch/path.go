package fetch

import "github.com/s390netboot/s390netboot/pxeclient/pxelinux"

// PathURL returns the URL [Fetcher.Fetch] takes for a path from the
// config engine: a URL as written, "host::name" as the file name on that
// TFTP server, and a plain name as the file on bootServer (host or
// host:port, the server the lease named).
//
//	f.Fetch(ctx, fetch.PathURL(pxelinux.Resolve("::s390x/", "vmlinuz"), "10.0.0.1"))
func PathURL(p pxelinux.Path, bootServer string) string {
	switch {
	case p.URL != "":
		return p.URL
	case p.Host != "":
		return TFTPURL(p.Host, p.Name)
	}
	return TFTPURL(bootServer, p.Name)
}
