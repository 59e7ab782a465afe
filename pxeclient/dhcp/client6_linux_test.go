package dhcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/dhcpv6/server6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/netconf/netconftest"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

// testServer6 is a real server6 DHCPv6 server on one end of a veth pair.
type testServer6 struct {
	t      testing.TB
	iaAddr net.IP // "" : no IA_NA in answers
	url    string
	mu     sync.Mutex
	got    []*dhcpv6.Message
}

// startServer6 waits for the link-local address of iface and serves
// DHCPv6 on it.
func startServer6(t *testing.T, iface, iaAddr, url string) *testServer6 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := netconf.WaitAddr6(ctx, iface, netconf.LinkLocal); err != nil {
		t.Fatal(err)
	}
	s := &testServer6{t: t, iaAddr: net.ParseIP(iaAddr), url: url}
	srv, err := server6.NewServer(iface, nil, s.handle)
	if err != nil {
		t.Fatalf("DHCPv6 server on %s: %v", iface, err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return s
}

var serverDUID = DUID(net.HardwareAddr{2, 0, 0, 0, 0, 0x53})

func (s *testServer6) handle(conn net.PacketConn, peer net.Addr, d dhcpv6.DHCPv6) {
	m, ok := d.(*dhcpv6.Message)
	if !ok {
		return
	}
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	mods := []dhcpv6.Modifier{dhcpv6.WithServerID(serverDUID), dhcpv6.WithDNS(net.ParseIP("2001:db8:6::53"))}
	if s.url != "" {
		mods = append(mods, dhcpv6.WithOption(dhcpv6.OptBootFileURL(s.url)))
	}
	var reply *dhcpv6.Message
	var err error
	switch m.MessageType {
	case dhcpv6.MessageTypeSolicit:
		if s.iaAddr == nil {
			return
		}
		reply, err = dhcpv6.NewAdvertiseFromSolicit(m, append(mods, s.ia(m))...)
	case dhcpv6.MessageTypeRequest:
		reply, err = dhcpv6.NewReplyFromMessage(m, append(mods, s.ia(m))...)
	case dhcpv6.MessageTypeInformationRequest:
		reply, err = dhcpv6.NewReplyFromMessage(m, mods...)
	default:
		return
	}
	if err != nil {
		s.t.Errorf("server6: %v", err)
		return
	}
	if _, err := conn.WriteTo(reply.ToBytes(), peer); err != nil {
		s.t.Logf("server6: send: %v", err)
	}
}

func (s *testServer6) ia(m *dhcpv6.Message) dhcpv6.Modifier {
	ia := &dhcpv6.OptIANA{}
	if req := m.Options.OneIANA(); req != nil {
		ia.IaId = req.IaId
	}
	ia.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: s.iaAddr, PreferredLifetime: time.Hour, ValidLifetime: time.Hour})
	return dhcpv6.WithOption(ia)
}

func (s *testServer6) received(typ dhcpv6.MessageType) []*dhcpv6.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*dhcpv6.Message
	for _, m := range s.got {
		if m.MessageType == typ {
			out = append(out, m)
		}
	}
	return out
}

func fast6(mode Mode6) Options {
	o := fast()
	o.Mode6 = mode
	o.RAWait = 300 * time.Millisecond
	return o
}

func run6(t *testing.T, timeout time.Duration, ifaces []string, o Options) (*Lease6, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return Run6(ctx, testLog(t), ifaces, o)
}

// TestRun6Stateful: Solicit, Advertise, Request, Reply with IA_NA and a
// boot file URL on the server's link-local address, which gets the
// client's zone; the messages identify the client as s390x PXE.
func TestRun6Stateful(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := netconftest.Veth(t, "s6")
	sll, err := netconf.WaitAddr6(context.Background(), srvIf, netconf.LinkLocal)
	if err != nil {
		t.Fatal(err)
	}
	url := "tftp://[" + sll.Prefix.Addr().String() + "]/s390x/pxelinux.0"
	srv := startServer6(t, srvIf, "2001:db8:6::50", url)
	o := fast6(Mode6Stateful)
	o.UUID = "4c4c4544-0042-3510-8052-b7c04f4e3232"
	l, err := run6(t, 15*time.Second, []string{cliIf}, o)
	if err != nil {
		t.Fatal(err)
	}
	f := l.Facts
	wantURL := "tftp://[" + sll.Prefix.Addr().String() + "%25" + cliIf + "]/s390x/pxelinux.0"
	if l.Mode != Mode6Stateful || f.IP.String() != "2001:db8:6::50" || l.Net.Address.String() != "2001:db8:6::50/128" ||
		f.PrefixLen != 128 || f.BootFile != wantURL || f.Server != sll.Prefix.Addr().WithZone(cliIf) || f.UUID != o.UUID ||
		len(l.Net.DNS) != 1 || l.ServerID == "" {
		t.Errorf("lease %+v\nfacts %+v, want boot file %s", l, f, wantURL)
	}
	ifc, _ := net.InterfaceByName(cliIf)
	for _, typ := range []dhcpv6.MessageType{dhcpv6.MessageTypeSolicit, dhcpv6.MessageTypeRequest} {
		msgs := srv.received(typ)
		if len(msgs) == 0 {
			t.Fatalf("server got no %v", typ)
		}
		m := msgs[0]
		if a := m.Options.ArchTypes(); len(a) != 1 || a[0] != iana.Arch(ArchS390Basic) {
			t.Errorf("%v option 61 = %v, want [%d]", typ, a, ArchS390Basic)
		}
		if vc := m.Options.VendorClass(pxeEnterprise); len(vc) != 1 || string(vc[0]) != "PXEClient:Arch:00031:UNDI:003016" {
			t.Errorf("%v option 16 = %q", typ, vc)
		}
		if id, ok := m.Options.ClientID().(*dhcpv6.DUIDLL); !ok || !bytes.Equal(id.LinkLayerAddr, ifc.HardwareAddr) {
			t.Errorf("%v client ID %v, want DUID-LL of %v", typ, m.Options.ClientID(), ifc.HardwareAddr)
		}
		for _, c := range RequestedOptions6 {
			if !m.IsOptionRequested(c) {
				t.Errorf("%v does not request %v", typ, c)
			}
		}
	}
	// The lease applies: /128 past DAD.
	if err := netconf.Apply(context.Background(), testLog(t), cliIf, l.Net, netconf.ApplyOptions{ResolvConf: t.TempDir() + "/resolv.conf"}); err != nil {
		t.Fatal(err)
	}
}

// TestRun6Stateless: Information-Request with an HTTP boot file URL.
func TestRun6Stateless(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := netconftest.Veth(t, "l6")
	srv := startServer6(t, srvIf, "", "http://[2001:db8:6::1]:8080/s390x/pxelinux.0")
	l, err := run6(t, 15*time.Second, []string{cliIf}, fast6(Mode6Stateless))
	if err != nil {
		t.Fatal(err)
	}
	if l.Mode != Mode6Stateless || l.Facts.BootFile != "http://[2001:db8:6::1]:8080/s390x/pxelinux.0" ||
		l.Facts.Server.String() != "2001:db8:6::1" || l.Facts.IP.IsValid() || l.Net.Address.IsValid() {
		t.Errorf("lease %+v", l)
	}
	if len(srv.received(dhcpv6.MessageTypeInformationRequest)) == 0 || len(srv.received(dhcpv6.MessageTypeSolicit)) != 0 {
		t.Errorf("server got %d messages, want Information-Requests only", len(srv.got))
	}
}

// TestRun6NoRA: with no router advertisement the client tries stateful
// and stateless DHCPv6 in turn after RAWait, and a server that starts
// late is found.
func TestRun6NoRA(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := netconftest.Veth(t, "n6")
	go func() {
		time.Sleep(1500 * time.Millisecond)
		startServer6(t, srvIf, "2001:db8:7::50", "tftp://[2001:db8:7::1]/x/pxelinux.0")
	}()
	start := time.Now()
	l, err := run6(t, 20*time.Second, []string{cliIf}, fast6(Mode6Auto))
	if err != nil {
		t.Fatal(err)
	}
	// Stateful and stateless rounds alternate: either may be the one
	// the late server answers first.
	stateful := l.Mode == Mode6Stateful && l.Facts.IP.String() == "2001:db8:7::50"
	if !stateful && l.Mode != Mode6Stateless || l.RA.Received || !l.HasBootInfo() {
		t.Errorf("lease %+v", l)
	}
	d := time.Since(start)
	if d < 1500*time.Millisecond {
		t.Errorf("lease after %v, before the server started", d)
	}
	testenv.Fault(t, "DHCPv6: no router advertisement, server6 starts 1.5 s late",
		fmt.Sprintf("%v lease %v after the RA wait of %v", l.Mode, l.Facts.IP, fast6(Mode6Auto).RAWait), d, "")
}

// TestRun6Hostile: a boot file URL with ".." is refused, so the lease
// carries no boot information, and the log names the reason.
func TestRun6Hostile(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := netconftest.Veth(t, "h6")
	startServer6(t, srvIf, "2001:db8:8::50", "tftp://[2001:db8:8::1]/s390x/../../etc/shadow")
	o := fast6(Mode6Stateful)
	o.Grace = -1
	l, err := run6(t, 15*time.Second, []string{cliIf}, o)
	if err != nil {
		t.Fatal(err)
	}
	if l.HasBootInfo() || len(l.Refused) != 1 || !strings.Contains(l.Refused[0], `".." path element`) {
		t.Fatalf("lease %+v, refused %q", l.Facts, l.Refused)
	}
	testenv.Fault(t, "DHCPv6: boot file URL with .. elements", "lease without boot information; refused: "+l.Refused[0], 0, "")
}

// TestRun6NoServer ends with ctx and says what was tried.
func TestRun6NoServer(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	_, cliIf := netconftest.Veth(t, "x6")
	_, err := run6(t, 8*time.Second, []string{cliIf}, fast6(Mode6Stateless))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "INFORMATION-REQUEST") || !strings.Contains(err.Error(), cliIf) {
		t.Errorf("Run6 without server = %v", err)
	}
}
