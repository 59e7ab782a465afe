package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpConn is the TFTP client's socket: a blocking UDP socket whose reads
// time out after SO_RCVTIMEO.
//
// Once connected to the server's transfer ID, the lock-step data path
// (read DATA, write ACK) blocks in read(2) and write(2) rather than in
// Go's netpoller: in a 1-CPU s390x guest under QEMU's TCG, the netpoller
// path (EAGAIN, park, epoll_pwait, wake) costs about 70 µs of user time
// per packet and pin/tftp moved 26 MB in 5.2-9.5 s; blocking calls move
// the same file in 3.1-4.0 s, faster than busybox's tftp (4.1-4.7 s) in
// the same runs.
//
// A read waits in two steps. First a raw read(2), which the scheduler
// does not see, for at most holdTime: the next block is normally there
// well before. Then, for the rest of the timeout, a read through the
// runtime's system-call path (unix.Read), which gives the scheduler its
// P back, so timers, other goroutines and the garbage collector run
// while a silent server is waited for, even with one CPU
// (TestReadLetsTimersRun). Either path alone costs: raw reads for the
// whole timeout kept a 1 ms timer about 20 ms late and a runtime.GC
// waiting 20-135 ms (until the runtime preempted the reader); reads or
// writes through the runtime for every block made the 26 MB transfer
// about 3 times slower in the guest (interleaved runs on a loaded host:
// 40-86 s against 12-31 s), because the runtime's monitor thread takes
// the P from every system call that lasts over 20 µs and hands it to
// another thread: several context switches per block on one CPU.
type udpConn struct {
	fd      int
	timeout time.Duration
	hold    time.Duration // min(holdTime, timeout)
}

// holdTime is how long a read may hold its thread and P in a raw
// read(2) (TFTP) or ppoll(2) (HTTP, httpconn_linux.go) before it waits
// through the runtime: well above a block's round
// trip in the s390x TCG guest (0.2-1.3 ms), and below the runtime's 10 ms
// forced preemption. For SO_RCVTIMEO the kernel rounds it up to whole
// clock ticks (4 ms at Debian's HZ=250, so 8 ms); ppoll's timeout is exact.
const holdTime = 5 * time.Millisecond

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
	c := &udpConn{fd: fd, timeout: timeout, hold: min(holdTime, timeout)}
	if err := c.setReadTimeout(timeout); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Best effort: without CAP_NET_ADMIN, or on a kernel without
	// CONFIG_NET_RX_BUSY_POLL, reads sleep as usual.
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, busyPollMicros)
	return c, nil
}

// setReadTimeout sets SO_RCVTIMEO (at least 1 ms: 0 would mean never).
func (c *udpConn) setReadTimeout(d time.Duration) error {
	tv := unix.NsecToTimeval(max(d, time.Millisecond).Nanoseconds())
	return os.NewSyscallError("setsockopt SO_RCVTIMEO", unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv))
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
		a := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.ZoneId != 0 && a.Is6() {
			// A link-local peer: keep its link, so that it compares
			// equal to the server asked and connect reaches it.
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				a = a.WithZone(ifi.Name)
			}
		}
		return netip.AddrPortFrom(a, uint16(sa.Port))
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
// else, and read and write need no address. Reads from then on first
// wait holdTime (see read).
func (c *udpConn) connect(a netip.AddrPort) error {
	if err := unix.Connect(c.fd, sockaddr(a)); err != nil {
		return os.NewSyscallError("connect", err)
	}
	return c.setReadTimeout(c.hold)
}

// write sends p to the connected peer, in a raw system call (see
// udpConn): a UDP send queues the datagram and returns; it could wait
// only for send buffer space, which a lock-step transfer (one small ACK
// at a time) never runs out of.
func (c *udpConn) write(p []byte) error {
	for {
		_, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		runtime.KeepAlive(p)
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

// read waits for a datagram from the connected peer: up to c.hold in a
// raw read(2) (SO_RCVTIMEO is c.hold), then for the rest of the timeout
// through the runtime (see udpConn). A signal (most often the runtime's
// preemption) interrupts the raw read: read yields, then waits again.
func (c *udpConn) read(p []byte) (int, error) {
	var interrupted time.Time
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		runtime.KeepAlive(p)
		switch {
		case e == 0:
			return int(n), nil
		case e == unix.EAGAIN && c.timeout > c.hold:
			return c.readReleased(p, c.timeout-c.hold)
		case e == unix.EAGAIN:
			return 0, errTimeout
		case e == unix.EINTR && c.again(&interrupted):
			runtime.Gosched()
			continue
		case e == unix.EINTR:
			return 0, errTimeout
		}
		return 0, readError(e)
	}
}

// readReleased waits up to rest for a datagram in a read(2) the scheduler
// knows about, then sets SO_RCVTIMEO back to c.hold.
func (c *udpConn) readReleased(p []byte, rest time.Duration) (n int, err error) {
	if err := c.setReadTimeout(rest); err != nil {
		return 0, err
	}
	defer func() {
		if e := c.setReadTimeout(c.hold); e != nil && err == nil {
			n, err = 0, e
		}
	}()
	var interrupted time.Time
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case err == nil:
			return n, nil
		case err == unix.EAGAIN:
			return 0, errTimeout
		case err == unix.EINTR && c.again(&interrupted):
			continue
		case err == unix.EINTR:
			return 0, errTimeout
		}
		return 0, readError(err)
	}
}

// readError is the error of a failed read(2).
func readError(err error) error {
	if err == unix.ECONNREFUSED {
		// An ICMP port unreachable for an earlier ACK: the server's
		// transfer is gone (a restarted server).
		return fmt.Errorf("server's transfer port is closed: %w", os.NewSyscallError("read", err))
	}
	return os.NewSyscallError("read", err)
}

func (c *udpConn) close() error { return unix.Close(c.fd) }
