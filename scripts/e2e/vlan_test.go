//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// vlanID is the VLAN of the VLAN tests; vlanServerLink the server's link
// that carries it.
const (
	vlanID         = 42
	vlanServerLink = vethServer + ".42"
)

// vlanStageLease is the lease stage line of pxeboot; dt is the time since
// the stage=vlan line, the VLAN link made and up.
var vlanStageLease = regexp.MustCompile(`stage=lease t=[0-9.]+s dt=([0-9.]+)s iface=(\S+)`)

// TestVLANDnsmasq boots over an 802.1Q VLAN: dnsmasq (DHCP and TFTP) is
// bound to the VLAN link srv0.42 over one end of a veth pair, the client
// end cli0 has no VLAN link, and `pxeboot fetch --iface cli0`
//
//   - without --vlan gets no answer on the untagged link and fails saying
//     so, with nothing written;
//   - with --vlan 42 makes cli0.42 over cli0, gets the lease over the
//     tagged link, finds the config and fetches the entry; plan.json's
//     command line (IPAPPEND 3) carries ip= on cli0.42 and
//     vlan=cli0.42:cli0 for the target;
//   - with --iface cli0.42, the link made before, does the same;
//   - with --iface lo --vlan 42 fails saying that lo cannot carry VLANs.
//
// A kernel without 8021q cannot make the server's VLAN link either: then
// the test checks that pxeboot --vlan says that 8021q is needed, and ends
// there. TestVLANGuest runs this test in a QEMU guest with a
// Debian kernel, before and after loading 8021q.
func TestVLANDnsmasq(t *testing.T) {
	if inNetns(t, 3*time.Minute, pxebootEnv(t)) {
		return
	}
	vethPair(t, "10.34.1.1/24") // untagged: an address, no DHCP server
	dir := t.TempDir()
	fetchOn := func(iface, timeout string, args ...string) (string, error) {
		args = append([]string{"fetch", "--iface", iface, "--dhcp-arch", "0x1f", "--timeout", timeout}, args...)
		out, err := exec.Command(os.Getenv("PXEBOOT"), args...).CombinedOutput()
		t.Logf("pxeboot %s:\n%s", strings.Join(args, " "), out)
		return string(out), err
	}
	fetch := func(timeout string, args ...string) (string, error) { return fetchOn(vethClient, timeout, args...) }

	if out, err := exec.Command("ip", "link", "add", "link", vethServer, "name", vlanServerLink,
		"type", "vlan", "id", strconv.Itoa(vlanID)).CombinedOutput(); err != nil {
		start := time.Now()
		msg, err := fetch("20s", "--vlan", strconv.Itoa(vlanID), "-o", filepath.Join(dir, "nomodule"))
		took := time.Since(start)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(msg, "the 8021q module is needed") ||
			!strings.Contains(msg, "add VLAN 42 over cli0 as cli0.42") || took > 10*time.Second {
			t.Errorf("pxeboot fetch --vlan on a kernel without 8021q: %v after %v, want exit 1 at once saying that 8021q is needed", err, took)
		}
		testenv.Fault(t, "VLAN: pxeinit.vlan=42 on a kernel without 8021q",
			"no VLAN link; error: "+lineWith(msg, "8021q"), took, "")
		// The rest needs VLAN links, which this kernel cannot make:
		// not a missing tool a setup could install (the kernel has no
		// modules at all on some hosts), so the test ends here, having
		// checked the error. TestVLANGuest runs the whole test in a
		// guest whose kernel has 8021q.
		t.Logf("the kernel cannot make VLAN links (ip link add ... type vlan: %s): the tagged boot runs in TestVLANGuest", strings.TrimSpace(string(out)))
		return
	}
	netbootRun(t, "ip", "addr", "add", "10.34.0.1/24", "dev", vlanServerLink)
	netbootRun(t, "ip", "link", "set", vlanServerLink, "up")
	tftp := filepath.Join(dir, "tftp")
	kernel := strings.Repeat("vlan kernel ", 40000)
	writeTree(t, tftp, map[string][]byte{
		"s390x/pxelinux.cfg/default": []byte("DEFAULT lab\nLABEL lab\n  KERNEL images/vmlinuz\n  INITRD images/a.gz\n  APPEND quiet\n  IPAPPEND 3\n"),
		"s390x/images/vmlinuz":       []byte(kernel),
		"s390x/images/a.gz":          []byte("initrd over a VLAN"),
	})
	startDnsmasq(t, vlanServerLink,
		"--enable-tftp", "--tftp-root="+tftp,
		"--dhcp-range=10.34.0.50,10.34.0.99,255.255.255.0,1h",
		"--dhcp-match=set:s390,option:client-arch,31",
		"--dhcp-boot=tag:s390,s390x/pxelinux.0",
		"--dhcp-option=option:router,10.34.0.1",
	)

	// Untagged: dnsmasq does not hear the client.
	start := time.Now()
	untagged := filepath.Join(dir, "untagged")
	msg, err := fetch("8s", "-o", untagged)
	took := time.Since(start)
	if err == nil || !strings.Contains(msg, "DHCP on cli0: no lease within 8s") {
		t.Errorf("pxeboot fetch without --vlan = %v, want no lease on cli0", err)
	}
	if _, err := os.Stat(untagged); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pxeboot fetch without a lease left %s: %v", untagged, err)
	}
	testenv.Fault(t, "VLAN: the boot server is on VLAN 42, the client sends untagged",
		"no lease; error: "+lineWith(msg, "no lease"), took, "")

	// Tagged.
	start = time.Now()
	out := filepath.Join(dir, "out")
	msg, err = fetch("60s", "--vlan", strconv.Itoa(vlanID), "-o", out)
	took = time.Since(start)
	if err != nil {
		t.Fatalf("pxeboot fetch --vlan %d: %v", vlanID, err)
	}
	m := vlanStageLease.FindStringSubmatch(msg)
	if m == nil || m[2] != vethClient+".42" || !strings.Contains(msg, "stage=vlan ") {
		t.Fatalf("no stage=vlan line, or no lease on %s.42 after it: %q", vethClient, m)
	}
	toLease, _ := strconv.ParseFloat(m[1], 64)
	if link, err := exec.Command("ip", "-d", "link", "show", vethClient+".42").CombinedOutput(); err != nil ||
		!strings.Contains(string(link), "vlan protocol 802.1Q id 42") {
		t.Errorf("ip -d link show cli0.42: %v\n%s", err, link)
	}
	var plan struct {
		Boot struct {
			Label   string `json:"label"`
			Cmdline string `json:"cmdline"`
			Kernel  struct {
				Size int `json:"size"`
			} `json:"kernel"`
		} `json:"boot"`
	}
	pj, err := os.ReadFile(filepath.Join(out, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pj, &plan); err != nil {
		t.Fatal(err)
	}
	ifc, err := net.InterfaceByName(vethClient)
	if err != nil {
		t.Fatal(err)
	}
	bootif := "BOOTIF=01-" + strings.ReplaceAll(ifc.HardwareAddr.String(), ":", "-")
	wantCmdline := regexp.MustCompile(`^BOOT_IMAGE=images/vmlinuz quiet ip=10\.34\.0\.\d+::10\.34\.0\.1:255\.255\.255\.0::cli0\.42:none ` +
		regexp.QuoteMeta(bootif) + ` vlan=cli0\.42:cli0$`)
	if plan.Boot.Label != "lab" || plan.Boot.Kernel.Size != len(kernel) || !wantCmdline.MatchString(plan.Boot.Cmdline) {
		t.Errorf("plan.json boot = %+v; want label lab, the kernel's %d bytes, a command line matching %s", plan.Boot, len(kernel), wantCmdline)
	}
	// The VLAN link exists now: --iface names it, and IPAPPEND knows it
	// for a VLAN link all the same.
	again := filepath.Join(dir, "again")
	if _, err := fetchOn(vethClient+".42", "60s", "-o", again); err != nil {
		t.Errorf("pxeboot fetch --iface cli0.42: %v", err)
	} else if pj, err := os.ReadFile(filepath.Join(again, "plan.json")); err != nil || !strings.Contains(string(pj), "::cli0.42:none "+bootif+" vlan=cli0.42:cli0") {
		t.Errorf("pxeboot fetch --iface cli0.42: plan.json (%v) lacks ip= on cli0.42 and vlan=cli0.42:cli0:\n%s", err, pj)
	}
	// A link that cannot carry VLANs.
	start = time.Now()
	msg, err = fetchOn("lo", "20s", "--vlan", strconv.Itoa(vlanID), "-o", filepath.Join(dir, "lo"))
	if err == nil || !strings.Contains(msg, "lo (ARP type 772") || !strings.Contains(msg, "the link cannot carry VLANs") {
		t.Errorf("pxeboot fetch --iface lo --vlan %d = %v, want the error that lo cannot carry VLANs", vlanID, err)
	}
	testenv.Fault(t, "VLAN: pxeinit.vlan=42 over a link that cannot carry VLANs (lo)",
		"no VLAN link; error: "+lineWith(msg, "cannot carry"), time.Since(start), "")
	t.Logf("VLAN: cli0.42 up -> lease %.3f s; pxeboot fetch --vlan %d in %v", toLease, vlanID, took.Round(time.Millisecond))
	testenv.Fault(t, "VLAN: pxeinit.vlan=42, the boot server only on VLAN 42",
		fmt.Sprintf("lease on cli0.42 %.2f s after the VLAN link came up, entry fetched; command line %s", toLease, plan.Boot.Cmdline),
		took, fmt.Sprintf("%d B (kernel size checked)", len(kernel)))
}

// lineWith is the last line of out that contains s, without pxeboot's
// prefix ("" when none does).
func lineWith(out, s string) string {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return strings.TrimSpace(strings.TrimPrefix(lines[i], "pxeboot "))
		}
	}
	return ""
}

// vlanGuestModules are the modules of Debian's amd64 kernel the guest
// loads: veth first (for the veth pair), then 8021q and its dependencies
// (modules.dep: 8021q needs garp and mrp, garp needs stp and llc).
var (
	vlanGuestVeth  = "kernel/drivers/net/veth.ko"
	vlanGuestDot1Q = []string{"kernel/net/llc/llc.ko", "kernel/net/802/stp.ko", "kernel/net/802/garp.ko",
		"kernel/net/802/mrp.ko", "kernel/net/8021q/8021q.ko"}
)

// TestVLANGuest runs TestVLANDnsmasq and netconf's TestAddVLAN inside an
// amd64 QEMU guest with Debian's kernel, for hosts whose kernel lacks
// 8021q: first with only veth loaded and no modprobe (the kernel cannot
// load 8021q: the client must say it is needed), then after insmod of
// 8021q (the boot over the VLAN, and netconf's VLAN tests with a parent
// that cannot carry VLANs). The guest runs the test binaries built for
// amd64 with the host's dnsmasq and ip(8) and their libraries, so it
// needs an amd64 host.
func TestVLANGuest(t *testing.T) {
	testenv.SkipEmulated(t, "run QEMU guests")
	if runtime.GOARCH != "amd64" {
		t.Skipf("the guest borrows this machine's dnsmasq and ip(8): needs an amd64 host, this is %s", runtime.GOARCH)
	}
	cache := Cache(t, "amd64")
	mods := filepath.Join(cache, "modules") // lib/modules/VERSION of the cached kernel
	files := Archive{
		"bin/e2e.test":     {Data: netbootRead(t, testBinary(t, "./scripts/e2e", "e2e")), Exec: true},
		"bin/netconf.test": {Data: netbootRead(t, testBinary(t, "./internal/netconf", "")), Exec: true},
		"bin/pxeboot":      {Data: netbootRead(t, BuildCmd(t, "./cmd/pxeboot", "amd64")), Exec: true},
		"etc/passwd":       {Data: []byte("root:x:0:0:root:/root:/bin/sh\n")},
		"etc/group":        {Data: []byte("root:x:0:\n")},
		"tmp/.keep":        {},
		"run/.keep":        {},
	}
	for _, m := range append([]string{vlanGuestVeth}, vlanGuestDot1Q...) {
		files["mod/"+filepath.Base(m)] = Entry{Data: netbootRead(t, filepath.Join(mods, m))}
	}
	for _, prog := range []string{NeedTool(t, "dnsmasq", "dnsmasq"), NeedTool(t, "ip", "iproute2")} {
		hostProgram(t, files, prog)
	}
	run := `PXEBOOT=/bin/pxeboot /bin/e2e.test -test.run '^TestVLANDnsmasq$' -test.v -test.timeout 4m`
	var insmod []string
	for _, m := range vlanGuestDot1Q {
		insmod = append(insmod, "busybox insmod /mod/"+filepath.Base(m))
	}
	init := `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
busybox mount -t proc proc /proc
busybox mount -t sysfs sys /sys
busybox mount -t devtmpfs dev /dev
busybox mount -t tmpfs tmp /tmp
busybox insmod /mod/veth.ko
echo VLAN-GUEST phase=no-8021q
` + run + `
echo VLAN-GUEST-EXIT=$?
` + strings.Join(insmod, "\n") + `
echo VLAN-GUEST phase=8021q
` + run + `
echo VLAN-GUEST-EXIT=$?
/bin/netconf.test -test.run '^TestAddVLAN$' -test.v -test.timeout 2m
echo VLAN-GUEST-EXIT=$?
busybox poweroff -f
`
	rd := filepath.Join(t.TempDir(), "vlan.cpio.gz")
	if err := os.WriteFile(rd, BusyboxInitramfs(t, "amd64", init, files), 0o644); err != nil {
		t.Fatal(err)
	}
	g := StartQEMU(t, QEMU{Arch: "amd64", Memory: "1024M", Kernel: filepath.Join(cache, "vmlinuz"),
		Initrd: rd, Append: "console=ttyS0 quiet", NoNet: true})
	g.Expect("VLAN-GUEST phase=no-8021q", 180*time.Second)
	first := g.Expect(`VLAN-GUEST-EXIT=\d+`, 240*time.Second)
	g.Expect("VLAN-GUEST phase=8021q", 60*time.Second)
	second := g.Expect(`VLAN-GUEST-EXIT=\d+`, 240*time.Second)
	third := g.Expect(`VLAN-GUEST-EXIT=\d+`, 120*time.Second)
	console := g.Console()
	for _, l := range strings.Split(console, "\n") {
		if i := strings.Index(l, "FAULT |"); i >= 0 {
			t.Log(l[i:])
		} else if i := strings.Index(l, "VLAN: cli0.42 up -> lease"); i >= 0 {
			t.Log(l[i:])
		}
	}
	// Without 8021q TestVLANDnsmasq ends after its check (and says so);
	// with it, it and TestAddVLAN pass.
	for _, c := range []struct {
		exit Line
		want string
	}{
		{first, "the tagged boot runs in TestVLANGuest"},
		{second, "--- PASS: TestVLANDnsmasq"},
		{third, "--- PASS: TestAddVLAN"},
	} {
		if c.exit.Text != "VLAN-GUEST-EXIT=0" || !strings.Contains(console, c.want) {
			t.Errorf("guest: %s, want exit 0 and %q", c.exit.Text, c.want)
		}
	}
	if !strings.Contains(console, "the 8021q module is needed") {
		t.Errorf("the guest without 8021q did not say that the module is needed")
	}
	if t.Failed() {
		t.Logf("guest console:\n%s", console)
	}
}

// testBinary builds the tests of pkg for linux/amd64 (with the build tag
// tags, if any) and returns the binary's path.
func testBinary(t *testing.T, pkg, tags string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".test")
	args := []string{"test", "-c", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c %s: %v\n%s", pkg, err, b)
	}
	return out
}

// lddLib matches the libraries ldd(1) lists: "name => /path (0x...)" or
// "/path (0x...)" for the dynamic loader.
var lddLib = regexp.MustCompile(`(?m)^\s*(?:\S+ => )?(/\S+) \(0x[0-9a-f]+\)$`)

// hostProgram adds the program at path and the shared libraries ldd finds
// for it to a, at the same paths.
func hostProgram(t *testing.T, a Archive, path string) {
	t.Helper()
	out, err := exec.Command(NeedTool(t, "ldd", "libc-bin"), path).CombinedOutput()
	if err != nil {
		t.Fatalf("ldd %s: %v\n%s", path, err, out)
	}
	a[strings.TrimPrefix(path, "/")] = Entry{Data: netbootRead(t, path), Exec: true}
	for _, m := range lddLib.FindAllStringSubmatch(string(out), -1) {
		real, err := filepath.EvalSymlinks(m[1])
		if err != nil {
			t.Fatal(err)
		}
		a[strings.TrimPrefix(m[1], "/")] = Entry{Data: netbootRead(t, real), Exec: true}
	}
}
