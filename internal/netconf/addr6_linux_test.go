package netconf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf/netconftest"
)

// TestIPv6Address adds a global IPv6 address and a default route through
// a link-local router, waits for DAD on both the kernel's link-local
// address and ours, and reads the router advertisement state (none on a
// veth pair without a router).
func TestIPv6Address(t *testing.T) {
	netconftest.Require(t)
	a, b := netconftest.Veth(t, "t6")
	if err := EnableIPv6(a); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ll, err := WaitAddr6(ctx, a, LinkLocal)
	if err != nil {
		t.Fatal(err)
	}
	if ll.Prefix.Bits() != 64 || ll.Tentative() {
		t.Errorf("link-local address %v flags %#x, want a /64 past DAD", ll.Prefix, ll.Flags)
	}
	p := netip.MustParsePrefix("2001:db8:6::5/64")
	if err := Apply(ctx, nil, a, Config{Address: p, Gateway: netip.MustParseAddr("fe80::1"),
		DNS: []netip.Addr{netip.MustParseAddr("2001:db8:6::53")}}, ApplyOptions{ResolvConf: t.TempDir() + "/resolv.conf"}); err != nil {
		t.Fatal(err)
	}
	addrs, err := Addrs6(a)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, x := range addrs {
		if x.Prefix == p && !x.Tentative() {
			found = true
		}
	}
	if !found {
		t.Errorf("Addrs6(%s) = %v, want %v past DAD", a, addrs, p)
	}
	if out := netconftest.Run(t, "ip", "-6", "route", "show", "default", "proto", "boot"); !strings.Contains(out, "default via fe80::1 dev "+a) {
		t.Errorf("ip -6 route show default proto boot:\n%s\nwant default via fe80::1 dev %s", out, a)
	}
	ra, err := RouterAdvert(a)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Received {
		t.Errorf("RouterAdvert(%s) = %+v on a link without a router", a, ra)
	}

	// The same address on the peer: DAD fails there.
	if err := EnableIPv6(b); err != nil {
		t.Fatal(err)
	}
	netconftest.Run(t, "sysctl", "-qw", "net.ipv6.conf."+b+".accept_dad=1")
	if err := AddAddress(b, p); err != nil {
		t.Fatal(err)
	}
	same := func(x Addr6) bool { return x.Prefix.Addr() == p.Addr() }
	if _, err := WaitAddr6(ctx, b, same); !errors.Is(err, ErrDAD) {
		t.Errorf("WaitAddr6 for a duplicate address = %v, want ErrDAD", err)
	}
}
