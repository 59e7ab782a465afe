//go:build !linux

package fetch

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// udpConn is the TFTP client's socket on systems other than Linux: a
// net.UDPConn with read deadlines. (Linux has a faster one for the boot
// path; see tftpconn_linux.go.)
type udpConn struct {
	c       *net.UDPConn
	peer    netip.AddrPort
	timeout time.Duration
}

// errTimeout is returned by reads that waited the whole timeout.
var errTimeout = errors.New("timeout")

func dialUDP(server netip.AddrPort, timeout time.Duration) (*udpConn, error) {
	network := "udp6"
	if server.Addr().Unmap().Is4() {
		network = "udp4"
	}
	c, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, err
	}
	return &udpConn{c: c, timeout: timeout}, nil
}

func (c *udpConn) writeTo(p []byte, a netip.AddrPort) error {
	_, err := c.c.WriteToUDPAddrPort(p, a)
	return err
}

func (c *udpConn) readFrom(p []byte) (int, netip.AddrPort, error) {
	c.c.SetReadDeadline(time.Now().Add(c.timeout))
	n, from, err := c.c.ReadFromUDPAddrPort(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return 0, from, errTimeout
	}
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

func (c *udpConn) connect(a netip.AddrPort) error {
	c.peer = a
	return nil
}

func (c *udpConn) write(p []byte) error { return c.writeTo(p, c.peer) }

func (c *udpConn) read(p []byte) (int, error) {
	for {
		n, from, err := c.readFrom(p)
		if err != nil {
			return 0, err
		}
		if from == c.peer {
			return n, nil
		}
	}
}

func (c *udpConn) close() error { return c.c.Close() }
