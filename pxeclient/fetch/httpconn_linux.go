package fetch

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tcpConn is the HTTP client's connection (under TLS for HTTPS): a
// net.TCPConn whose reads wait for data in a raw ppoll(2) for up to
// holdTime before they wait in Go's netpoller, as the TFTP client's
// reads do (udpConn) and for the same reason.
//
// In a 1-CPU s390x guest under QEMU's TCG, a read that finds the socket
// empty and parks in the netpoller (EAGAIN, park, epoll_pwait, wake)
// leaves the vCPU idle for milliseconds before the next read: net/http's
// reads of 64 KiB each (about 400 for 26 MB) made a 31 MB fetch (kernel,
// 26 MB and 1 MB initrds from a server on the host's loopback) take
// 4.5-5.6 s for the 26 MB body, with QEMU idle for a third of the time.
// Waiting in ppoll, which the scheduler does not see, the same body took
// 1.9 s (interleaved runs on a loaded host; the figures of the whole
// fetch are in FetchAll's comment).
//
// A raw wait holds the goroutine's P: no other goroutine runs on it
// meanwhile, which is why FetchAll runs one transfer per P. After
// holdTime the read parks in the netpoller, so an idle keep-alive
// connection costs one holdTime and then nothing, and deadlines work as
// on any net.Conn.
type tcpConn struct {
	net.Conn
	raw syscall.RawConn
}

// wrapConn returns c with the reads of tcpConn when c is a TCP
// connection, c itself otherwise.
func wrapConn(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &tcpConn{Conn: c, raw: raw}
}

func (c *tcpConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		n, errno = readHeld(fd, p)
		return errno != unix.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readHeld reads from the non-blocking socket fd into p, waiting up to
// holdTime in a raw ppoll(2) when it is empty. EAGAIN means nothing came
// in that time: the caller waits in the netpoller.
func readHeld(fd uintptr, p []byte) (int, syscall.Errno) {
	waited := false
	for {
		r, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		runtime.KeepAlive(p)
		switch {
		case e == 0:
			return int(r), 0
		case e == unix.EINTR:
			continue
		case e != unix.EAGAIN || waited:
			return 0, e
		}
		fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		ts := unix.NsecToTimespec(holdTime.Nanoseconds())
		r, _, e = unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		runtime.KeepAlive(&fds)
		runtime.KeepAlive(&ts)
		switch {
		case e == unix.EINTR:
			// Most often the runtime's preemption: let it have
			// the P, then read once more before the netpoller.
			runtime.Gosched()
			waited = true
		case e != 0:
			return 0, e
		case r == 0:
			return 0, unix.EAGAIN
		default:
			waited = true // ready (data, end or error): one more read
		}
	}
}
