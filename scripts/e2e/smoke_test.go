//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHarnessSmoke(t *testing.T) {
	for _, arch := range []string{"s390x", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			c := Cache(t, arch)
			rd := BusyboxInitramfs(t, arch, "#!/bin/sh\n/bin/busybox mount -t proc proc /proc\necho HELLO-FROM-INIT $(/bin/busybox cat /proc/cmdline)\n/bin/busybox poweroff -f\n", nil)
			p := filepath.Join(t.TempDir(), "rd")
			os.WriteFile(p, rd, 0o644)
			app := "console=ttysclp0 quiet"
			if arch == "amd64" {
				app = "console=ttyS0 quiet"
			}
			g := StartQEMU(t, QEMU{Arch: arch, Kernel: filepath.Join(c, "vmlinuz"), Initrd: p, Append: app, NoNet: true})
			l := g.Expect("HELLO-FROM-INIT", 120*time.Second)
			t.Logf("%v %s", l.At, l.Text)
		})
	}
}
