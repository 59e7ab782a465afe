package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpConn is the TFTP client's socket: a blocking UDP socket whose reads
// time out after SO_RCVTIMEO.
//
// Once connected to the server's transfer ID, the lock-step data path
// (read DATA, write ACK) uses raw read(2) and write(2) system calls,
// which the Go scheduler does not see. This is deliberate and measured:
// in a 1-CPU s390x guest under QEMU's TCG, the runtime's netpoller path
// (EAGAIN, park, epoll_pwait, wake) costs about 70 µs of user time per
// packet and pin/tftp moved 26 MB in 5.2-9.5 s; these raw calls cost
// about 1 µs and move the same file in 3.1-4.0 s, faster than busybox's
// tftp (4.1-4.7 s) in the same runs. A read blocks its thread for at most
// the packet timeout, and signals (the runtime's preemption, SIGCHLD in
// PID 1) interrupt it, so the runtime still stops the world and preempts
// on time.
type udpConn struct {
	fd      int
	timeout time.Duration
}

// errTimeout is returned by reads that waited the whole timeout.
var errTimeout = errors.New("timeout")

func dialUDP(server netip.AddrPort, timeout time.Duration) (*udpConn, error) {
	family := unix.AF_INET6
	if server.Addr().Unmap().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	tv := unix.NsecToTimeval(max(timeout, time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt SO_RCVTIMEO", err)
	}
	// Best effort: without CAP_NET_ADMIN, or on a kernel without
	// CONFIG_NET_RX_BUSY_POLL, reads sleep as usual.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, busyPollMicros)
	return &udpConn{fd: fd, timeout: timeout}, nil
}

// busyPollMicros is the socket's SO_BUSY_POLL (socket(7)): a read polls
// the network device's queue for up to this many microseconds before it
// sleeps. A lock-step transfer waits one round trip per block, and
// sleeping and waking for each costs a scheduler round and an interrupt's
// worth of work: in the 1-CPU s390x TCG guest (virtio-net), 200 µs took
// context switches from ~9,000 to ~2,000 per 26 MB and the transfer from
// 3.7-6.7 s to 3.3-4.4 s in interleaved runs (1000 µs was no better). The
// CPU spins for at most that long per block; a boot client has nothing
// else to do.
const busyPollMicros = 200

func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if ip := a.Addr().Unmap(); ip.Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: ip.As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
	if z := a.Addr().Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// writeTo sends p to a (before connect).
func (c *udpConn) writeTo(p []byte, a netip.AddrPort) error {
	return os.NewSyscallError("sendto", unix.Sendto(c.fd, p, 0, sockaddr(a)))
}

// readFrom waits for a datagram from anyone (before connect).
func (c *udpConn) readFrom(p []byte) (int, netip.AddrPort, error) {
	var interrupted time.Time
	for {
		n, from, err := unix.Recvfrom(c.fd, p, 0)
		switch {
		case err == nil:
			return n, addrPort(from), nil
		case err == unix.EAGAIN:
			return 0, netip.AddrPort{}, errTimeout
		case err == unix.EINTR && c.again(&interrupted):
			continue
		case err == unix.EINTR:
			return 0, netip.AddrPort{}, errTimeout
		}
		return 0, netip.AddrPort{}, os.NewSyscallError("recvfrom", err)
	}
}

// connect fixes the peer: the kernel then drops datagrams from anyone
// else, and read and write need no address.
func (c *udpConn) connect(a netip.AddrPort) error {
	return os.NewSyscallError("connect", unix.Connect(c.fd, sockaddr(a)))
}

// write sends p to the connected peer.
func (c *udpConn) write(p []byte) error {
	for {
		_, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write", e)
	}
}

// again reports whether a read a signal interrupted is to be made again:
// until the timeout has passed since the first interruption, which it
// records in first. The clock is read only on interruptions: read is the
// per-block path.
func (c *udpConn) again(first *time.Time) bool {
	if first.IsZero() {
		*first = time.Now()
		return true
	}
	return time.Since(*first) < c.timeout
}

// read waits for a datagram from the connected peer.
func (c *udpConn) read(p []byte) (int, error) {
	var interrupted time.Time
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch {
		case e == 0:
			return int(n), nil
		case e == unix.EAGAIN:
			return 0, errTimeout
		case e == unix.EINTR && c.again(&interrupted):
			continue
		case e == unix.EINTR:
			return 0, errTimeout
		case e == unix.ECONNREFUSED:
			// An ICMP port unreachable for an earlier ACK: the server's
			// transfer is gone (a restarted server).
			return 0, fmt.Errorf("server's transfer port is closed: %w", os.NewSyscallError("read", e))
		}
		return 0, os.NewSyscallError("read", e)
	}
}

func (c *udpConn) close() error { return unix.Close(c.fd) }
