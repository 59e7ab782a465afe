//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ramdiskBudget is the size limit of an s390x network-only netboot
// ramdisk (mkpxeramfs --module-set net), gzip-compressed. The default
// ramdisk adds the disk set (block drivers and filesystems, about 2.8 MB).
const ramdiskBudget = 4 << 20

// buildRamdisk runs mkpxeramfs for arch with its defaults and extra: the
// init is cmd/pxeinit built from this checkout, the modules the
// architecture's default sets (network and disk) from the Debian tree.
func buildRamdisk(t *testing.T, arch string, extra ...string) []byte {
	t.Helper()
	mk := BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH)
	out := filepath.Join(t.TempDir(), "ramdisk-"+arch+".gz")
	args := append([]string{"--arch", arch, "--modules-dir", filepath.Join(Cache(t, arch), "modules"), "-o", out, "-v"}, extra...)
	cmd := exec.Command(mk, args...)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mkpxeramfs %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	t.Logf("mkpxeramfs %s:\n%s", strings.Join(args, " "), lastLine(stderr.String()))
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestRamdisk boots the Debian kernels with the ramdisk mkpxeramfs builds
// by default: pxeinit must load virtio_net after its dependencies (and, on
// amd64, the virtio PCI transport), and every other module of the network
// and disk sets without an error, and get 10.0.2.15 from QEMU's DHCP
// server. The network-only ramdisk (--module-set net) must stay within
// ramdiskBudget on s390x.
func TestRamdisk(t *testing.T) {
	tests := []struct {
		arch    string
		console string
		modules []string // in the order the console must show them
	}{
		{"s390x", "ttysclp0", []string{"failover", "net_failover", "virtio_net"}},
		{"amd64", "ttyS0", []string{"virtio_ring", "virtio", "failover", "net_failover", "virtio_net", "virtio_pci"}},
	}
	for _, tt := range tests {
		t.Run(tt.arch, func(t *testing.T) {
			ramdisk := buildRamdisk(t, tt.arch)
			again := buildRamdisk(t, tt.arch)
			if !bytes.Equal(ramdisk, again) {
				t.Errorf("two builds of the %s ramdisk differ", tt.arch)
			}
			netOnly := buildRamdisk(t, tt.arch, "--module-set", "net")
			t.Logf("%s ramdisk: %d bytes gzip, network-only %d", tt.arch, len(ramdisk), len(netOnly))
			if tt.arch == "s390x" && len(netOnly) > ramdiskBudget {
				t.Errorf("s390x network-only ramdisk is %d bytes, over the %d-byte budget", len(netOnly), ramdiskBudget)
			}
			initrd := filepath.Join(t.TempDir(), "ramdisk.gz")
			if err := os.WriteFile(initrd, ramdisk, 0o644); err != nil {
				t.Fatal(err)
			}
			g := StartQEMU(t, QEMU{
				Arch:   tt.arch,
				Kernel: filepath.Join(Cache(t, tt.arch), "vmlinuz"),
				Initrd: initrd,
				Append: "console=" + tt.console + " pxeinit.debug",
			})
			g.Expect(`pxeinit: starting on linux/`+tt.arch, 90*time.Second)
			for _, m := range tt.modules {
				g.Expect(`^pxeinit: module loaded module=`+m+` `, 30*time.Second)
			}
			l := g.Expect(`^pxeinit: stage=modules `, 30*time.Second)
			t.Logf("%s: modules loaded at %.1f s after QEMU started", tt.arch, l.At.Seconds())
			l = g.Expect(`^pxeinit: DHCP lease .*address=10\.0\.2\.15/24`, 60*time.Second)
			t.Logf("%s: DHCP lease at %.1f s after QEMU started", tt.arch, l.At.Seconds())
			if c := g.Console(); strings.Contains(c, "module not loaded") {
				t.Errorf("a bundled module failed to load:\n%s", c)
			}
		})
	}
}
