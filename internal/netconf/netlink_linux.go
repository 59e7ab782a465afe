package netconf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Netlink speaks the host's byte order (include/uapi/linux/netlink.h: "all
// fields are in host byte order"), so the encoders below use NativeEndian;
// only addresses inside attributes are in network order.
var ne = binary.NativeEndian

const (
	// nlaTypeMask strips NLA_F_NESTED (1<<15) and NLA_F_NET_BYTEORDER
	// (1<<14) from an attribute type, include/uapi/linux/netlink.h.
	nlaTypeMask = 0x3fff
	// rtaAlign is RTA_ALIGNTO, include/uapi/linux/rtnetlink.h.
	rtaAlign = 4
	// rtaHdrLen is sizeof(struct rtattr): len and type, two uint16.
	rtaHdrLen = 4
	// recvBufSize holds one datagram of a dump; the kernel fills at most
	// a page (or 32 KiB with large pages) per recvmsg.
	recvBufSize = 64 << 10
	// requestTimeout bounds each wait for a kernel answer, so a lost or
	// never-sent reply ends in an error instead of a hang.
	requestTimeout = 5 * time.Second
)

// rtnl is an open NETLINK_ROUTE socket. It is not safe for concurrent use;
// each exported function opens its own.
type rtnl struct {
	fd  int
	seq uint32
	buf []byte
}

func dialRoute() (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_NETLINK, NETLINK_ROUTE): %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind(NETLINK_ROUTE): %w", err)
	}
	tv := unix.NsecToTimeval(requestTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("setsockopt(SO_RCVTIMEO): %w", err)
	}
	return &rtnl{fd: fd, seq: uint32(time.Now().UnixNano()), buf: make([]byte, recvBufSize)}, nil
}

func (c *rtnl) Close() error { return unix.Close(c.fd) }

// nlMsg is one received netlink message: its type and payload (the bytes
// after struct nlmsghdr).
type nlMsg struct {
	typ  uint16
	data []byte
}

// execute sends one request and collects the answer: for a dump every
// message until NLMSG_DONE, otherwise the acknowledgement (an NLMSG_ERROR
// carrying 0) or the errno the kernel refused it with.
func (c *rtnl) execute(typ, flags uint16, body []byte) ([]nlMsg, error) {
	c.seq++
	seq := c.seq
	flags |= unix.NLM_F_REQUEST | unix.NLM_F_ACK
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	ne.PutUint32(msg[0:4], uint32(unix.NLMSG_HDRLEN+len(body)))
	ne.PutUint16(msg[4:6], typ)
	ne.PutUint16(msg[6:8], flags)
	ne.PutUint32(msg[8:12], seq)
	// nlmsg_pid 0: the kernel fills in our port id.
	msg = append(msg, body...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send (type %d): %w", typ, err)
	}
	runtime.KeepAlive(msg)

	dump := flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	var out []nlMsg
	for {
		n, from, err := unix.Recvfrom(c.fd, c.buf, 0)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				err = os.ErrDeadlineExceeded
			}
			return nil, fmt.Errorf("netlink receive (type %d): %w", typ, err)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		msgs, err := splitMessages(c.buf[:n])
		if err != nil {
			return nil, fmt.Errorf("netlink answer to type %d: %w", typ, err)
		}
		for _, m := range msgs {
			if m.seq != seq {
				continue
			}
			switch m.typ {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.data) < 4 {
					return nil, fmt.Errorf("netlink answer to type %d: short NLMSG_ERROR (%d bytes)", typ, len(m.data))
				}
				if errno := -int32(ne.Uint32(m.data[0:4])); errno != 0 {
					return nil, unix.Errno(errno)
				}
				if !dump {
					return out, nil
				}
			default:
				if m.flags&unix.NLM_F_DUMP_INTR != 0 {
					return nil, fmt.Errorf("netlink dump (type %d) interrupted by a concurrent change: %w", typ, unix.EINTR)
				}
				// Copy: c.buf is reused by the next receive.
				out = append(out, nlMsg{typ: m.typ, data: append([]byte(nil), m.data...)})
			}
		}
	}
}

type rawMsg struct {
	typ, flags uint16
	seq        uint32
	data       []byte
}

// splitMessages cuts a datagram into netlink messages (NLMSG_OK/NLMSG_NEXT).
func splitMessages(b []byte) ([]rawMsg, error) {
	var out []rawMsg
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(ne.Uint32(b[0:4]))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return nil, fmt.Errorf("netlink message length %d outside [%d, %d]", l, unix.NLMSG_HDRLEN, len(b))
		}
		out = append(out, rawMsg{
			typ:   ne.Uint16(b[4:6]),
			flags: ne.Uint16(b[6:8]),
			seq:   ne.Uint32(b[8:12]),
			data:  b[unix.NLMSG_HDRLEN:l],
		})
		b = b[min(align(l), len(b)):]
	}
	return out, nil
}

func align(n int) int { return (n + rtaAlign - 1) &^ (rtaAlign - 1) }

// appendAttr appends one struct rtattr with its payload, padded to 4 bytes.
func appendAttr(b []byte, typ uint16, payload []byte) []byte {
	var h [rtaHdrLen]byte
	ne.PutUint16(h[0:2], uint16(rtaHdrLen+len(payload)))
	ne.PutUint16(h[2:4], typ)
	b = append(b, h[:]...)
	b = append(b, payload...)
	for len(b)%rtaAlign != 0 {
		b = append(b, 0)
	}
	return b
}

func appendAttrU32(b []byte, typ uint16, v uint32) []byte {
	var p [4]byte
	ne.PutUint32(p[:], v)
	return appendAttr(b, typ, p[:])
}

// parseAttrs splits a run of rtattrs into type → payload (types masked with
// nlaTypeMask; a later duplicate wins). Malformed lengths end the run with
// an error rather than reading beyond it.
func parseAttrs(b []byte) (map[uint16][]byte, error) {
	attrs := make(map[uint16][]byte)
	for len(b) >= rtaHdrLen {
		l := int(ne.Uint16(b[0:2]))
		if l < rtaHdrLen || l > len(b) {
			return attrs, fmt.Errorf("rtattr length %d outside [%d, %d]", l, rtaHdrLen, len(b))
		}
		attrs[ne.Uint16(b[2:4])&nlaTypeMask] = b[rtaHdrLen:l]
		b = b[min(align(l), len(b)):]
	}
	return attrs, nil
}
