package dhcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"
	"github.com/s390netboot/s390netboot/internal/netconf/netconftest"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestMain(m *testing.M) { netconftest.Main(m) }

// testServer is a real server4 DHCP server on one end of a veth pair.
type testServer struct {
	id      net.IP
	yiaddr  net.IP
	opts    map[uint8]string
	delay   atomic.Int64 // nanoseconds before each answer
	naks    atomic.Int32 // REQUESTs still to refuse
	mu      sync.Mutex
	got     []*dhcpv4.DHCPv4
	t       testing.TB
	stopped atomic.Bool
}

// link makes a veth pair, gives the server end addr/24 and returns the
// client end.
func link(t *testing.T, prefix, serverAddr string) (serverIf, clientIf string) {
	a, b := netconftest.Veth(t, prefix)
	netconftest.Run(t, "ip", "addr", "add", serverAddr+"/24", "dev", a)
	return a, b
}

func startServer(t *testing.T, iface, id, yiaddr string, opts map[uint8]string) *testServer {
	s := &testServer{id: net.ParseIP(id).To4(), yiaddr: net.ParseIP(yiaddr).To4(), opts: opts, t: t}
	srv, err := server4.NewServer(iface, &net.UDPAddr{Port: dhcpv4.ServerPort}, s.handle)
	if err != nil {
		t.Fatalf("DHCP server on %s: %v", iface, err)
	}
	go srv.Serve()
	t.Cleanup(func() { s.stopped.Store(true); srv.Close() })
	return s
}

func (s *testServer) handle(conn net.PacketConn, peer net.Addr, m *dhcpv4.DHCPv4) {
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	var typ dhcpv4.MessageType
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		typ = dhcpv4.MessageTypeOffer
	case dhcpv4.MessageTypeRequest:
		if sid := m.ServerIdentifier(); sid != nil && !sid.Equal(s.id) {
			return // the client chose another server
		}
		typ = dhcpv4.MessageTypeAck
		if s.naks.Add(-1) >= 0 {
			typ = dhcpv4.MessageTypeNak
		}
	default:
		return
	}
	time.Sleep(time.Duration(s.delay.Load()))
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(typ),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(s.id)),
	}
	if typ != dhcpv4.MessageTypeNak {
		mods = append(mods,
			dhcpv4.WithYourIP(s.yiaddr),
			dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(24, 32))),
			dhcpv4.WithOption(dhcpv4.OptRouter(s.id)),
			dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(time.Hour)))
		for code, v := range s.opts {
			mods = append(mods, dhcpv4.WithGeneric(dhcpv4.GenericOptionCode(code), []byte(v)))
		}
	}
	reply, err := dhcpv4.NewReplyFromRequest(m, mods...)
	if err != nil {
		s.t.Errorf("server %v: %v", s.id, err)
		return
	}
	if _, err := conn.WriteTo(reply.ToBytes(), peer); err != nil && !s.stopped.Load() {
		s.t.Errorf("server %v: send %v: %v", s.id, typ, err)
	}
}

func (s *testServer) received(typ dhcpv4.MessageType) []*dhcpv4.DHCPv4 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*dhcpv4.DHCPv4
	for _, m := range s.got {
		if m.MessageType() == typ {
			out = append(out, m)
		}
	}
	return out
}

// fast are client timings that keep the tests short.
func fast() Options {
	arch := ArchS390Basic
	return Options{Arch: &arch, Timeout: 200 * time.Millisecond, Tries: 2,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, Grace: 500 * time.Millisecond}
}

// testLog returns a logger writing into the test's log.
func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

func run(t *testing.T, timeout time.Duration, ifaces []string, o Options) (*Lease, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return Run(ctx, testLog(t), ifaces, o)
}

// lease runs Run as run does and fails the test when it gives no lease.
func lease(t *testing.T, timeout time.Duration, ifaces []string, o Options) *Lease {
	t.Helper()
	l, err := run(t, timeout, ifaces, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRunPXE(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := link(t, "dp", "10.20.0.1")
	srv := startServer(t, srvIf, "10.20.0.1", "10.20.0.50", map[uint8]string{
		66: "10.20.0.2", 67: "s390x/pxelinux.0", 209: "pxelinux.cfg/node", 210: "s390x/", 211: be32(60),
		6: "\x0a\x14\x00\x35", 15: "lab.example", 12: "node50",
	})
	o := fast()
	o.UUID = "4c4c4544-0042-3510-8052-b7c04f4e3232"
	l := lease(t, 10*time.Second, []string{cliIf}, o)
	f := l.Facts
	if l.Interface != cliIf || f.IP.String() != "10.20.0.50" || l.Net.Address.String() != "10.20.0.50/24" ||
		f.Gateway.String() != "10.20.0.1" || f.Server.String() != "10.20.0.2" || l.ServerSource != ServerOption66 ||
		f.BootFile != "s390x/pxelinux.0" || f.ConfigFile != "pxelinux.cfg/node" || f.PathPrefix != "s390x/" ||
		f.RebootTime != 60 || f.UUID != o.UUID || l.Net.Domain != "lab.example" || l.Net.Hostname != "node50" ||
		len(l.Net.DNS) != 1 || l.Net.DNS[0].String() != "10.20.0.53" {
		t.Errorf("lease = %+v\nnet = %+v", f, l.Net)
	}
	ifc, _ := net.InterfaceByName(cliIf)
	if !bytes.Equal(f.MAC, ifc.HardwareAddr) {
		t.Errorf("MAC %v, want %v", f.MAC, ifc.HardwareAddr)
	}
	// What the server saw: both DISCOVER and REQUEST identify the client.
	for _, typ := range []dhcpv4.MessageType{dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest} {
		msgs := srv.received(typ)
		if len(msgs) == 0 {
			t.Fatalf("server got no %v", typ)
		}
		m := msgs[0]
		if got := string(m.Options.Get(dhcpv4.OptionClassIdentifier)); got != "PXEClient:Arch:00031:UNDI:003016" {
			t.Errorf("%v option 60 = %q", typ, got)
		}
		if got := m.Options.Get(dhcpv4.OptionClientSystemArchitectureType); !bytes.Equal(got, []byte{0, 0x1f}) {
			t.Errorf("%v option 93 = %x, want 001f", typ, got)
		}
		if got := m.Options.Get(dhcpv4.OptionClientMachineIdentifier); len(got) != 17 || got[0] != 0 || got[1] != 0x4c || got[16] != 0x32 {
			t.Errorf("%v option 97 = %x", typ, got)
		}
		for _, c := range []dhcpv4.OptionCode{dhcpv4.OptionBootfileName, dhcpv4.OptionPXELinuxConfigFile, dhcpv4.OptionTFTPServerName} {
			if !m.IsOptionRequested(c) {
				t.Errorf("%v does not request %v", typ, c)
			}
		}
	}
}

func TestRunNAK(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := link(t, "dn", "10.21.0.1")
	srv := startServer(t, srvIf, "10.21.0.1", "10.21.0.50", map[uint8]string{67: "k"})
	srv.naks.Store(2)
	start := time.Now()
	l := lease(t, 10*time.Second, []string{cliIf}, fast())
	if l.Facts.BootFile != "k" {
		t.Errorf("boot file %q", l.Facts.BootFile)
	}
	if n := len(srv.received(dhcpv4.MessageTypeDiscover)); n < 3 {
		t.Errorf("server saw %d DISCOVERs, want 3 (two NAKs restart the exchange)", n)
	}
	testenv.Fault(t, "DHCP: server NAKs the first 2 REQUESTs",
		fmt.Sprintf("lease %v with boot file %q after %d DISCOVERs and %d REQUESTs", l.Facts.IP, l.Facts.BootFile,
			len(srv.received(dhcpv4.MessageTypeDiscover)), len(srv.received(dhcpv4.MessageTypeRequest))), time.Since(start), "")
}

// TestRunPrefersBootInfo runs two interfaces: the first answers at once
// without boot information, the second later with it.
func TestRunPrefersBootInfo(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	plainIf, cli1 := link(t, "d1", "10.22.0.1")
	bootIf, cli2 := link(t, "d2", "10.23.0.1")
	plain := startServer(t, plainIf, "10.22.0.1", "10.22.0.50", nil)
	boot := startServer(t, bootIf, "10.23.0.1", "10.23.0.50", map[uint8]string{67: "s390x/pxelinux.0"})
	// The plain lease comes after the first DISCOVER's two tries (0.6 s);
	// the one with boot information about 0.8 s, well within the grace
	// (generous, for loaded machines; the test does not wait it out).
	boot.delay.Store(int64(400 * time.Millisecond))
	o := fast()
	o.Grace = 3 * time.Second
	start := time.Now()
	l := lease(t, 10*time.Second, []string{cli1, cli2}, o)
	if l.Interface != cli2 || l.Facts.BootFile != "s390x/pxelinux.0" {
		t.Errorf("chose %s with boot file %q, want %s with s390x/pxelinux.0", l.Interface, l.Facts.BootFile, cli2)
	}
	t.Logf("lease with boot information after %v", time.Since(start))
	// The losing lease is released.
	deadline := time.Now().Add(2 * time.Second)
	for len(plain.received(dhcpv4.MessageTypeRelease)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(plain.received(dhcpv4.MessageTypeRelease)) == 0 {
		t.Error("the unused lease on the first interface was not released")
	}
	testenv.Fault(t, "DHCP: 2 links, the first answers at once without boot info",
		fmt.Sprintf("took the lease on %s (the second link) with boot file %q; RELEASEs to the first link's server: %d",
			l.Interface, l.Facts.BootFile, len(plain.received(dhcpv4.MessageTypeRelease))), time.Since(start), "")
}

// TestRunTwoServersOneLink has two servers answer the same DISCOVER; only
// the slower one has boot information.
func TestRunTwoServersOneLink(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := link(t, "d3", "10.24.0.1")
	netconftest.Run(t, "ip", "addr", "add", "10.24.0.2/24", "dev", srvIf)
	startServer(t, srvIf, "10.24.0.1", "10.24.0.50", nil)
	boot := startServer(t, srvIf, "10.24.0.2", "10.24.0.60", map[uint8]string{209: "cfg", 210: "p/"})
	boot.delay.Store(int64(100 * time.Millisecond))
	o := fast()
	o.Timeout, o.Grace = 500*time.Millisecond, 2*time.Second // room for a loaded machine
	start := time.Now()
	l := lease(t, 10*time.Second, []string{cliIf}, o)
	if l.ServerID.String() != "10.24.0.2" || l.Facts.ConfigFile != "cfg" || l.Facts.IP.String() != "10.24.0.60" {
		t.Errorf("lease from %v: %+v, want the one from 10.24.0.2 with config file cfg", l.ServerID, l.Facts)
	}
	testenv.Fault(t, "DHCP: 2 servers on one link, the faster one (10.24.0.1) without boot info",
		fmt.Sprintf("took %v from server %v with config file %q", l.Facts.IP, l.ServerID, l.Facts.ConfigFile), time.Since(start), "")
}

// TestRunNoBootInfo takes a plain lease once the grace period is over.
func TestRunNoBootInfo(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := link(t, "d4", "10.25.0.1")
	startServer(t, srvIf, "10.25.0.1", "10.25.0.50", map[uint8]string{67: "../../../etc/shadow", 12: "bad name"})
	start := time.Now()
	l := lease(t, 10*time.Second, []string{cliIf}, fast())
	if l.HasBootInfo() || l.Facts.IP.String() != "10.25.0.50" || len(l.Refused) != 2 || l.Net.Hostname != "" {
		t.Errorf("lease %+v, refused %q: want 10.25.0.50 with both hostile values refused", l.Facts, l.Refused)
	}
	if l.Facts.Server.String() != "10.25.0.1" || l.ServerSource != ServerOption54 {
		t.Errorf("server %v from %v, want 10.25.0.1 from option 54", l.Facts.Server, l.ServerSource)
	}
	testenv.Fault(t, `DHCP: boot file ../../../etc/shadow and host name "bad name"`,
		fmt.Sprintf("lease %v taken, boot info %v, refused: %s", l.Facts.IP, l.HasBootInfo(), strings.Join(l.Refused, "; ")), time.Since(start), "")
}

// TestRunLateServer starts the server after the client has been
// retrying for a while.
func TestRunLateServer(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	srvIf, cliIf := link(t, "d5", "10.26.0.1")
	go func() {
		time.Sleep(2500 * time.Millisecond)
		startServer(t, srvIf, "10.26.0.1", "10.26.0.50", map[uint8]string{67: "late"})
	}()
	start := time.Now()
	l := lease(t, 15*time.Second, []string{cliIf}, fast())
	if l.Facts.BootFile != "late" {
		t.Errorf("boot file %q", l.Facts.BootFile)
	}
	if d := time.Since(start); d < 2500*time.Millisecond || d > 8*time.Second {
		t.Errorf("lease after %v, want between 2.5 s and 8 s (backoff capped at 400 ms)", d)
	}
	testenv.Fault(t, "DHCP: no server for 2.5 s (in-process server4)",
		fmt.Sprintf("lease with boot file %q %.2f s after the server started", l.Facts.BootFile, time.Since(start).Seconds()-2.5), time.Since(start), "")
}

func TestRunErrors(t *testing.T) {
	netconftest.Require(t)
	t.Parallel()
	_, cliIf := link(t, "d6", "10.27.0.1")
	start := time.Now()
	_, err := run(t, time.Second, []string{cliIf, "nosuchif0"}, fast())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "nosuchif0") {
		t.Errorf("Run without a server = %v, want DeadlineExceeded and the missing interface named", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Run took %v after a 1 s deadline", d)
	}
	if _, err := Run(context.Background(), nil, nil, fast()); !errors.Is(err, ErrNoInterfaces) {
		t.Errorf("Run(no interfaces) = %v", err)
	}
	o := fast()
	o.UUID = "x"
	if _, err := Run(context.Background(), nil, []string{cliIf}, o); !errors.Is(err, ErrBadUUID) {
		t.Errorf("Run(bad UUID) = %v", err)
	}
}
