//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// This file is the harness for tests that run dnsmasq and a client on a
// network of their own: the test re-executes itself in new network and
// UTS namespaces (inNetns), makes a veth pair there (vethPair) and starts
// dnsmasq on it (startDnsmasq). Nothing of it touches the host's network.
//
//	func TestX(t *testing.T) {
//		if inNetns(t, 2*time.Minute, nil) {
//			return
//		}
//		vethPair(t, "10.33.0.1/24")
//		startDnsmasq(t, vethServer, "--dhcp-range=10.33.0.50,10.33.0.99,1h")
//		... a client on vethClient ...
//	}

// netnsEnv marks the copy of the test binary that inNetns starts; its
// value is the name of the test that copy runs, so that each test has its
// own marker.
const netnsEnv = "S390NETBOOT_E2E_NETNS"

// The ends of the veth pair that vethPair makes.
const (
	vethServer = "srv0" // dnsmasq's end, with the server's address
	vethClient = "cli0" // the client's end
)

// inNetns re-executes the test binary (testenv.Reexec), running only
// t's test, in new network and UTS namespaces, and reports its output.
// It returns true in the parent, which should return at once, and false in the copy inside
// the namespaces, which goes on with the test; loopback is up there and
// nothing else. It must be called first in a top-level test, and needs
// root. parentEnv, unless nil, runs in the parent only (to build what the
// copy needs, see pxebootEnv) and adds its result to the copy's
// environment.
//
// FAULT lines of the copy (for scripts/fault-report.sh) go to t's log
// always, the rest of its output when it failed or with -v.
func inNetns(t *testing.T, timeout time.Duration, parentEnv func() []string) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == t.Name() {
		netbootRun(t, "ip", "link", "set", "lo", "up")
		return false
	}
	testenv.SkipEmulated(t, "create network namespaces or open raw packet sockets")
	NeedTool(t, "ip", "iproute2")
	env := []string{netnsEnv + "=" + t.Name()}
	if parentEnv != nil {
		env = append(env, parentEnv()...)
	}
	out, err := testenv.Reexec(syscall.CLONE_NEWNET|syscall.CLONE_NEWUTS, env,
		testenv.RunOnly(t), "-test.v", "-test.timeout="+timeout.String()).CombinedOutput()
	var rest []string
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.Index(l, "FAULT |"); i >= 0 {
			t.Log(l[i:])
		} else {
			rest = append(rest, l)
		}
	}
	if err != nil || testing.Verbose() {
		t.Logf("in a new network namespace:\n%s", strings.Join(rest, "\n"))
	}
	if err != nil {
		t.Fatalf("test in a new network namespace (needs root): %v", err)
	}
	return true
}

// pxebootEnv is a parentEnv for inNetns: it builds cmd/pxeboot for this
// machine and names it in $PXEBOOT, unless $PXEBOOT names one already (as
// in a guest without Go, TestVLANGuest).
func pxebootEnv(t *testing.T) func() []string {
	return func() []string {
		if p := os.Getenv("PXEBOOT"); p != "" {
			return []string{"PXEBOOT=" + p}
		}
		return []string{"PXEBOOT=" + BuildCmd(t, "./cmd/pxeboot", runtime.GOARCH)}
	}
}

// vethPair makes the veth pair vethServer-vethClient in the test's network
// namespace and gives vethServer the address serverCIDR (such as
// "10.30.0.1/24") and brings it up. vethClient stays down, as a netboot
// client finds its link.
func vethPair(t *testing.T, serverCIDR string) {
	t.Helper()
	for _, args := range [][]string{
		{"link", "add", vethServer, "type", "veth", "peer", "name", vethClient},
		{"addr", "add", serverCIDR, "dev", vethServer},
		{"link", "set", vethServer, "up"},
	} {
		netbootRun(t, "ip", args...)
	}
}

// startDnsmasq starts dnsmasq in the foreground, bound to iface, with no
// configuration file and no DNS, its lease, pid and log files in a temp
// dir, and args (the DHCP range, TFTP, options) added. It is stopped when
// the test ends, and its log shown when the test failed.
func startDnsmasq(t *testing.T, iface string, args ...string) {
	t.Helper()
	dnsmasq := NeedTool(t, "dnsmasq", "dnsmasq")
	dir := t.TempDir()
	logFile := filepath.Join(dir, "dnsmasq.log")
	cmd := exec.Command(dnsmasq, append([]string{
		"--no-daemon", "--conf-file=/dev/null", "--user=root", "--port=0",
		"--interface=" + iface, "--bind-interfaces", "--pid-file=" + filepath.Join(dir, "pid"),
		"--dhcp-leasefile=" + filepath.Join(dir, "leases"), "--log-dhcp", "--log-facility=" + logFile,
	}, args...)...)
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
}
