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

// OVMF, Debian's UEFI firmware for x86-64 guests (package ovmf): the
// code, and the variable store each guest gets a copy of.
const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// TestNetbootUEFI boots the client the way a PC does from a disk or USB
// stick: OVMF finds EFI/BOOT/BOOTX64.EFI on an EFI system partition made
// by mkuki (a unified kernel image: systemd's EFI stub with Debian's amd64
// kernel, the netboot ramdisk of mkpxeramfs and the command line), the
// stub starts the kernel with the ramdisk, and our init gets a lease from
// QEMU's user network, finds pxelinux.cfg/01-52-54-00-12-34-56 over
// QEMU's TFTP server and kexecs the target, whose /init prints its command
// line and a file from its initrd.
//
//	go test -tags e2e -run TestNetbootUEFI -v ./scripts/e2e/
func TestNetbootUEFI(t *testing.T) {
	const arch = "amd64"
	cache := Cache(t, arch)
	for _, f := range []string{ovmfCode, ovmfVars} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v: apt-get install ovmf (scripts/install-deps.sh does this)", err)
		}
	}
	NeedTool(t, "mcopy", "mtools")
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")

	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH), "--arch", arch,
		"--init", BuildCmd(t, "./cmd/pxeinit", arch), "--modules-dir", filepath.Join(cache, "modules"), "-o", ramdisk)
	uki, esp := filepath.Join(work, "netboot.efi"), filepath.Join(work, "esp.img")
	netbootRun(t, BuildCmd(t, "./cmd/mkuki", runtime.GOARCH), "--kernel", filepath.Join(cache, "vmlinuz"),
		"--initrd", ramdisk, "--cmdline", "console=ttyS0", "-o", uki, "--esp", esp)
	vars := filepath.Join(work, "OVMF_VARS.fd")
	if err := os.WriteFile(vars, netbootRead(t, ovmfVars), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("ramdisk %d bytes, UKI %d bytes, ESP image %d bytes", fileSize(t, ramdisk), fileSize(t, uki), fileSize(t, esp))

	targetInit := `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "TARGET-UP cmdline=[$(/bin/busybox cat /proc/cmdline)] marker=[$(/bin/busybox cat /marker 2>&1)]"
/bin/busybox poweroff -f
`
	writeTree(t, tftp, map[string][]byte{
		"target/vmlinuz":   netbootRead(t, filepath.Join(cache, "vmlinuz")),
		"target/initrd.gz": BusyboxInitramfs(t, arch, targetInit, Archive{"marker": {Data: []byte("from-the-initrd")}}),
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(`DEFAULT e2e
LABEL e2e
  KERNEL target/vmlinuz
  INITRD target/initrd.gz
  APPEND console=ttyS0 e2e=uefi
  IPAPPEND 2
`),
	})

	g := StartQEMU(t, QEMU{Arch: arch, Memory: "1024M", TFTPDir: tftp, Extra: []string{
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmfCode,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars,
		"-drive", "if=none,id=esp,format=raw,file=" + esp,
		"-device", "virtio-blk-pci,drive=esp,bootindex=1",
	}})
	start := g.Expect(`pxeinit: starting on linux/amd64`, 300*time.Second)
	stages, report := bootStages(t, g, 300*time.Second)
	t.Logf("UEFI: /init started %v after QEMU (firmware, stub, kernel); stages since /init:\n%s", start.At.Round(time.Millisecond), report)
	t.Logf("SPEED uefi: /init -> lease %.3f s, -> kexec %.3f s", stages["lease"], stages["kexec"])
	l := g.Expect(`TARGET-UP`, 300*time.Second)
	for _, want := range []string{"e2e=uefi", "BOOTIF=01-52-54-00-12-34-56", "marker=[from-the-initrd]"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("target /init: %q lacks %q", l.Text, want)
		}
	}
	t.Logf("target up %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)
}
