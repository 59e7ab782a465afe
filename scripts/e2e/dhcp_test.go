//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/dhcp"
)

// TestDHCPDnsmasq runs the netboot client's DHCP against dnsmasq on a veth
// pair. dnsmasq hands out the s390x boot file and options 209/210 only to
// clients that send option 93 = 31 (dhcp-match on client-arch), as
// distribution PXE setups do, so the test also checks that the client
// identifies itself correctly: as s390x it gets the boot information, as
// x86-64 UEFI (7) it gets a plain lease.
//
// The test re-executes itself (only this test) in new network and UTS
// namespaces, so the veth pair, dnsmasq and the raw sockets never touch
// the host's network.
func TestDHCPDnsmasq(t *testing.T) {
	if inNetns(t, 2*time.Minute, nil) {
		return
	}
	vethPair(t, "10.30.0.1/24")
	netbootRun(t, "ip", "link", "set", vethClient, "up")
	startDnsmasq(t, vethServer,
		"--dhcp-range=10.30.0.50,10.30.0.99,255.255.255.0,1h",
		"--dhcp-match=set:s390,option:client-arch,31",
		"--dhcp-boot=tag:s390,s390x/pxelinux.0",
		"--dhcp-option=tag:s390,209,pxelinux.cfg/s390",
		"--dhcp-option=tag:s390,210,s390x/",
		"--dhcp-option=option:router,10.30.0.1",
		"--dhcp-option=option:dns-server,10.30.0.1",
		"--dhcp-option=option:domain-name,lab.example",
	)

	log := slog.New(slog.NewTextHandler(dhcpLogWriter{t}, nil))
	get := func(arch uint16) *dhcp.Lease {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		l, err := dhcp.Run(ctx, log, []string{vethClient}, dhcp.Options{
			Arch: &arch, UUID: "12345678-9abc-def0-1234-56789abcdef0", Grace: time.Second,
		})
		if err != nil {
			t.Fatalf("DHCP with arch %#x: %v", arch, err)
		}
		t.Logf("arch %#04x: lease after %v: %+v", arch, time.Since(start).Round(time.Millisecond), l.Facts)
		return l
	}

	start := time.Now()
	s390 := get(dhcp.ArchS390Basic)
	f := s390.Facts
	if f.BootFile != "s390x/pxelinux.0" || f.ConfigFile != "pxelinux.cfg/s390" || f.PathPrefix != "s390x/" {
		t.Errorf("s390x client: boot file %q, config %q, prefix %q; want s390x/pxelinux.0, pxelinux.cfg/s390, s390x/",
			f.BootFile, f.ConfigFile, f.PathPrefix)
	}
	if f.Server.String() != "10.30.0.1" || s390.ServerSource != dhcp.ServerSiaddr {
		t.Errorf("boot server %v from %v, want 10.30.0.1 from siaddr (dnsmasq's next-server)", f.Server, s390.ServerSource)
	}
	if !s390.Net.Address.Masked().Contains(f.IP) || f.IP.As4()[3] < 50 || f.Gateway.String() != "10.30.0.1" ||
		s390.Net.Domain != "lab.example" || len(s390.Net.DNS) != 1 {
		t.Errorf("network configuration %+v", s390.Net)
	}

	// Apply it, and the address is reachable from the server side.
	if err := netconf.Apply(context.Background(), log, vethClient, s390.Net, netconf.ApplyOptions{
		ResolvConf: filepath.Join(t.TempDir(), "resolv.conf"),
	}); err != nil {
		t.Fatalf("apply lease: %v", err)
	}
	if out, err := exec.Command("ping", "-c", "1", "-W", "2", f.IP.String()).CombinedOutput(); err != nil {
		var ee *exec.Error
		if !errors.As(err, &ee) { // ping missing is not this test's business
			t.Errorf("ping %v: %v\n%s", f.IP, err, out)
		}
	}
	netbootRun(t, "ip", "addr", "flush", "dev", vethClient)

	x86 := get(dhcp.ArchX64UEFI)
	if x86.HasBootInfo() {
		t.Errorf("x86-64 client got s390 boot information: %+v", x86.Facts)
	}
	testenv.Fault(t, "e2e: dnsmasq gives boot info only to option 93 = s390x",
		fmt.Sprintf("s390x (93 = %d): %v, boot file %q, config %q, prefix %q; x86-64 UEFI (93 = %d): %v, boot info %v",
			dhcp.ArchS390Basic, f.IP, f.BootFile, f.ConfigFile, f.PathPrefix, dhcp.ArchX64UEFI, x86.Facts.IP, x86.HasBootInfo()),
		time.Since(start), "")
}

type dhcpLogWriter struct{ t *testing.T }

func (w dhcpLogWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}
