//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/s390image"
)

// TestKexec boots a QEMU guest whose /init runs pxeclient/kexec's test
// program (pxeclient/kexec/internal/kexectest): it checks that a kernel
// for the other architecture is refused, loads the Debian kernel of the
// guest's own architecture with a second busybox ramdisk, and starts it.
// The second kernel's /init prints its command line and a file from a
// second, concatenated ramdisk.
//
//   - s390x/kexec_load: Debian's s390x kernel has no kexec_file_load, so this
//     runs the ENOSYS fallback with the segments of S390Segments, two
//     ramdisks joined by ConcatInitrds.
//   - s390x/single-boot-image: a single boot image (kernel + ramdisk +
//     command line in one file) with no ramdisk and no command line given:
//     the embedded ones must survive the kexec.
//   - amd64/kexec_file_load: memfds and kexec_file_load.
//
// Under TCG the kexec'd s390x kernel needs about 44 s on an idle host
// before it prints its banner (inside the new kernel before its first
// message; the same with kexec-tools): an emulator cost, not the loader's.
// On a busy host it grows: 137 s and 166 s were measured at load average 9
// on 2 cores, against 0.2 s for Load itself. Run with
//
//	go test -tags e2e -run TestKexec -v ./scripts/e2e/
func TestKexec(t *testing.T) {
	tests := []struct {
		name, arch string
		sbi        bool // kexec a single boot image without initrd or append
	}{
		{"s390x/kexec_load", "s390x", false},
		{"s390x/single-boot-image", "s390x", true},
		{"amd64/kexec_file_load", "amd64", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testKexec(t, tt.arch, tt.sbi) })
	}
}

func testKexec(t *testing.T, arch string, sbi bool) {
	other := map[string]string{"s390x": "amd64", "amd64": "s390x"}[arch]
	console := map[string]string{"s390x": "console=ttysclp0", "amd64": "console=ttyS0"}[arch]
	kernel, err := os.ReadFile(filepath.Join(Cache(t, arch), "vmlinuz"))
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := os.ReadFile(filepath.Join(Cache(t, other), "vmlinuz"))
	if err != nil {
		t.Fatal(err)
	}
	stage2 := BusyboxInitramfs(t, arch, `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "STAGE2-UP cmdline=[$(/bin/busybox cat /proc/cmdline)] marker=[$(/bin/busybox cat /marker 2>&1)]"
/bin/busybox poweroff -f
`, nil)
	extra := Archive{"marker": {Data: []byte("second-initrd")}}.Cpio(t)

	files := Archive{
		"bin/kexectest": {Data: kexecReadFile(t, BuildCmd(t, "./pxeclient/kexec/internal/kexectest", arch)), Exec: true},
		"kexec/wrong":   {Data: wrong},
		"kexec/stage2":  {Data: stage2},
		"kexec/extra":   {Data: extra},
		"kexec/vmlinuz": {Data: kernel},
	}
	args := "-kernel /kexec/vmlinuz -initrd /kexec/stage2 -initrd /kexec/extra -append '" + console + " e2e=plain' -wrong /kexec/wrong"
	wantCmdline, wantMarker := "e2e=plain", "marker=[second-initrd]"
	if sbi {
		files["kexec/vmlinuz"] = Entry{Data: kexecSingleBootImage(t, kernel, stage2, console+" e2e=embedded")}
		args = "-kernel /kexec/vmlinuz"
		wantCmdline, wantMarker = "e2e=embedded", "marker=[cat: can't open '/marker'"
	}
	init := `#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
echo STAGE1-UP
/bin/kexectest ` + args + `
echo STAGE1-KEXEC-FAILED
/bin/busybox poweroff -f
`
	rd := filepath.Join(t.TempDir(), "stage1.cpio.gz")
	if err := os.WriteFile(rd, BusyboxInitramfs(t, arch, init, files), 0o644); err != nil {
		t.Fatal(err)
	}
	g := StartQEMU(t, QEMU{Arch: arch, Memory: "1024M", Kernel: filepath.Join(Cache(t, arch), "vmlinuz"),
		Initrd: rd, Append: console + " quiet", NoNet: true})
	up := g.Expect("STAGE1-UP", 120*time.Second)
	if !sbi {
		l := g.Expect("KEXECTEST: wrong-arch refused", 30*time.Second)
		t.Logf("%s", l.Text)
	}
	if arch == "s390x" {
		g.Expect("kexec_file_load not available \\(ENOSYS\\)", 30*time.Second)
	}
	loaded := g.Expect("KEXECTEST: loaded in", 30*time.Second)
	l, i, err := g.ExpectAny(240*time.Second, "STAGE2-UP", "KEXECTEST: FAIL", "STAGE1-KEXEC-FAILED")
	if err != nil || i != 0 {
		t.Fatalf("second kernel did not come up: %v %s", err, l.Text)
	}
	if !strings.Contains(l.Text, wantCmdline) || !strings.Contains(l.Text, wantMarker) {
		t.Errorf("second kernel: %q, want %q and %q", l.Text, wantCmdline, wantMarker)
	}
	t.Logf("%s: /init at %v, %s, second kernel's /init %v later: %s",
		arch, up.At.Round(time.Millisecond), strings.TrimPrefix(loaded.Text, "KEXECTEST: "), (l.At - loaded.At).Round(time.Millisecond), l.Text)
}

// kexecSingleBootImage makes a single boot image the way mks390image does:
// the kernel padded to 4 KiB, the ramdisk behind it, its place and the
// command line in the parameter area.
func kexecSingleBootImage(t *testing.T, kernel, ramdisk []byte, cmdline string) []byte {
	n := (len(kernel) + s390image.RamdiskAlign - 1) &^ (s390image.RamdiskAlign - 1)
	b := make([]byte, n, n+len(ramdisk))
	copy(b, kernel)
	b = append(b, ramdisk...)
	if err := s390image.SetInitrd(b, uint64(n), uint64(len(ramdisk))); err != nil {
		t.Fatal(err)
	}
	if err := s390image.SetCmdline(b, cmdline); err != nil {
		t.Fatal(err)
	}
	return b
}

func kexecReadFile(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
