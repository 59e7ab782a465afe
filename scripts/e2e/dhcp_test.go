//go:build e2e

package e2e

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/dhcp"
	"github.com/s390netboot/s390netboot/pxeclient/netconf"
)

// dhcpNetnsEnv marks the copy of the test binary that TestDHCPDnsmasq
// starts in its own network namespace.
const dhcpNetnsEnv = "S390NETBOOT_E2E_DHCP_NETNS"

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
	if os.Getenv("S390NETBOOT_EMULATED") == "1" {
		t.Skip("user-mode emulation (qemu-user) has no network namespaces or raw packet sockets")
	}
	if os.Getenv(dhcpNetnsEnv) != "1" {
		cmd := exec.Command("/proc/self/exe", "-test.run=^TestDHCPDnsmasq$", "-test.v", "-test.timeout=2m")
		cmd.Env = append(os.Environ(), dhcpNetnsEnv+"=1")
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS}
		out, err := cmd.CombinedOutput()
		t.Logf("in a new network namespace:\n%s", out)
		if err != nil {
			t.Fatalf("test in a new network namespace (needs root): %v", err)
		}
		return
	}

	dnsmasq := NeedTool(t, "dnsmasq", "dnsmasq")
	NeedTool(t, "ip", "iproute2")
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ip("link", "set", "lo", "up")
	ip("link", "add", "srv0", "type", "veth", "peer", "name", "cli0")
	ip("addr", "add", "10.30.0.1/24", "dev", "srv0")
	ip("link", "set", "srv0", "up")
	ip("link", "set", "cli0", "up")

	dir := t.TempDir()
	logFile := filepath.Join(dir, "dnsmasq.log")
	cmd := exec.Command(dnsmasq,
		"--no-daemon", "--conf-file=/dev/null", "--user=root", "--port=0",
		"--interface=srv0", "--bind-interfaces", "--pid-file="+filepath.Join(dir, "pid"),
		"--dhcp-leasefile="+filepath.Join(dir, "leases"), "--log-dhcp", "--log-facility="+logFile,
		"--dhcp-range=10.30.0.50,10.30.0.99,255.255.255.0,1h",
		"--dhcp-match=set:s390,option:client-arch,31",
		"--dhcp-boot=tag:s390,s390x/pxelinux.0",
		"--dhcp-option=tag:s390,209,pxelinux.cfg/s390",
		"--dhcp-option=tag:s390,210,s390x/",
		"--dhcp-option=option:router,10.30.0.1",
		"--dhcp-option=option:dns-server,10.30.0.1",
		"--dhcp-option=option:domain-name,lab.example",
	)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dnsmasq: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("dnsmasq log:\n%s", b)
		}
	})

	log := slog.New(slog.NewTextHandler(dhcpLogWriter{t}, nil))
	get := func(arch uint16) *dhcp.Lease {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		l, err := dhcp.Run(ctx, log, []string{"cli0"}, dhcp.Options{
			Arch: &arch, UUID: "12345678-9abc-def0-1234-56789abcdef0", Grace: time.Second,
		})
		if err != nil {
			t.Fatalf("DHCP with arch %#x: %v", arch, err)
		}
		t.Logf("arch %#04x: lease after %v: %+v", arch, time.Since(start).Round(time.Millisecond), l.Facts)
		return l
	}

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
	if err := netconf.Apply(context.Background(), log, "cli0", s390.Net, netconf.ApplyOptions{
		ResolvConf: filepath.Join(dir, "resolv.conf"),
	}); err != nil {
		t.Fatalf("apply lease: %v", err)
	}
	if out, err := exec.Command("ping", "-c", "1", "-W", "2", f.IP.String()).CombinedOutput(); err != nil {
		var ee *exec.Error
		if !errors.As(err, &ee) { // ping missing is not this test's business
			t.Errorf("ping %v: %v\n%s", f.IP, err, out)
		}
	}
	ip("addr", "flush", "dev", "cli0")

	x86 := get(dhcp.ArchX64UEFI)
	if x86.HasBootInfo() {
		t.Errorf("x86-64 client got s390 boot information: %+v", x86.Facts)
	}
}

type dhcpLogWriter struct{ t *testing.T }

func (w dhcpLogWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}
