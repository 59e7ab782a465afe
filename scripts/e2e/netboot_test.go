//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNetboot boots the whole client: QEMU's firmware (s390x) or -kernel
// (amd64) starts the Debian kernel with the netboot ramdisk built by
// mkpxeramfs, whose Go init (cmd/pxeinit) gets a lease from QEMU's user
// network, finds pxelinux.cfg/01-52-54-00-12-34-56 (a pxelinux.cfg/default
// would boot something else), downloads the Debian kernel and two initrds
// over QEMU's TFTP server and kexecs them. The target's /init prints its
// command line (which must carry BOOTIF= from IPAPPEND 2) and a file from
// each initrd.
//
// The second initrd carries a random (incompressible) pad so that the
// download is the benchmark size: the 5 MB kernel plus 26 MB of
// initrds. The log shows the time of each stage since the init started,
// and the init's peak RSS against the downloaded size + 32 MiB.
//
//	go test -tags e2e -run TestNetboot -v ./scripts/e2e/
//
// Under TCG the kexec'd s390x kernel needs about 44 s in its decompressor
// before it prints anything: the timeouts are generous and the stages up
// to kexec are timed separately.
func TestNetboot(t *testing.T) {
	for _, arch := range []string{"s390x", "amd64"} {
		t.Run(arch, func(t *testing.T) { testNetboot(t, arch, false) })
	}
}

// TestNetboot6 is TestNetboot's s390x boot on an IPv6-only network
// (-netdev user,ipv4=off,ipv6=on): the firmware loads pxelinux.0 over
// IPv6 (its DHCPv6 gets QEMU's option 59), the init finds QEMU's router
// advertisement (O flag: stateless DHCPv6), takes the boot file URL
// tftp://[fec0::2]/pxelinux.0 from DHCPv6, finds the MAC config over
// TFTP on IPv6 and kexecs the target, whose command line gets dracut's
// IPv6 ip= from IPAPPEND 1. The download is 7 MB (a 1 MiB pad), not
// TestNetboot's 31 MB.
//
//	go test -tags e2e -run TestNetboot6 -v ./scripts/e2e/
func TestNetboot6(t *testing.T) { testNetboot(t, "s390x", true) }

// netbootPad is the size of the pad file in the second initrd, so that
// kernel + initrds come to about 31 MB (the speed target's size).
const netbootPad = 25 << 20

// netbootPad6 is TestNetboot6's pad: the IPv6 boot checks the protocol,
// not the speed (the fetch rate is in the log), and CI's time is short.
const netbootPad6 = 1 << 20

func testNetboot(t *testing.T, arch string, ipv6 bool) {
	cache := Cache(t, arch)
	console := map[string]string{"s390x": "ttysclp0", "amd64": "ttyS0"}[arch]
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")

	// The netboot ramdisk with our init.
	mkram := BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH)
	pxeinit := BuildCmd(t, "./cmd/pxeinit", arch)
	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, mkram, "--arch", arch, "--init", pxeinit, "--modules-dir", filepath.Join(cache, "modules"), "-o", ramdisk)

	// The target: Debian's kernel, a busybox userspace and a second initrd.
	targetInit := `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "TARGET-UP cmdline=[$(/bin/busybox cat /proc/cmdline)] marker1=[$(/bin/busybox cat /marker1 2>&1)] marker2=[$(/bin/busybox cat /marker2 2>&1)] pad=[$(/bin/busybox wc -c < /pad 2>&1)]"
/bin/busybox poweroff -f
`
	padSize := netbootPad
	if ipv6 {
		padSize = netbootPad6
	}
	pad := make([]byte, padSize)
	rand.Read(pad)
	files := map[string][]byte{
		"target/vmlinuz":   netbootRead(t, filepath.Join(cache, "vmlinuz")),
		"target/initrd.gz": BusyboxInitramfs(t, arch, targetInit, Archive{"marker1": {Data: []byte("from-initrd-1")}}),
		"target/marker.gz": Archive{"marker2": {Data: []byte("from-initrd-2")}, "pad": {Data: pad}}.Cpio(t),
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(`SAY s390netboot e2e: the MAC config
DEFAULT e2e
LABEL e2e
  KERNEL target/vmlinuz
  INITRD target/initrd.gz,target/marker.gz
  APPEND console=` + console + ` quiet e2e=netboot
  IPAPPEND ` + map[bool]string{false: "2", true: "3"}[ipv6] + `
`),
		"pxelinux.cfg/default": []byte("DEFAULT wrong\nLABEL wrong\n  KERNEL target/vmlinuz\n  APPEND console=" + console + " e2e=WRONG-DEFAULT\n"),
	}
	var download int64
	for name, data := range files {
		p := filepath.Join(tftp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(name, "target/") {
			download += int64(len(data))
		}
	}
	t.Logf("download: kernel %d + initrds %d + %d bytes = %.1f MiB", len(files["target/vmlinuz"]),
		len(files["target/initrd.gz"]), len(files["target/marker.gz"]), float64(download)/(1<<20))

	q := QEMU{Arch: arch, Memory: "1024M", TFTPDir: tftp, BootFile: "pxelinux.0", IPv6Only: ipv6}
	switch arch {
	case "s390x":
		mks := BuildCmd(t, "./cmd/mks390image", runtime.GOARCH)
		netbootRun(t, mks, filepath.Join(cache, "vmlinuz"), ramdisk, "-o", filepath.Join(tftp, "pxelinux.0"),
			"--cmdline", "console="+console+" quiet")
	case "amd64":
		q.Kernel, q.Initrd, q.Append = filepath.Join(cache, "vmlinuz"), ramdisk, "console="+console+" quiet"
	}
	g := StartQEMU(t, q)

	start := g.Expect(`pxeinit: starting on`, 180*time.Second)
	stages, attrs, report := bootStages(t, g, 120*time.Second)
	if hwm := regexp.MustCompile(`vmhwm=(\d+)`).FindStringSubmatch(attrs["load"]); hwm != nil {
		peak, _ := strconv.ParseInt(hwm[1], 10, 64)
		limit := download + 32<<20
		t.Logf("peak RSS of the init: %.1f MiB; limit downloaded + 32 MiB = %.1f MiB", float64(peak)/(1<<20), float64(limit)/(1<<20))
		if peak > limit {
			// A speed target, not a functional failure; see the report.
			t.Logf("TARGET MISSED: peak RSS %d bytes exceeds downloaded size + 32 MiB (%d)", peak, limit)
		}
	}
	t.Logf("%s: /init started %v after QEMU; stages since /init:\n%s", arch, start.At.Round(time.Millisecond), report)
	net := map[bool]string{false: "IPv4", true: "IPv6"}[ipv6]
	t.Logf("SPEED %s %s: /init -> kexec %.3f s (target 6.5 s for s390x), lease %.3f s, fetch %.3f s",
		arch, net, stages["kexec"], stages["lease"], stages["fetched"]-stages["choice"])
	if arch == "s390x" && stages["kexec"] > 6.5 {
		t.Logf("TARGET MISSED: /init -> kexec %.3f s > 6.5 s (the machine's load average matters: QEMU is TCG)", stages["kexec"])
	}

	l := g.Expect(`TARGET-UP`, 240*time.Second)
	wants := []string{"e2e=netboot", "BOOTIF=01-52-54-00-12-34-56", "marker1=[from-initrd-1]",
		"marker2=[from-initrd-2]", fmt.Sprintf("pad=[%d]", padSize)}
	if ipv6 {
		// QEMU's SLAAC prefix fec0::/64 and the MAC's interface ID.
		wants = append(wants, "ip=[fec0::5054:ff:fe12:3456]:::64:::none")
	}
	for _, want := range wants {
		if !strings.Contains(l.Text, want) {
			t.Errorf("target /init: %q lacks %q", l.Text, want)
		}
	}
	if strings.Contains(l.Text, "WRONG-DEFAULT") {
		t.Errorf("pxelinux.cfg/default booted instead of the MAC config: %s", l.Text)
	}
	t.Logf("target up %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)
}

func netbootRun(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func netbootRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPxebootFetchDnsmasq drives `pxeboot fetch --iface` against dnsmasq
// (DHCP and TFTP) across a veth pair in a network namespace of its own:
// dnsmasq matches option 93 (0x1f, s390x) to hand out the boot file and
// options 209/210, pxeboot gets the lease, configures the link, fetches
// the config named by option 209 below the option-210 prefix, and writes
// the entry's kernel and initrds with plan.json.
func TestPxebootFetchDnsmasq(t *testing.T) {
	if inNetns(t, 2*time.Minute, pxebootEnv(t)) {
		return
	}
	vethPair(t, "10.31.0.1/24")
	dir := t.TempDir()
	tftp := filepath.Join(dir, "tftp")
	files := map[string]string{
		"s390x/pxelinux.cfg/s390":    "DEFAULT lab\nLABEL lab\n  KERNEL images/vmlinuz\n  INITRD images/a.gz,images/b.gz\n  APPEND console=ttysclp0\n  IPAPPEND 2\n",
		"s390x/pxelinux.cfg/default": "DEFAULT wrong\nLABEL wrong\n  KERNEL images/wrong\n",
		"s390x/images/vmlinuz":       strings.Repeat("kernel ", 100000),
		"s390x/images/a.gz":          "initrd a",
		"s390x/images/b.gz":          "initrd b",
	}
	for name, data := range files {
		p := filepath.Join(tftp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startDnsmasq(t, vethServer,
		"--enable-tftp", "--tftp-root="+tftp,
		"--dhcp-range=10.31.0.50,10.31.0.99,255.255.255.0,1h",
		"--dhcp-match=set:s390,option:client-arch,31",
		"--dhcp-boot=tag:s390,s390x/pxelinux.0",
		"--dhcp-option=tag:s390,209,pxelinux.cfg/s390",
		"--dhcp-option=tag:s390,210,s390x/",
		"--dhcp-option=option:router,10.31.0.1",
	)
	out := filepath.Join(dir, "out")
	start := time.Now()
	fetch := exec.Command(os.Getenv("PXEBOOT"), "fetch", "--iface", vethClient, "--dhcp-arch", "0x1f", "--timeout", "30s", "-o", out)
	b, err := fetch.CombinedOutput()
	t.Logf("pxeboot fetch (%v):\n%s", time.Since(start).Round(time.Millisecond), b)
	if err != nil {
		t.Fatalf("pxeboot fetch: %v", err)
	}
	var plan struct {
		Config string `json:"config"`
		Boot   struct {
			Label   string `json:"label"`
			Cmdline string `json:"cmdline"`
			Kernel  struct {
				File, SHA256 string
				Size         int
			} `json:"kernel"`
			Initrds []struct{ File string } `json:"initrds"`
		} `json:"boot"`
	}
	pj, err := os.ReadFile(filepath.Join(out, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pj, &plan); err != nil {
		t.Fatalf("plan.json: %v\n%s", err, pj)
	}
	if plan.Config != "s390x/pxelinux.cfg/s390" || plan.Boot.Label != "lab" || len(plan.Boot.Initrds) != 2 ||
		!strings.Contains(plan.Boot.Cmdline, "BOOTIF=01-") || plan.Boot.Kernel.Size != len(files["s390x/images/vmlinuz"]) {
		t.Errorf("plan.json:\n%s", pj)
	}
	for _, f := range append([]string{plan.Boot.Kernel.File}, plan.Boot.Initrds[0].File, plan.Boot.Initrds[1].File) {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}
