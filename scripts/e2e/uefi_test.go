//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// uefiGuest is what a UEFI guest of one architecture needs.
type uefiGuest struct {
	code, vars string // the firmware and its variable store, copied per guest
	pkg        string // the Debian package holding them
	stub       string // systemd's EFI stub; "" for mkuki's default (the host's)
	extra      []string
}

var uefiGuests = map[string]uefiGuest{
	// OVMF (package ovmf), with the stub of the host's systemd-boot-efi.
	"amd64": {code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd", pkg: "ovmf"},
	// AAVMF (package qemu-efi-aarch64), with the arm64 stub that
	// scripts/fetch-kernels.sh unpacks. AAVMF offers the kernel no
	// EFI_RNG_PROTOCOL and the virt machine's ACPI boot no rng-seed:
	// without virtio-rng the kernel's random pool is not ready in
	// minutes, and the init waits for it before DHCP.
	"arm64": {code: "/usr/share/AAVMF/AAVMF_CODE.fd", vars: "/usr/share/AAVMF/AAVMF_VARS.fd", pkg: "qemu-efi-aarch64",
		stub: "efi-stub", extra: []string{"-device", "virtio-rng-pci"}},
}

// TestNetbootUEFI boots the client the way a PC (or an arm64 server)
// does from a disk or USB stick: the UEFI firmware finds
// EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI) on an EFI system partition made by
// mkuki (a unified kernel image: systemd's EFI stub with Debian's kernel,
// the netboot ramdisk of mkpxeramfs and the command line), the stub starts
// the kernel with the ramdisk, and our init gets a lease from QEMU's user
// network, finds pxelinux.cfg/01-52-54-00-12-34-56 over QEMU's TFTP server
// and kexecs the target, whose /init prints its command line and a file
// from its initrd.
//
// On arm64 the firmware boots the kernel with ACPI: the device tree the
// kernel sees is the one the EFI stub generates (/chosen and the UEFI
// system table), and kexec_load passes it on with the target's /chosen.
//
//	go test -tags e2e -run TestNetbootUEFI -v ./scripts/e2e/
func TestNetbootUEFI(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) { testNetbootUEFI(t, arch) })
	}
}

func testNetbootUEFI(t *testing.T, arch string) {
	fw := uefiGuests[arch]
	cache := Cache(t, arch)
	for _, f := range []string{fw.code, fw.vars} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%v: apt-get install %s (scripts/install-deps.sh does this)", err, fw.pkg)
		}
	}
	NeedTool(t, "mcopy", "mtools")
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")

	ramdisk := filepath.Join(work, "pxeramfs.cpio.gz")
	netbootRun(t, BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH), "--arch", arch,
		"--init", BuildCmd(t, "./cmd/pxeinit", arch), "--modules-dir", filepath.Join(cache, "modules"), "-o", ramdisk)
	uki, esp := filepath.Join(work, "netboot.efi"), filepath.Join(work, "esp.img")
	args := []string{"--kernel", filepath.Join(cache, "vmlinuz"), "--initrd", ramdisk,
		"--cmdline", "console=" + targetConsole[arch], "-o", uki, "--esp", esp}
	if fw.stub != "" {
		stub := filepath.Join(cache, fw.stub)
		if _, err := os.Stat(stub); err != nil {
			t.Fatalf("%v: the cache predates the stub: rm -r %s and run scripts/fetch-kernels.sh %s", err, cache, arch)
		}
		args = append(args, "--stub", stub)
	}
	netbootRun(t, BuildCmd(t, "./cmd/mkuki", runtime.GOARCH), args...)
	vars := filepath.Join(work, "VARS.fd")
	if err := os.WriteFile(vars, netbootRead(t, fw.vars), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("ramdisk %d bytes, UKI %d bytes, ESP image %d bytes", fileSize(t, ramdisk), fileSize(t, uki), fileSize(t, esp))
	writeTree(t, tftp, targetTree(t, arch, "uefi-"+arch))

	g := StartQEMU(t, QEMU{Arch: arch, Memory: "1024M", TFTPDir: tftp, Extra: append([]string{
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + fw.code,
		"-drive", "if=pflash,format=raw,unit=1,file=" + vars,
		"-drive", "if=none,id=esp,format=raw,file=" + esp,
		"-device", "virtio-blk-pci,drive=esp,bootindex=1",
	}, fw.extra...)})
	boot := g.Expect(`BdsDxe: starting`, 300*time.Second)
	stub := g.Expect(`EFI stub: Loaded initrd`, 300*time.Second)
	start := g.Expect(`pxeinit: starting on linux/`+arch, 300*time.Second)
	stages, _, report := bootStages(t, g, 300*time.Second)
	t.Logf("UEFI %s: the firmware starts the UKI at %v, the stub has loaded the initrd at %v, /init starts at %v after QEMU; stages since /init:\n%s",
		arch, boot.At.Round(time.Millisecond), stub.At.Round(time.Millisecond), start.At.Round(time.Millisecond), report)
	t.Logf("SPEED uefi %s: /init -> lease %.3f s, -> kexec %.3f s", arch, stages["lease"], stages["kexec"])
	expectTarget(t, g, "uefi-"+arch)
}
