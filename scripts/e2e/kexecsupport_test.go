//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// trixieS390x is the cache of Debian 13's s390x kernel (6.12), which is
// built without CONFIG_KEXEC and CONFIG_KEXEC_FILE
// (scripts/fetch-kernels.sh s390x-trixie).
const trixieS390x = "s390x-trixie"

// TestFirstStageWithoutKexec starts the netboot ramdisk on Debian 13's
// s390x kernel, which cannot kexec: the init must say so at once, naming
// the missing system calls and their options, before it loads a module or
// touches the network, and stay alive (PID 1 exiting would panic the
// kernel).
//
// The ramdisk has no modules: the probe comes before the network, and
// QEMU 7.2 loses unicast UDP replies to a 6.12 guest anyway, so a
// network step would prove nothing here.
func TestFirstStageWithoutKexec(t *testing.T) {
	cache := Cache(t, trixieS390x)
	work := t.TempDir()
	mkram := BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH)
	pxeinit := BuildCmd(t, "./cmd/pxeinit", "s390x")
	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, mkram, "--arch", "s390x", "--init", pxeinit, "-o", ramdisk)

	g := StartQEMU(t, QEMU{Arch: "s390x", Kernel: filepath.Join(cache, "vmlinuz"), Initrd: ramdisk,
		Append: "console=ttysclp0 quiet"})
	start := g.Expect(`pxeinit: starting on linux/s390x`, 180*time.Second)
	l := g.Expect(`^pxeinit: error: .*never boot a target`, 30*time.Second)
	for _, want := range []string{"kexec_file_load (CONFIG_KEXEC_FILE)", "kexec_load (CONFIG_KEXEC)"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("the init's message lacks %q: %s", want, l.Text)
		}
	}
	t.Logf("the init said %v after it started: %s", (l.At - start.At).Round(time.Millisecond), l.Text)
	// Nothing follows: no step of the boot flow, no panic of PID 1.
	if l, _, err := g.ExpectAny(10*time.Second, `pxeinit: stage=`, `(?i)kernel panic|Attempted to kill init`); err == nil {
		t.Errorf("after the message, the console showed: %s", l.Text)
	}
	for _, bad := range []string{"stage=", "DHCP", "lease"} {
		if c := g.Console(); strings.Contains(c, bad) {
			t.Errorf("the init went on to the boot flow (%q on the console)", bad)
		}
	}
}

// TestNetbootTrixieTarget boots Debian 13's s390x kernel (6.12) as the
// target of the usual first stage (Debian 12's kernel, which has
// kexec_load): any kernel can be a target, whether or not it could kexec
// itself. Same tree as TestNetboot, one initrd; the target's /init prints
// its kernel release and command line.
func TestNetbootTrixieTarget(t *testing.T) {
	first := Cache(t, "s390x")
	target := Cache(t, trixieS390x)
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")

	mkram := BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH)
	mks := BuildCmd(t, "./cmd/mks390image", runtime.GOARCH)
	pxeinit := BuildCmd(t, "./cmd/pxeinit", "s390x")
	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, mkram, "--arch", "s390x", "--init", pxeinit, "--modules-dir", filepath.Join(first, "modules"), "-o", ramdisk)

	targetInit := `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "TARGET-UP release=[$(/bin/busybox uname -r)] cmdline=[$(/bin/busybox cat /proc/cmdline)]"
/bin/busybox poweroff -f
`
	files := map[string][]byte{
		"target/vmlinuz":   netbootRead(t, filepath.Join(target, "vmlinuz")),
		"target/initrd.gz": BusyboxInitramfs(t, "s390x", targetInit, nil),
		"pxelinux.cfg/default": []byte(`DEFAULT trixie
LABEL trixie
  KERNEL target/vmlinuz
  INITRD target/initrd.gz
  APPEND console=ttysclp0 quiet e2e=trixie-target
`),
	}
	for name, data := range files {
		p := filepath.Join(tftp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	netbootRun(t, mks, filepath.Join(first, "vmlinuz"), ramdisk, "-o", filepath.Join(tftp, "pxelinux.0"),
		"--cmdline", "console=ttysclp0 quiet")

	g := StartQEMU(t, QEMU{Arch: "s390x", TFTPDir: tftp, BootFile: "pxelinux.0"})
	g.Expect(`pxeinit: starting on`, 180*time.Second)
	if l, i, err := g.ExpectAny(120*time.Second, `^pxeinit: stage=kexec`, `^pxeinit: error:`); err != nil || i != 0 {
		t.Fatalf("the first stage did not reach kexec: %v %s", err, l.Text)
	}
	release, err := os.ReadFile(filepath.Join(target, "version"))
	if err != nil {
		t.Fatal(err)
	}
	l := g.Expect(`TARGET-UP`, 240*time.Second)
	for _, want := range []string{"release=[" + strings.TrimSpace(string(release)) + "]", "e2e=trixie-target"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("target /init: %q lacks %q", l.Text, want)
		}
	}
	t.Logf("target up %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)
}
