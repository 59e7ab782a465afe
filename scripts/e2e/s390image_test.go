//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestS390ImageNetboot builds a single boot image from the Debian s390x
// kernel and a busybox initramfs with mks390image, embedding a command
// line, and network-boots it through the s390-ccw firmware (QEMU's DHCP
// and TFTP). Not -kernel: QEMU writes its -append string over the image's
// command line area. The /init prints /proc/cmdline, which must be the
// embedded line.
func TestS390ImageNetboot(t *testing.T) {
	cache := Cache(t, "s390x")
	mks := BuildCmd(t, "./cmd/mks390image", runtime.GOARCH)
	dir := t.TempDir()
	const cmdline = "console=ttysclp0 quiet s390netboot.test=embedded-42"
	init := "#!/bin/sh\n" +
		"/bin/busybox mount -t proc proc /proc\n" +
		"echo \"CMDLINE=[$(/bin/busybox cat /proc/cmdline)]\"\n" +
		"/bin/busybox poweroff -f\n"
	rd := filepath.Join(t.TempDir(), "initrd.cpio.gz")
	if err := os.WriteFile(rd, BusyboxInitramfs(t, "s390x", init, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "pxelinux.0")
	// The mission's command, flags after the arguments.
	cmd := exec.Command(mks, filepath.Join(cache, "vmlinuz"), rd, "-o", img, "--cmdline", cmdline)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
	} else {
		t.Logf("%s", out)
	}
	info, err := exec.Command(mks, "--info", img).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "in the file: a single boot image") {
		t.Fatalf("mks390image --info: %v\n%s", err, info)
	}
	t.Logf("%s", info)

	g := StartQEMU(t, QEMU{Arch: "s390x", TFTPDir: dir, BootFile: "pxelinux.0"})
	l := g.Expect(`CMDLINE=\[`, 180*time.Second)
	if want := "CMDLINE=[" + cmdline + "]"; !strings.Contains(l.Text, want) {
		t.Fatalf("the guest saw %q, want %q", l.Text, want)
	}
	t.Logf("/init saw the embedded command line %v after QEMU started", l.At)
}
