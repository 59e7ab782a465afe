package pxelinux

import "strings"

// Path says where a file named in a config (or a config name itself) is
// fetched from. Exactly one of three forms is used:
//
//   - URL set: a full URL (tftp://, http://, https://, ftp://) fetched as
//     given;
//   - Host set: "host::name", the file Name on another TFTP server;
//   - otherwise: Name on the boot server, relative to its TFTP root.
type Path struct {
	URL  string `json:"url,omitempty"`
	Host string `json:"host,omitempty"`
	Name string `json:"name,omitempty"`
}

// String gives the path in PXELINUX notation: the URL, "host::name", or
// the name relative to the TFTP root of the boot server.
func (p Path) String() string {
	switch {
	case p.URL != "":
		return p.URL
	case p.Host != "":
		return p.Host + "::" + p.Name
	}
	return p.Name
}

// urlKind classifies a file name as PXELINUX's url_type does
// (core/fs/pxe/urlparse.c): only the first ':' counts.
type urlKind int

const (
	urlSuffix  urlKind = iota // relative: the prefix is put in front
	urlNormal                 // scheme://...
	urlOldTFTP                // host::name or ::name
)

func classify(name string) urlKind {
	i := strings.IndexByte(name, ':')
	switch {
	case i < 0:
		return urlSuffix
	case strings.HasPrefix(name[i:], "://"):
		return urlNormal
	case strings.HasPrefix(name[i:], "::"):
		return urlOldTFTP
	}
	return urlSuffix
}

// Resolve turns a file name as written in a config into a Path. dir is the
// working directory in PXELINUX notation ("::s390x/", "host::dir/",
// "http://host/dir/", or "" for the TFTP root), as Prefix and a CONFIG
// directory give it. A relative name is appended to dir; a leading '/' does
// not make a name absolute (PXELINUX behaves the same); "::name" starts at
// the TFTP root of the boot server; "host::name" and URLs ignore dir.
func Resolve(dir, name string) Path {
	if classify(name) == urlSuffix {
		name = dir + name
	}
	switch classify(name) {
	case urlNormal:
		return Path{URL: name}
	case urlOldTFTP:
		i := strings.Index(name, "::")
		return Path{Host: name[:i], Name: name[i+2:]}
	}
	return Path{Name: name}
}

// workDir turns a path prefix (option 210 or the boot file's directory)
// into the PXELINUX working directory: a relative prefix is relative to the
// TFTP root of the boot server, as get_prefix() in core/fs/pxe/pxe.c makes
// it.
func workDir(prefix string) string {
	if classify(prefix) == urlSuffix {
		return "::" + prefix
	}
	return prefix
}
