package fetch

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

type scheme int

const (
	schemeTFTP scheme = iota
	schemeHTTP
	schemeHTTPS
	schemeFile
)

// Default ports: TFTP RFC 1350, HTTP RFC 9110.
const (
	tftpPort  = "69"
	httpPort  = "80"
	httpsPort = "443"
)

// TFTP request packet limits: a request must fit in 516 bytes, the
// 512-byte data area plus the 4-byte header of RFC 1350, which is what
// servers read a request into (pin/tftp's datagramLength, for one);
// longer names are refused here, before anything is sent.
const (
	tftpRequestMax = 516
	// tftpRequestOverhead is opcode (2) + NUL after the name (1) +
	// "octet\x00" (6) + "blksize\x0065464\x00" (14) + "tsize\x000\x00" (8)
	// + "windowsize\x0065535\x00" (17).
	tftpRequestOverhead = 2 + 1 + 6 + 14 + 8 + 17
	// maxTFTPName is the longest file name a request can carry.
	maxTFTPName = tftpRequestMax - tftpRequestOverhead
)

// location is a parsed URL: where the file is and how to ask for it.
type location struct {
	// raw is the URL as given.
	raw    string
	scheme scheme
	// server is host:port.
	server string
	// name is the TFTP file name (without the leading "/" of the URL
	// path, RFC 3617 section 2).
	name string
	// url is the HTTP(S) URL.
	url *url.URL
	// path is the local file of a file:// URL (absolute).
	path string
}

// TFTPURL returns the URL of the file name on a TFTP server, escaped so
// that [Fetcher.Fetch] asks the server for exactly name. server is a host
// or host:port (IPv6 addresses in brackets when a port is given; a
// link-local address may carry its zone, "fe80::1%eth0"). A name that
// starts with "/" stays absolute.
//
//	fetch.TFTPURL("10.0.0.1", "pxelinux.cfg/default") // tftp://10.0.0.1/pxelinux.cfg/default
func TFTPURL(server, name string) string {
	host := server
	if _, _, err := net.SplitHostPort(server); err != nil && strings.Count(server, ":") > 1 && !strings.HasPrefix(server, "[") {
		host = "[" + server + "]" // bare IPv6 address, maybe with a zone
	}
	u := url.URL{Scheme: "tftp", Host: host, Path: "/" + name}
	// url.URL escapes the zone's "%" in the host; it leaves ";" alone in
	// paths, but that starts the RFC 3617 ";mode=" suffix here.
	return "tftp://" + strings.TrimPrefix((&url.URL{Host: host}).String(), "//") + strings.ReplaceAll(u.EscapedPath(), ";", "%3B")
}

// parseLocation parses a tftp, http, https or file URL.
func parseLocation(raw string) (*location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	if strings.EqualFold(u.Scheme, "file") {
		return parseFileLocation(raw, u)
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: %q has no server (want scheme://server/path)", ErrBadURL, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: %q: user names in URLs are not supported", ErrBadURL, raw)
	}
	loc := &location{raw: raw}
	switch strings.ToLower(u.Scheme) {
	case "tftp":
		loc.scheme = schemeTFTP
		if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
			return nil, fmt.Errorf("%w: %q: TFTP URLs take no ?query or #fragment (escape them as %%3F, %%23)", ErrBadURL, raw)
		}
		loc.server = hostPort(u, tftpPort)
		// RFC 3617 section 2: an optional ";mode=octet" suffix, looked
		// for before unescaping so that "%3B" stays part of the name.
		escaped := strings.TrimPrefix(u.EscapedPath(), "/")
		if n, mode, ok := strings.Cut(escaped, ";mode="); ok {
			if !strings.EqualFold(mode, "octet") {
				return nil, fmt.Errorf("%w: %q: TFTP mode %q is not supported (only octet)", ErrBadURL, raw, mode)
			}
			escaped = n
		}
		name, err := url.PathUnescape(escaped)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %w", ErrBadURL, raw, err)
		}
		if name == "" {
			return nil, fmt.Errorf("%w: %q names no file", ErrBadURL, raw)
		}
		if strings.IndexByte(name, 0) >= 0 {
			return nil, fmt.Errorf("%w: %q: TFTP file name contains a NUL byte", ErrBadURL, raw)
		}
		if len(name) > maxTFTPName {
			return nil, fmt.Errorf("%w: TFTP file name is %d bytes, a request holds at most %d", ErrBadURL, len(name), maxTFTPName)
		}
		loc.name = name
	case "http":
		loc.scheme = schemeHTTP
		loc.server = hostPort(u, httpPort)
		loc.url = u
	case "https":
		loc.scheme = schemeHTTPS
		loc.server = hostPort(u, httpsPort)
		loc.url = u
	default:
		return nil, fmt.Errorf("%w: %q: scheme %q is not supported (tftp, http, https, file)", ErrBadURL, raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no server", ErrBadURL, raw)
	}
	return loc, nil
}

func hostPort(u *url.URL, defPort string) string {
	port := u.Port()
	if port == "" {
		port = defPort
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// IsLocal reports whether rawURL names a file of this machine (a file://
// URL, as a kernel on a mounted disk), which no network and no boot
// server is needed for.
func IsLocal(rawURL string) bool {
	scheme, _, ok := strings.Cut(rawURL, ":")
	return ok && strings.EqualFold(scheme, "file")
}

// parseFileLocation checks a file URL: file:///absolute/path (RFC 8089),
// or file://localhost/absolute/path; no other host, query or fragment.
func parseFileLocation(raw string, u *url.URL) (*location, error) {
	switch {
	case u.Opaque != "":
		return nil, fmt.Errorf("%w: %q: a file URL needs an absolute path (file:///path)", ErrBadURL, raw)
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return nil, fmt.Errorf("%w: %q: file URLs name files of this machine (no host, or localhost)", ErrBadURL, raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return nil, fmt.Errorf("%w: %q: file URLs take no user, ?query or #fragment (escape them as %%3F, %%23)", ErrBadURL, raw)
	case !strings.HasPrefix(u.Path, "/") || u.Path == "/":
		return nil, fmt.Errorf("%w: %q names no file", ErrBadURL, raw)
	case strings.IndexByte(u.Path, 0) >= 0:
		return nil, fmt.Errorf("%w: %q: file name contains a NUL byte", ErrBadURL, raw)
	}
	return &location{raw: raw, scheme: schemeFile, path: u.Path}, nil
}
