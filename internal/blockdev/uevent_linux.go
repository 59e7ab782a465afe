package blockdev

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// ueventGroup is the multicast group of the kernel's own uevents (1;
// udevd re-sends them to group 2), lib/kobject_uevent.c.
const ueventGroup = 1

// ueventBufSize holds one uevent (UEVENT_BUFFER_SIZE 2048,
// include/linux/kobject.h) with room to spare.
const ueventBufSize = 8192

// uevents subscribes to the kernel's uevents and sends a value for each
// block device event until ctx ends. The channel is buffered by one: a
// burst of events wakes the receiver once.
func uevents(ctx context.Context) (<-chan struct{}, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("socket(NETLINK_KOBJECT_UEVENT): %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: ueventGroup}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind(NETLINK_KOBJECT_UEVENT): %w", err)
	}
	// Wake up now and then to notice that ctx has ended.
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("setsockopt(SO_RCVTIMEO): %w", err)
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer unix.Close(fd)
		buf := make([]byte, ueventBufSize)
		for ctx.Err() == nil {
			n, from, err := unix.Recvfrom(fd, buf, 0)
			switch {
			case err == unix.EAGAIN || err == unix.EINTR || err == unix.ENOBUFS:
				continue // the timeout, or an overrun: the next scan catches up
			case err != nil:
				return // Wait polls on
			}
			if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
				continue // not from the kernel
			}
			if e, ok := parseUevent(buf[:n]); ok && e.subsystem == "block" {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch, nil
}
