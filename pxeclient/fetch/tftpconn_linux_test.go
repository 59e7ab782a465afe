package fetch

import (
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSockaddrZone: a link-local peer keeps its link both ways, so that
// the server's answer (a sockaddr with a scope ID) compares equal to the
// server asked (an address with a zone) and connect reaches it.
func TestSockaddrZone(t *testing.T) {
	lo, err := net.InterfaceByIndex(1)
	if err != nil {
		t.Skipf("no interface with index 1: %v", err)
	}
	want := netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(lo.Name), 69)
	sa, ok := sockaddr(want).(*unix.SockaddrInet6)
	if !ok || sa.ZoneId != 1 || sa.Port != 69 {
		t.Fatalf("sockaddr(%v) = %+v, want scope ID 1", want, sa)
	}
	if got := addrPort(sa); got != want {
		t.Errorf("addrPort(%+v) = %v, want %v", sa, got, want)
	}
	for _, a := range []netip.AddrPort{netip.MustParseAddrPort("10.0.2.2:69"), netip.MustParseAddrPort("[2001:db8::1]:69")} {
		if got := addrPort(sockaddr(a)); got != a {
			t.Errorf("addrPort(sockaddr(%v)) = %v", a, got)
		}
	}
}
