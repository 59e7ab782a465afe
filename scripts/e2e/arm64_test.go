//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNetbootARM64 boots the client on QEMU's arm64 virt machine (TCG,
// cortex-a57): Debian 12's arm64 kernel with the netboot ramdisk of
// mkpxeramfs --arch arm64 (virtio_net and the virtio PCI and MMIO
// transports), whose init gets a lease from QEMU's user network, finds
// pxelinux.cfg/01-52-54-00-12-34-56 over QEMU's TFTP server, downloads the
// target and kexecs it; the target's /init prints its command line and a
// file from its initrd.
//
// Debian 12's arm64 kernel has CONFIG_KEXEC but not CONFIG_KEXEC_FILE, so
// the client loads with kexec_load: kernel, ramdisk, the running kernel's
// device tree with a new /chosen node, and a purgatory. The target kernel
// is served gzip-compressed (see targetTree); the client inflates it, as
// kexec-tools does.
//
//	go test -tags e2e -run TestNetbootARM64 -v ./scripts/e2e/
func TestNetbootARM64(t *testing.T) {
	const arch = "arm64"
	cache := Cache(t, arch)
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")
	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH), "--arch", arch,
		"--init", BuildCmd(t, "./cmd/pxeinit", arch), "--modules-dir", filepath.Join(cache, "modules"), "-o", ramdisk)
	writeTree(t, tftp, targetTree(t, arch, "arm64"))
	t.Logf("ramdisk %d bytes", fileSize(t, ramdisk))

	g := StartQEMU(t, QEMU{Arch: arch, Memory: "1024M", TFTPDir: tftp, BootFile: "pxelinux.0",
		Kernel: filepath.Join(cache, "vmlinuz"), Initrd: ramdisk, Append: "console=" + targetConsole[arch]})
	start := g.Expect(`pxeinit: starting on linux/arm64`, 300*time.Second)
	stages, _, report := bootStages(t, g, 300*time.Second)
	t.Logf("arm64: /init started %v after QEMU; stages since /init:\n%s", start.At.Round(time.Millisecond), report)
	t.Logf("SPEED arm64: /init -> lease %.3f s, -> kexec %.3f s", stages["lease"], stages["kexec"])
	if !strings.Contains(g.Console(), "using kexec_load") {
		t.Errorf("the console does not say that kexec_load was used (Debian 12's arm64 kernel lacks kexec_file_load)")
	}
	expectTarget(t, g, "arm64")
}

// targetConsole is the serial console of the guests of each architecture.
var targetConsole = map[string]string{"s390x": "ttysclp0", "amd64": "ttyS0", "arm64": "ttyAMA0"}

// targetTree returns a TFTP tree whose pxelinux.cfg/01-52-54-00-12-34-56
// boots the Debian kernel of arch with a busybox initrd and e2e=TAG on the
// command line (IPAPPEND 2 adds BOOTIF=); the initrd's /init prints
// "TARGET-UP cmdline=[...] marker=[...]" (expectTarget) and powers off.
// The arm64 kernel is served gzip-compressed: Debian 12's arm64 vmlinuz is
// the uncompressed 31 MiB Image, and Image.gz is a third of the download
// (tens of seconds under TCG); the client inflates it.
func targetTree(t *testing.T, arch, tag string) map[string][]byte {
	t.Helper()
	kernel, name := netbootRead(t, filepath.Join(Cache(t, arch), "vmlinuz")), "target/vmlinuz"
	if arch == "arm64" {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(kernel)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("target kernel: the %d-byte Image served as Image.gz, %d bytes", len(kernel), gz.Len())
		kernel, name = gz.Bytes(), "target/Image.gz"
	}
	init := `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "TARGET-UP cmdline=[$(/bin/busybox cat /proc/cmdline)] marker=[$(/bin/busybox cat /marker 2>&1)]"
/bin/busybox poweroff -f
`
	return map[string][]byte{
		name:               kernel,
		"target/initrd.gz": BusyboxInitramfs(t, arch, init, Archive{"marker": {Data: []byte("from-the-initrd")}}),
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(`DEFAULT e2e
LABEL e2e
  KERNEL ` + name + `
  INITRD target/initrd.gz
  APPEND console=` + targetConsole[arch] + ` e2e=` + tag + `
  IPAPPEND 2
`),
	}
}

// expectTarget waits for the line of targetTree's /init and checks it.
func expectTarget(t *testing.T, g *Guest, tag string) {
	t.Helper()
	l := g.Expect(`TARGET-UP`, 300*time.Second)
	for _, want := range []string{"e2e=" + tag, "BOOTIF=01-52-54-00-12-34-56", "marker=[from-the-initrd]"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("target /init: %q lacks %q", l.Text, want)
		}
	}
	t.Logf("target up %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)
}

// bootStages reads the init's "pxeinit: stage=NAME t=SECs dt=SECs ATTRS"
// lines until stage=kexec and returns each stage's time since /init, the
// attributes of each stage line (" kernel=... vmhwm=...") and a printable
// report; an init error fails the test.
func bootStages(t *testing.T, g *Guest, timeout time.Duration) (stages map[string]float64, attrs map[string]string, report string) {
	t.Helper()
	const stageRe = `^pxeinit: stage=(\w+) t=([0-9.]+)s dt=([0-9.]+)s(.*)$`
	stages, attrs = map[string]float64{}, map[string]string{}
	var lines []string
	for {
		l, i, err := g.ExpectAny(timeout, stageRe, `^pxeinit: error:`)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			t.Fatalf("the init failed: %s", l.Text)
		}
		m := Submatch(stageRe, l)
		sec, _ := strconv.ParseFloat(m[2], 64)
		dt, _ := strconv.ParseFloat(m[3], 64)
		stages[m[1]], attrs[m[1]] = sec, m[4]
		lines = append(lines, fmt.Sprintf("  %-8s t=%7.3fs dt=%6.3fs%s", m[1], sec, dt, m[4]))
		if m[1] == "kexec" {
			return stages, attrs, strings.Join(lines, "\n")
		}
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
