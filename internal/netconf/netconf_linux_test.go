package netconf

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf/netconftest"
)

func TestMain(m *testing.M) { netconftest.Main(m) }

func TestLinks(t *testing.T) {
	netconftest.Require(t)
	a, b := netconftest.Veth(t, "tl")
	links, err := Links()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Link{}
	for _, l := range links {
		byName[l.Name] = l
	}
	if lo := byName["lo"]; lo.Type != 772 || lo.Index == 0 {
		t.Errorf("lo = %+v, want ARPHRD_LOOPBACK (772) with an index", lo)
	}
	for _, n := range []string{a, b} {
		l, ok := byName[n]
		if !ok {
			t.Fatalf("link %s missing from %+v", n, links)
		}
		if l.Kind != "veth" || l.Type != 1 || len(l.MAC) != 6 || l.MTU != 1500 || !l.Up() {
			t.Errorf("link %s = %+v, want an up veth with a 6-byte MAC and MTU 1500", n, l)
		}
	}
	eth, err := EthernetLinks()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range eth {
		if l.Name == "lo" || l.Kind != "" {
			t.Errorf("EthernetLinks() lists %s (kind %q): want only driver-backed Ethernet links", l.Name, l.Kind)
		}
	}
	if _, err := LinkByName("nosuchlink0"); !errors.Is(err, ErrNoSuchLink) {
		t.Errorf("LinkByName(nosuchlink0) = %v, want ErrNoSuchLink", err)
	}
}

func TestSetUpWaitCarrier(t *testing.T) {
	netconftest.Require(t)
	a, b := netconftest.Veth(t, "tc")
	netconftest.Run(t, "ip", "link", "set", a, "down")
	netconftest.Run(t, "ip", "link", "set", b, "down")
	if err := SetUp(a); err != nil {
		t.Fatal(err)
	}
	l, err := LinkByName(a)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Up() {
		t.Fatalf("%s not up after SetUp: flags %#x", a, l.Flags)
	}
	ctx := context.Background()
	// The peer is down: a veth has no carrier then.
	start := time.Now()
	err = WaitCarrier(ctx, nil, a, 200*time.Millisecond)
	if !errors.Is(err, ErrNoCarrier) {
		t.Fatalf("WaitCarrier with the peer down = %v, want ErrNoCarrier", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("WaitCarrier(200ms) took %v", d)
	}
	go func() {
		time.Sleep(150 * time.Millisecond)
		SetUp(b)
	}()
	if err := WaitCarrier(ctx, nil, a, 5*time.Second); err != nil {
		t.Fatalf("WaitCarrier after the peer came up: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	netconftest.Run(t, "ip", "link", "set", b, "down")
	if err := WaitCarrier(cctx, nil, a, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitCarrier with a cancelled context = %v, want context.Canceled", err)
	}
	if err := SetUp("nosuchlink0"); !errors.Is(err, ErrNoSuchLink) {
		t.Errorf("SetUp(nosuchlink0) = %v, want ErrNoSuchLink", err)
	}
}

func TestAddressAndRoute(t *testing.T) {
	netconftest.Require(t)
	a, _ := netconftest.Veth(t, "ta")
	p := netip.MustParsePrefix("10.1.0.5/24")
	for range 2 { // replacing must be idempotent
		if err := AddAddress(a, p); err != nil {
			t.Fatal(err)
		}
		if err := AddDefaultRoute(a, netip.MustParseAddr("10.1.0.1"), false); err != nil {
			t.Fatal(err)
		}
	}
	if out := netconftest.Run(t, "ip", "-4", "addr", "show", "dev", a); !strings.Contains(out, "inet 10.1.0.5/24 brd 10.1.0.255") {
		t.Errorf("ip addr show dev %s:\n%s\nwant inet 10.1.0.5/24 brd 10.1.0.255", a, out)
	}
	if out := netconftest.Run(t, "ip", "-4", "route", "show", "default", "proto", "boot"); !strings.Contains(out, "default via 10.1.0.1 dev "+a) {
		t.Errorf("ip route show default proto boot:\n%s\nwant default via 10.1.0.1 dev %s proto boot", out, a)
	}
	// A gateway outside the subnet needs RTNH_F_ONLINK.
	if err := AddDefaultRoute(a, netip.MustParseAddr("10.9.9.9"), false); err == nil {
		t.Error("AddDefaultRoute(off-subnet gateway, onLink=false) succeeded, want ENETUNREACH")
	}
	if err := AddDefaultRoute(a, netip.MustParseAddr("10.9.9.9"), true); err != nil {
		t.Errorf("AddDefaultRoute(off-subnet gateway, onLink=true): %v", err)
	}
	if err := AddAddress(a, netip.Prefix{}); !errors.Is(err, ErrNotIPv4) {
		t.Errorf("AddAddress(invalid prefix) = %v, want ErrNotIPv4", err)
	}
	if err := AddAddress("nosuchlink0", p); !errors.Is(err, ErrNoSuchLink) {
		t.Errorf("AddAddress(nosuchlink0) = %v, want ErrNoSuchLink", err)
	}
}

func TestApply(t *testing.T) {
	netconftest.Require(t)
	a, _ := netconftest.Veth(t, "tp")
	netconftest.Run(t, "ip", "link", "set", a, "down")
	cfg, err := ParseStatic("192.0.2.10/24,192.0.2.1,192.0.2.53,192.0.2.54")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Domain = "example.org"
	cfg.Hostname = "node-7"
	resolv := filepath.Join(t.TempDir(), "etc", "resolv.conf")
	err = Apply(context.Background(), nil, a, cfg, ApplyOptions{
		CarrierTimeout: 5 * time.Second,
		ResolvConf:     resolv,
		SetHostname:    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := netconftest.Run(t, "ip", "-4", "route", "show", "default"); !strings.Contains(out, "default via 192.0.2.1 dev "+a) {
		t.Errorf("ip route show default:\n%s", out)
	}
	got, err := os.ReadFile(resolv)
	if err != nil {
		t.Fatal(err)
	}
	want := "# written by s390netboot netconf\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch example.org\n"
	if string(got) != want {
		t.Errorf("%s =\n%s\nwant\n%s", resolv, got, want)
	}
	if h, _ := os.Hostname(); h != "node-7" {
		t.Errorf("hostname = %q, want node-7", h)
	}
	bad := cfg
	bad.Domain = "evil\nnameserver 6.6.6.6"
	if err := Apply(context.Background(), nil, a, bad, ApplyOptions{ResolvConf: resolv}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("Apply(domain with newline) = %v, want ErrBadConfig", err)
	}
}
