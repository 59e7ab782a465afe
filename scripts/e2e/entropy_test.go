//go:build e2e

package e2e

import (
	"fmt"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNetbootHTTPSEntropy boots the amd64 netboot ramdisk on QEMU's
// default x86 CPU, which has no RDRAND, with the target's kernel and
// initrd on an HTTPS server of the test. DHCP must not wait for the
// kernel's random pool; TLS must, and the init says so on the console
// (what waits, and why) before the handshake, unless the machine has a
// source for the pool: with a virtio-rng device the ramdisk's virtio_rng
// module feeds it, and nothing waits.
//
//	go test -tags e2e -run TestNetbootHTTPSEntropy -v ./scripts/e2e/
func TestNetbootHTTPSEntropy(t *testing.T) {
	for _, tt := range []struct {
		name string
		rng  bool
	}{{"no-rng", false}, {"virtio-rng", true}} {
		t.Run(tt.name, func(t *testing.T) { testNetbootHTTPSEntropy(t, tt.rng) })
	}
}

func testNetbootHTTPSEntropy(t *testing.T, rng bool) {
	const arch = "amd64"
	cache := Cache(t, arch)
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")
	ca := testenv.NewCA(t, "s390netboot e2e entropy CA")
	caFile := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	initrd := BusyboxInitramfs(t, arch, targetInit, Archive{"marker1": {Data: []byte("over-https")}})
	srv := startFileServer(t, "https", map[string][]byte{
		"vmlinuz": netbootRead(t, filepath.Join(cache, "vmlinuz")), "initrd.gz": initrd,
	}, new(ca.Issue(t, []net.IP{net.ParseIP("10.0.2.2")}, nil)))
	writeTree(t, tftp, map[string][]byte{"pxelinux.cfg/default": []byte(fmt.Sprintf(`DEFAULT https
LABEL https
  KERNEL %[1]s/vmlinuz
  INITRD %[1]s/initrd.gz
  APPEND console=ttyS0 quiet e2e=https-entropy
`, srv.url))})

	q := netbootGuest(t, arch, tftp, "--ca-bundle", caFile)
	if rng {
		q.Extra = append(q.Extra, "-device", "virtio-rng-pci")
	}
	g := StartQEMU(t, q)
	start := g.Expect(`pxeinit: starting on linux/amd64`, 180*time.Second)
	lease := g.Expect(`^pxeinit: stage=lease `, 60*time.Second)
	t.Logf("lease %v after the init started: %s", (lease.At - start.At).Round(time.Millisecond), lease.Text)

	waitRe := `^pxeinit: warning: waiting for the kernel's random pool: HTTPS \(TLS to ` + regexp.QuoteMeta(strings.TrimPrefix(srv.url, "https://")) + `\) needs cryptographic randomness`
	l, i, err := g.ExpectAny(60*time.Second, waitRe, `^pxeinit: stage=fetch `, `^pxeinit: error:`)
	switch {
	case err != nil:
		t.Fatal(err)
	case i == 2:
		t.Fatalf("the init failed: %s", l.Text)
	case i == 0 && rng:
		t.Errorf("with a virtio-rng device the init still waited for the pool: %s", l.Text)
	case i == 1 && !rng:
		t.Errorf("the first HTTPS download came without the message that it waits for the pool: %s", l.Text)
	}
	if i == 0 {
		ready := g.Expect(`^pxeinit: random pool ready waited=`, 600*time.Second)
		t.Logf("waited for the pool: %s (%v after the message)", ready.Text, (ready.At - l.At).Round(time.Millisecond))
	}
	kexec := g.Expect(`^pxeinit: stage=kexec `, 300*time.Second)
	t.Logf("kexec %v after the init started", (kexec.At - start.At).Round(time.Millisecond))
	target := g.Expect(`TARGET-UP`, 240*time.Second)
	if !strings.Contains(target.Text, "marker1=[over-https]") || !strings.Contains(target.Text, "e2e=https-entropy") {
		t.Errorf("target /init: %s", target.Text)
	}
	if n := srv.hellos.Load(); n < 1 {
		t.Errorf("the HTTPS server saw no TLS handshake")
	}
}
