package netconf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// EnableIPv6 makes the kernel do IPv6 autoconfiguration on the link
// called name, in /proc/sys/net/ipv6/conf/NAME/: disable_ipv6=0,
// accept_ra=2 (accept router advertisements even when forwarding is on),
// autoconf=1 (SLAAC addresses from prefixes with the A flag), and
// optimistic_dad=1 with use_optimistic=1 (RFC 4429: an address is usable
// while duplicate address detection runs, which saves the second or two
// DAD takes, twice: the link-local and the SLAAC address; kernels without
// CONFIG_IPV6_OPTIMISTIC_DAD lack those two files, which is no error).
// Call it before the link goes up, so that the link-local address is
// made optimistic and the router solicitation at link-up is answered into
// an accepting link.
func EnableIPv6(name string) error {
	for _, kv := range []struct {
		key, val string
		optional bool
	}{
		{"disable_ipv6", "0", false}, {"accept_ra", "2", false}, {"autoconf", "1", false},
		{"optimistic_dad", "1", true}, {"use_optimistic", "1", true},
	} {
		p := filepath.Join(sysctl6Dir, name, kv.key)
		if err := os.WriteFile(p, []byte(kv.val+"\n"), 0o644); err != nil && !(kv.optional && errors.Is(err, fs.ErrNotExist)) {
			return fmt.Errorf("enable IPv6 on %s: %w", name, err)
		}
	}
	return nil
}

// RouterAdvert returns the router advertisement state of the link called
// name (IFLA_INET6_FLAGS of an AF_INET6 RTM_GETLINK dump).
func RouterAdvert(name string) (RA, error) {
	l, err := LinkByName(name)
	if err != nil {
		return RA{}, err
	}
	c, err := dialRoute()
	if err != nil {
		return RA{}, err
	}
	defer c.Close()
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_INET6
	msgs, err := c.execute(unix.RTM_GETLINK, unix.NLM_F_DUMP, body)
	if err != nil {
		return RA{}, fmt.Errorf("IPv6 link state of %s (RTM_GETLINK AF_INET6 dump): %w", name, err)
	}
	for _, m := range msgs {
		if m.typ != unix.RTM_NEWLINK || len(m.data) < unix.SizeofIfInfomsg || int(int32(ne.Uint32(m.data[4:8]))) != l.Index {
			continue
		}
		flags, err := inet6Flags(m.data)
		if err != nil {
			return RA{}, fmt.Errorf("IPv6 link state of %s: %w", name, err)
		}
		return RA{Received: flags&ifRARcvd != 0, Managed: flags&ifRAManaged != 0, Other: flags&ifRAOtherCon != 0}, nil
	}
	return RA{}, fmt.Errorf("IPv6 link state of %s: no answer for link index %d (IPv6 disabled?)", name, l.Index)
}

// inet6Flags finds IFLA_INET6_FLAGS in an AF_INET6 RTM_NEWLINK payload
// (inet6_fill_ifinfo: inside IFLA_PROTINFO).
func inet6Flags(b []byte) (uint32, error) {
	if len(b) < unix.SizeofIfInfomsg {
		return 0, fmt.Errorf("RTM_NEWLINK payload of %d bytes, want at least %d", len(b), unix.SizeofIfInfomsg)
	}
	attrs, err := parseAttrs(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return 0, err
	}
	nested, ok := attrs[unix.IFLA_PROTINFO]
	if !ok {
		return 0, fmt.Errorf("no IFLA_PROTINFO")
	}
	in, err := parseAttrs(nested)
	if err != nil {
		return 0, fmt.Errorf("IFLA_PROTINFO: %w", err)
	}
	f := in[unix.IFLA_INET6_FLAGS]
	if len(f) != 4 {
		return 0, fmt.Errorf("IFLA_INET6_FLAGS of %d bytes, want 4", len(f))
	}
	return ne.Uint32(f), nil
}

// Addrs6 lists the IPv6 addresses of the link called name.
func Addrs6(name string) ([]Addr6, error) {
	l, err := LinkByName(name)
	if err != nil {
		return nil, err
	}
	c, err := dialRoute()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET6
	msgs, err := c.execute(unix.RTM_GETADDR, unix.NLM_F_DUMP, body)
	if err != nil {
		return nil, fmt.Errorf("IPv6 addresses of %s (RTM_GETADDR dump): %w", name, err)
	}
	var out []Addr6
	for _, m := range msgs {
		if m.typ != unix.RTM_NEWADDR {
			continue
		}
		a, index, err := decodeAddr6(m.data)
		if err != nil {
			return nil, fmt.Errorf("IPv6 addresses of %s: %w", name, err)
		}
		if index == l.Index && a.Prefix.IsValid() {
			out = append(out, a)
		}
	}
	return out, nil
}

// decodeAddr6 decodes an RTM_NEWADDR payload: struct ifaddrmsg
// (family, prefixlen, flags, scope, index) then IFA_* attributes; the
// 32-bit IFA_FLAGS attribute, when present, replaces the 8-bit flags.
// Other families give an invalid Prefix.
func decodeAddr6(b []byte) (Addr6, int, error) {
	if len(b) < unix.SizeofIfAddrmsg {
		return Addr6{}, 0, fmt.Errorf("RTM_NEWADDR payload of %d bytes, want at least %d", len(b), unix.SizeofIfAddrmsg)
	}
	index := int(int32(ne.Uint32(b[4:8])))
	if b[0] != unix.AF_INET6 {
		return Addr6{}, index, nil
	}
	a := Addr6{Flags: uint32(b[2])}
	attrs, err := parseAttrs(b[unix.SizeofIfAddrmsg:])
	if err != nil {
		return Addr6{}, index, fmt.Errorf("address of link %d: %w", index, err)
	}
	if f := attrs[unix.IFA_FLAGS]; len(f) == 4 {
		a.Flags = ne.Uint32(f)
	}
	raw := attrs[unix.IFA_ADDRESS]
	if len(raw) != 16 || b[1] > 128 {
		return Addr6{}, index, fmt.Errorf("address of link %d: IFA_ADDRESS of %d bytes, prefix length %d", index, len(raw), b[1])
	}
	a.Prefix = netip.PrefixFrom(netip.AddrFrom16([16]byte(raw)), int(b[1]))
	return a, index, nil
}

// WaitAddr6 waits until the link called name has an IPv6 address for
// which pick returns true and that is usable: no longer tentative
// (duplicate address detection passed) or optimistic, and returns it. It fails at once with
// ErrDAD when such an address failed DAD, and when ctx ends.
func WaitAddr6(ctx context.Context, name string, pick func(Addr6) bool) (Addr6, error) {
	tick := time.NewTicker(addrPoll)
	defer tick.Stop()
	var last []Addr6
	for {
		addrs, err := Addrs6(name)
		if err != nil {
			return Addr6{}, err
		}
		last = addrs
		for _, a := range addrs {
			if !pick(a) {
				continue
			}
			if a.DADFailed() {
				return a, fmt.Errorf("%s on %s: %w", a.Prefix, name, ErrDAD)
			}
			if a.Usable() {
				return a, nil
			}
		}
		select {
		case <-ctx.Done():
			return Addr6{}, fmt.Errorf("wait for IPv6 address on %s (have %v): %w", name, last, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// addAddress6 is AddAddress for an IPv6 prefix: no broadcast, the kernel
// runs duplicate address detection (see WaitAddr6).
func addAddress6(name string, p netip.Prefix) error {
	what := fmt.Sprintf("add address %v to %s", p, name)
	return linkRequest(name, what, unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, func(l Link) []byte {
		body := make([]byte, unix.SizeofIfAddrmsg)
		body[0] = unix.AF_INET6
		body[1] = uint8(p.Bits())
		body[3] = unix.RT_SCOPE_UNIVERSE
		ne.PutUint32(body[4:8], uint32(l.Index))
		return appendAttr(body, unix.IFA_LOCAL, p.Addr().AsSlice())
	})
}

// addDefaultRoute6 is AddDefaultRoute for an IPv6 gateway (often a
// link-local router address, which needs the output link, as given).
func addDefaultRoute6(name string, gw netip.Addr) error {
	what := fmt.Sprintf("add default route via %v dev %s", gw, name)
	return linkRequest(name, what, unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, func(l Link) []byte {
		body := make([]byte, unix.SizeofRtMsg)
		body[0] = unix.AF_INET6
		body[4] = unix.RT_TABLE_MAIN
		body[5] = unix.RTPROT_BOOT
		body[6] = unix.RT_SCOPE_UNIVERSE
		body[7] = unix.RTN_UNICAST
		body = appendAttr(body, unix.RTA_GATEWAY, gw.WithZone("").AsSlice())
		return appendAttrU32(body, unix.RTA_OIF, uint32(l.Index))
	})
}
