//go:build !linux

package fetch

import "net"

// wrapConn returns c: on systems other than Linux the HTTP client reads
// through Go's netpoller. (Linux has a faster read for the boot path; see
// httpconn_linux.go.)
func wrapConn(c net.Conn) net.Conn { return c }
