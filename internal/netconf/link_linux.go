package netconf

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// carrierPoll is how often WaitCarrier asks the kernel for the link state.
// Polling keeps the code free of multicast-group subscriptions; at 50 ms
// it costs one small netlink round trip per tick.
const carrierPoll = 50 * time.Millisecond

// Links lists every network link in the current network namespace, in
// kernel index order.
func Links() ([]Link, error) {
	c, err := dialRoute()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	body := make([]byte, unix.SizeofIfInfomsg) // family AF_UNSPEC: all links
	msgs, err := c.execute(unix.RTM_GETLINK, unix.NLM_F_DUMP, body)
	if err != nil {
		return nil, fmt.Errorf("list links (RTM_GETLINK dump): %w", err)
	}
	var links []Link
	for _, m := range msgs {
		if m.typ != unix.RTM_NEWLINK {
			continue
		}
		l, err := decodeLink(m.data)
		if err != nil {
			return nil, fmt.Errorf("list links: %w", err)
		}
		links = append(links, l)
	}
	return links, nil
}

// decodeLink decodes the payload of an RTM_NEWLINK message: struct
// ifinfomsg (include/uapi/linux/rtnetlink.h) then IFLA_* attributes.
func decodeLink(b []byte) (Link, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return Link{}, fmt.Errorf("RTM_NEWLINK payload of %d bytes, want at least %d", len(b), unix.SizeofIfInfomsg)
	}
	l := Link{
		Type:  ne.Uint16(b[2:4]),
		Index: int(int32(ne.Uint32(b[4:8]))),
		Flags: ne.Uint32(b[8:12]),
	}
	attrs, err := parseAttrs(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return Link{}, fmt.Errorf("link %d: %w", l.Index, err)
	}
	l.Name = string(bytes.TrimRight(attrs[unix.IFLA_IFNAME], "\x00"))
	if a := attrs[unix.IFLA_ADDRESS]; len(a) > 0 {
		l.MAC = net.HardwareAddr(append([]byte(nil), a...))
	}
	if a := attrs[unix.IFLA_MTU]; len(a) == 4 {
		l.MTU = int(ne.Uint32(a))
	}
	if info, ok := attrs[unix.IFLA_LINKINFO]; ok {
		nested, err := parseAttrs(info)
		if err != nil {
			return Link{}, fmt.Errorf("link %s IFLA_LINKINFO: %w", l.Name, err)
		}
		l.Kind = string(bytes.TrimRight(nested[unix.IFLA_INFO_KIND], "\x00"))
	}
	return l, nil
}

// LinkByName returns the link called name, or an error wrapping
// ErrNoSuchLink.
func LinkByName(name string) (Link, error) {
	links, err := Links()
	if err != nil {
		return Link{}, err
	}
	for _, l := range links {
		if l.Name == name {
			return l, nil
		}
	}
	return Link{}, fmt.Errorf("link %q: %w", name, ErrNoSuchLink)
}

// EthernetLinks lists the links a netboot client should try: Ethernet
// (ARPHRD_ETHER) links backed by a device driver. Loopback and software
// links (anything with an IFLA_INFO_KIND such as veth, bridge, bond, vlan,
// dummy, tun) are left out. On s390x, qeth and virtio-net devices are
// ARPHRD_ETHER links without a kind and are listed.
func EthernetLinks() ([]Link, error) {
	all, err := Links()
	if err != nil {
		return nil, err
	}
	var out []Link
	for _, l := range all {
		if l.Type == unix.ARPHRD_ETHER && l.Kind == "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// SetUp sets IFF_UP on the link called name (RTM_NEWLINK with ifi_change
// = IFF_UP), like `ip link set NAME up`. A link that is up already stays
// up.
func SetUp(name string) error {
	return linkRequest(name, "set "+name+" up", unix.RTM_NEWLINK, 0, func(l Link) []byte {
		body := make([]byte, unix.SizeofIfInfomsg)
		ne.PutUint32(body[4:8], uint32(l.Index))
		ne.PutUint32(body[8:12], unix.IFF_UP)  // ifi_flags
		ne.PutUint32(body[12:16], unix.IFF_UP) // ifi_change: only touch IFF_UP
		return body
	})
}

// linkRequest sends one rtnetlink request of type typ about the link
// called name, with the body that body builds for it. what says in errors
// what the request does.
func linkRequest(name, what string, typ, flags uint16, body func(Link) []byte) error {
	l, err := LinkByName(name)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	c, err := dialRoute()
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer c.Close()
	if _, err := c.execute(typ, flags, body(l)); err != nil {
		return fmt.Errorf("%s (link index %d, %s): %w", what, l.Index, rtmName(typ), err)
	}
	return nil
}

// rtmName names the requests linkRequest sends.
func rtmName(typ uint16) string {
	switch typ {
	case unix.RTM_NEWLINK:
		return "RTM_NEWLINK"
	case unix.RTM_NEWADDR:
		return "RTM_NEWADDR"
	case unix.RTM_NEWROUTE:
		return "RTM_NEWROUTE"
	}
	return fmt.Sprintf("rtnetlink message type %d", typ)
}

// WaitCarrier waits until the link called name reports carrier
// (IFF_LOWER_UP), for at most timeout or until ctx ends. It returns an
// error wrapping ErrNoCarrier when the time runs out. The link must be up
// (SetUp) for the driver to report carrier.
func WaitCarrier(ctx context.Context, log *slog.Logger, name string, timeout time.Duration) error {
	log = logging.Or(log)
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(carrierPoll)
	defer tick.Stop()
	for {
		l, err := LinkByName(name)
		if err != nil {
			return fmt.Errorf("wait for carrier: %w", err)
		}
		if l.Carrier() {
			log.Info("carrier up", "link", name, "after", time.Since(start).Round(time.Millisecond))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for carrier on %s: %w", name, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("link %s after %v: %w", name, timeout, ErrNoCarrier)
		case <-tick.C:
		}
	}
}
