//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// The IPv6 tests run dnsmasq (router advertisements, DHCPv6, TFTP over
// IPv6) on the veth pair of netns_test.go and drive `pxeboot fetch
// --iface`. The server end has 2001:db8:31::1/64 and the fixed
// link-local fe80::1; dnsmasq's DHCPv6 hands out the boot file URL
// (option 59) only to clients that send option 61 = 31 (s390x).

// serverLL is the server's link-local address: the boot file URL names
// it, so the client must add its link's zone.
const serverLL = "fe80::1"

// ipv6Tree writes the TFTP tree the IPv6 tests boot from: the config is
// found by the 01-MAC name (the client's MAC is read from the link).
func ipv6Tree(t *testing.T, dir string) string {
	t.Helper()
	tftp := filepath.Join(dir, "tftp")
	ifc, err := net.InterfaceByName(vethClient)
	if err != nil {
		t.Fatal(err)
	}
	name := "01-" + strings.ReplaceAll(ifc.HardwareAddr.String(), ":", "-")
	files := map[string]string{
		"s390x/pxelinux.cfg/" + name: "DEFAULT v6\nLABEL v6\n  KERNEL images/vmlinuz\n  INITRD images/a.gz\n  APPEND console=ttysclp0\n  IPAPPEND 3\n",
		"s390x/pxelinux.cfg/default": "DEFAULT wrong\nLABEL wrong\n  KERNEL images/wrong\n",
		"s390x/images/vmlinuz":       strings.Repeat("kernel ", 100000),
		"s390x/images/a.gz":          "initrd a",
	}
	for n, data := range files {
		p := filepath.Join(tftp, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tftp
}

// ipv6Link makes the veth pair with the server's IPv6 addresses and
// waits for their DAD.
func ipv6Link(t *testing.T) {
	t.Helper()
	vethPair(t, "10.32.0.1/24")
	netbootRun(t, "ip", "addr", "add", "2001:db8:31::1/64", "dev", vethServer, "nodad")
	netbootRun(t, "ip", "addr", "add", serverLL+"/64", "dev", vethServer, "nodad")
}

// dnsmasq6 are dnsmasq's arguments for stateful DHCPv6 with RAs and the
// s390x boot file URL by option 61; extra adds more.
func dnsmasq6(tftp, url string, extra ...string) []string {
	return append([]string{
		"--enable-tftp", "--tftp-root=" + tftp,
		"--enable-ra",
		"--dhcp-range=2001:db8:31::50,2001:db8:31::99,64,1h",
		"--dhcp-match=set:s390,option6:61,31",
		"--dhcp-option=tag:s390,option6:bootfile-url," + url,
		"--dhcp-option=option6:dns-server,[2001:db8:31::1]",
	}, extra...)
}

// pxebootFetch runs pxeboot fetch on the client end and returns its
// output, its error and plan.json's boot entry.
func pxebootFetch(t *testing.T, out string, args ...string) (string, error, *plan6) {
	t.Helper()
	cmd := exec.Command(os.Getenv("PXEBOOT"), append([]string{"fetch", "--iface", vethClient, "--dhcp-arch", "0x1f", "-o", out}, args...)...)
	b, err := cmd.CombinedOutput()
	var p plan6
	if pj, rerr := os.ReadFile(filepath.Join(out, "plan.json")); rerr == nil {
		if jerr := json.Unmarshal(pj, &p); jerr != nil {
			t.Fatalf("plan.json: %v\n%s", jerr, pj)
		}
		return string(b), err, &p
	}
	return string(b), err, nil
}

type plan6 struct {
	Config string `json:"config"`
	Boot   struct {
		Label   string `json:"label"`
		Cmdline string `json:"cmdline"`
		Kernel  struct {
			URL  string `json:"url"`
			Size int    `json:"size"`
		} `json:"kernel"`
	} `json:"boot"`
}

// TestIPv6Dnsmasq: stateful DHCPv6 after a router advertisement with the
// M flag, option 59 by an option-61 match, naming an HTTP server by its
// link-local address (dnsmasq 2.90's TFTP does not answer on link-local
// addresses, so the files come from net/http in this process); pxeboot
// adds the zone, finds the 01-MAC config and fetches the entry, whose
// IPAPPEND 3 gives dracut's IPv6 ip=.
func TestIPv6Dnsmasq(t *testing.T) {
	if inNetns(t, 2*time.Minute, pxebootEnv(t)) {
		return
	}
	ipv6Link(t)
	dir := t.TempDir()
	tftp := ipv6Tree(t, dir)
	ln, err := net.Listen("tcp6", "["+serverLL+"%"+vethServer+"]:8080")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(tftp))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	startDnsmasq(t, vethServer, dnsmasq6(tftp, "http://["+serverLL+"]:8080/s390x/pxelinux.0")...)
	start := time.Now()
	log, err, p := pxebootFetch(t, filepath.Join(dir, "out"), "--ipv", "6", "--timeout", "40s")
	took := time.Since(start)
	t.Logf("pxeboot fetch (%v):\n%s", took.Round(time.Millisecond), log)
	if err != nil || p == nil {
		t.Fatalf("pxeboot fetch: %v", err)
	}
	if !strings.Contains(p.Config, "http://[fe80::1%25"+vethClient+"]:8080/s390x/pxelinux.cfg/01-") || p.Boot.Label != "v6" ||
		!regexp.MustCompile(`ip=\[2001:db8:31::[0-9a-f]+\]:::128:::none BOOTIF=01-`).MatchString(p.Boot.Cmdline) ||
		p.Boot.Kernel.Size != 700000 {
		t.Errorf("plan: %+v", p)
	}
	if !strings.Contains(log, "managed=true") {
		t.Errorf("log does not show the RA's managed flag")
	}
	testenv.Fault(t, "e2e IPv6: stateful DHCPv6 (RA M flag), option 59 naming a link-local HTTP server, by option 61 = s390x",
		fmt.Sprintf("config %s, cmdline %q", p.Config, p.Boot.Cmdline), took, fmt.Sprintf("kernel %d bytes", p.Boot.Kernel.Size))
}

// TestDualStackDnsmasq: DHCPv4 answers first but without boot
// information; the IPv6 lease with the boot file URL wins.
func TestDualStackDnsmasq(t *testing.T) {
	if inNetns(t, 2*time.Minute, pxebootEnv(t)) {
		return
	}
	ipv6Link(t)
	dir := t.TempDir()
	tftp := ipv6Tree(t, dir)
	startDnsmasq(t, vethServer, dnsmasq6(tftp, "tftp://[2001:db8:31::1]/s390x/pxelinux.0",
		"--dhcp-range=10.32.0.50,10.32.0.99,255.255.255.0,1h")...)
	start := time.Now()
	log, err, p := pxebootFetch(t, filepath.Join(dir, "out"), "--timeout", "40s")
	took := time.Since(start)
	t.Logf("pxeboot fetch (%v):\n%s", took.Round(time.Millisecond), log)
	if err != nil || p == nil {
		t.Fatalf("pxeboot fetch: %v", err)
	}
	if !strings.Contains(p.Config, "tftp://[2001:db8:31::1]/s390x/pxelinux.cfg/01-") ||
		!regexp.MustCompile(`network configuration chosen from=IPv6 why="first with boot information"`).MatchString(log) {
		t.Errorf("plan %+v; the log does not say IPv6 won for its boot information", p)
	}
	testenv.Fault(t, "e2e dual stack: DHCPv4 without boot information, DHCPv6 with option 59",
		"IPv6 lease chosen: "+p.Config, took, fmt.Sprintf("kernel %d bytes", p.Boot.Kernel.Size))
}

// TestIPv6Faults: the router advertisement and DHCPv6 go wrong in the
// ways a real network does; each row says what pxeboot made of it.
func TestIPv6Faults(t *testing.T) {
	if inNetns(t, 5*time.Minute, pxebootEnv(t)) {
		return
	}
	ipv6Link(t)
	dir := t.TempDir()
	tftp := ipv6Tree(t, dir)
	good := "tftp://[2001:db8:31::1]/s390x/pxelinux.0"
	noRA := func(args []string) []string {
		var out []string
		for _, a := range args {
			if a != "--enable-ra" {
				out = append(out, a)
			}
		}
		return out
	}
	stateless := []string{"--enable-tftp", "--tftp-root=" + tftp, "--enable-ra",
		"--dhcp-range=2001:db8:31::,ra-stateless,64",
		"--dhcp-match=set:s390,option6:61,31", "--dhcp-option=tag:s390,option6:bootfile-url," + good}
	for i, tc := range []struct {
		fault string
		args  []string
		delay time.Duration
		ok    bool
		want  string // in pxeboot's log
	}{
		{"IPv6: no router advertisement, stateful DHCPv6 server", noRA(dnsmasq6(tftp, good)), 0, true, "no router advertisement; trying stateful and stateless DHCPv6 in turn"},
		{"IPv6: router advertisement with the O flag only (stateless DHCPv6)", stateless, 0, true, "mode=\"stateless DHCPv6\""},
		{"IPv6: router advertisement without M and O flags (SLAAC only)", []string{"--enable-ra", "--dhcp-range=2001:db8:31::,ra-only,64"}, 0, false,
			"neither the managed (M) nor the other-configuration (O) flag, and no DHCPv6 server answered"},
		{"IPv6: DHCPv6 server (and its RAs) 8 s late", dnsmasq6(tftp, good), 8 * time.Second, true, "no router advertisement; trying stateful and stateless DHCPv6 in turn"},
		{"IPv6: boot file URL with .. elements", dnsmasq6(tftp, "tftp://[2001:db8:31::1]/s390x/../../etc/shadow"), 0, false, `\"..\" path element`},
		{"IPv6: boot file URL of 300 bytes", dnsmasq6(tftp, "tftp://[2001:db8:31::1]/"+strings.Repeat("x", 276)), 0, false, "300 bytes, longer than 255"},
		{"IPv6: boot file URL not UTF-8", dnsmasq6(tftp, "tftp://[2001:db8:31::1]/\xff\xfe.0"), 0, false, "is not printable ASCII"},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			netbootRun(t, "ip", "link", "set", vethClient, "down")
			netbootRun(t, "ip", "addr", "flush", "dev", vethClient)
			if tc.delay > 0 {
				timer := time.AfterFunc(tc.delay, func() { startDnsmasq(t, vethServer, tc.args...) })
				defer timer.Stop()
			} else {
				startDnsmasq(t, vethServer, tc.args...)
			}
			start := time.Now()
			log, err, p := pxebootFetch(t, filepath.Join(t.TempDir(), "out"), "--ipv", "6", "--timeout", "40s")
			took := time.Since(start)
			t.Logf("pxeboot fetch (%v):\n%s", took.Round(time.Millisecond), log)
			if (err == nil) != tc.ok || tc.ok && p == nil {
				t.Fatalf("pxeboot fetch: %v, want success %v", err, tc.ok)
			}
			if !strings.Contains(log, tc.want) {
				t.Errorf("log does not say %q", tc.want)
			}
			if tc.delay > 0 && took < tc.delay {
				t.Errorf("done after %v, before the server started", took)
			}
			outcome := "fetched " + fmt.Sprint(p != nil && p.Boot.Kernel.Size > 0)
			if err != nil {
				outcome = "pxeboot fails: " + lastLine(log)
			}
			var why string
			for _, l := range strings.Split(log, "\n") {
				if strings.Contains(l, "refused DHCPv6 value") {
					why = strings.TrimSpace(l)
					break
				}
				if why == "" && strings.Contains(l, "router advertisement") {
					why = strings.TrimSpace(l)
				}
			}
			testenv.Fault(t, tc.fault, outcome+"; "+why, took, "")
		})
	}
}
