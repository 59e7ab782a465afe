package bls

import (
	"debug/pe"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
	"github.com/s390netboot/s390netboot/uki"
)

// testVolume is the volume a fixture tree stands for: name ("vda1") and
// a fixed mount point, so that the URLs in golden files do not depend on
// where the tests run.
func testVolume(name string, fsys fs.FS) *volume.Volume {
	return &volume.Volume{Name: name, Disk: strings.TrimRight(name, "0123456789"), Partition: 1, FSType: "ext4", FS: fsys, Dir: "/run/disks/" + name}
}

// The variables GRUB has when it reads the RHEL fixtures' entries: the
// values of their grub2/grubenv (RHEL 9: TuneD's cpu-partitioning
// profile; RHEL 8: kernelopts, with TuneD's variables set in grub.cfg,
// not grubenv, so unset here).
var (
	rhel9Vars = map[string]string{
		"saved_entry":    "e1f0a7c3b2d94e58a6c7d8e9f0a1b2c3-5.14.0-362.8.1.el9_3.x86_64",
		"menu_auto_hide": "1", "boot_success": "0", "boot_indeterminate": "0",
		"tuned_params": "skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 nohz=on nohz_full=2-3 rcu_nocbs=2-3 tuned.non_isolcpus=00000003 intel_pstate=disable nosoftlockup",
		"tuned_initrd": "/tuned-initrd.img",
	}
	rhel8Vars = map[string]string{
		"saved_entry":  "7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2-4.18.0-513.5.1.el8_9.x86_64",
		"kernelopts":   "root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet ",
		"boot_success": "0",
	}
)

// TestFixtures reads each tree of testdata modelled on a real install
// (testdata/README.md), checks what boots, and compares the plan text
// and the entries with the golden files.
func TestFixtures(t *testing.T) {
	for _, tt := range []struct {
		dir, vol string
		opts     Options
		// What boots unattended, after how long, with which files.
		auto     string
		via      string
		wait     time.Duration
		quiet    bool
		forever  bool
		kernel   string
		initrds  []string
		cmdline  string
		warnings []error
	}{
		{dir: "fedora40", vol: "vda2", opts: Options{Arch: "amd64"},
			auto: "5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.8.11-300.fc40.x86_64", via: "first entry", quiet: true,
			kernel: "vda2:/vmlinuz-6.8.11-300.fc40.x86_64", initrds: []string{"vda2:/initramfs-6.8.11-300.fc40.x86_64.img"},
			cmdline: "root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet"},
		{dir: "rhel9", vol: "sda2", opts: Options{Arch: "amd64", Vars: rhel9Vars},
			auto: "e1f0a7c3b2d94e58a6c7d8e9f0a1b2c3-5.14.0-362.8.1.el9_3.x86_64", via: "first entry", quiet: true,
			kernel: "sda2:/vmlinuz-5.14.0-362.8.1.el9_3.x86_64", initrds: []string{"sda2:/initramfs-5.14.0-362.8.1.el9_3.x86_64.img", "sda2:/tuned-initrd.img"},
			cmdline: "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet skew_tick=1 tsc=reliable rcupdate.rcu_normal_after_boot=1 nohz=on nohz_full=2-3 rcu_nocbs=2-3 tuned.non_isolcpus=00000003 intel_pstate=disable nosoftlockup"},
		{dir: "rhel8", vol: "sda1", opts: Options{Arch: "amd64", Vars: rhel8Vars},
			auto: "7a6b5c4d3e2f41a0b9c8d7e6f5a4b3c2-4.18.0-513.5.1.el8_9.x86_64", via: "first entry", quiet: true,
			kernel: "sda1:/vmlinuz-4.18.0-513.5.1.el8_9.x86_64", initrds: []string{"sda1:/initramfs-4.18.0-513.5.1.el8_9.x86_64.img"},
			cmdline:  "root=/dev/mapper/rhel-root ro crashkernel=auto resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet",
			warnings: []error{ErrUnsetVariable, ErrUnsetVariable, ErrUnsetVariable, ErrUnsetVariable}},
		{dir: "fedora-s390x", vol: "dasda1", opts: Options{Arch: "s390x"},
			auto: "3f2e1d0c9b8a47f6a5e4d3c2b1a09f8e-6.8.11-300.fc40.s390x", via: "first entry", quiet: true,
			kernel: "dasda1:/vmlinuz-6.8.11-300.fc40.s390x", initrds: []string{"dasda1:/initramfs-6.8.11-300.fc40.s390x.img"},
			cmdline: "root=/dev/mapper/fedora_fedora-root rd.dasd=0.0.0120 rd.lvm.lv=fedora_fedora/root rd.lvm.lv=fedora_fedora/swap rd.znet=qeth,0.0.bdf0,0.0.bdf1,0.0.bdf2,layer2=1,portno=0 cio_ignore=all,!condev crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"},
		{dir: "fedora-s390x-root", vol: "vda1", opts: Options{Arch: "s390x"},
			auto: "3f2e1d0c9b8a47f6a5e4d3c2b1a09f8e-6.8.11-300.fc40.s390x", via: "first entry", quiet: true,
			kernel: "vda1:/boot/vmlinuz-6.8.11-300.fc40.s390x", initrds: []string{"vda1:/boot/initramfs-6.8.11-300.fc40.s390x.img"},
			cmdline: "root=/dev/mapper/fedora_fedora-root rd.dasd=0.0.0120 rd.lvm.lv=fedora_fedora/root rd.lvm.lv=fedora_fedora/swap rd.znet=qeth,0.0.bdf0,0.0.bdf1,0.0.bdf2,layer2=1,portno=0 cio_ignore=all,!condev crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M"},
		{dir: "arch-esp", vol: "nvme0n1p1", opts: Options{Arch: "amd64"},
			auto: "arch", via: "loader.conf default", wait: 4 * time.Second,
			kernel: "nvme0n1p1:/vmlinuz-linux", initrds: []string{"nvme0n1p1:/intel-ucode.img", "nvme0n1p1:/initramfs-linux.img"},
			cmdline: "root=UUID=0a3407de-014b-458b-b5c1-848e92a327a3 rw"},
		{dir: "bootcount", vol: "vda1", opts: Options{Arch: "amd64"},
			auto: "5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.9.7-200.fc40.x86_64", via: "first entry", forever: true,
			kernel:   "vda1:/5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a/6.9.7-200.fc40.x86_64/linux",
			initrds:  []string{"vda1:/5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a/6.9.7-200.fc40.x86_64/initrd"},
			cmdline:  "root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet",
			warnings: []error{ErrSavedDefault}},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tt.dir)
			res, err := Load(os.DirFS(dir), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			m := res.Menu(testVolume(tt.vol, os.DirFS(dir)))
			a := m.Auto
			if a.Entry == nil || a.Entry.Label != tt.auto || a.Via != tt.via || a.Wait != tt.wait || m.Quiet != tt.quiet || a.Forever != tt.forever {
				t.Fatalf("Auto = %+v (quiet %v), want %s via %q after %v (quiet %v, forever %v)", a, m.Quiet, tt.auto, tt.via, tt.wait, tt.quiet, tt.forever)
			}
			var initrds []string
			for _, f := range a.Initrds {
				initrds = append(initrds, f.Name)
			}
			if a.Entry.Kernel.Name != tt.kernel || strings.Join(initrds, " ") != strings.Join(tt.initrds, " ") || a.Cmdline != tt.cmdline || m.Enter.Entry != a.Entry {
				t.Errorf("Auto boots %s %q %q, want %s %q %q", a.Entry.Kernel.Name, initrds, a.Cmdline, tt.kernel, tt.initrds, tt.cmdline)
			}
			checkWarnings(t, m.Warnings, tt.warnings)
			golden(t, tt.dir, res, m)
		})
	}
}

// checkWarnings checks that warns are *Warning values wrapping want, in
// order.
func checkWarnings(t *testing.T, warns, want []error) {
	t.Helper()
	if len(warns) != len(want) {
		t.Errorf("warnings %q, want %d: %v", warns, len(want), want)
		return
	}
	for i, w := range warns {
		var wn *Warning
		if !errors.Is(w, want[i]) || !errors.As(w, &wn) {
			t.Errorf("warning %d = %v, want %v", i, w, want[i])
		}
	}
}

// golden compares the plan text of m and the entries of res with
// testdata/golden/NAME.plan and NAME.json.
func golden(t *testing.T, name string, res *Result, m *bootmenu.Menu) {
	t.Helper()
	var b strings.Builder
	if err := bootmenu.Render(&b, m, bootmenu.Plan); err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join("testdata", "golden", name+".plan"), []byte(b.String()))
	j, err := json.MarshalIndent(res.Entries, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join("testdata", "golden", name+".json"), append(j, '\n'))
}

// buildUKI is a UKI of a synthetic stub and kernel for machine.
func buildUKI(t testing.TB, machine uint16, img uki.Image) []byte {
	t.Helper()
	img.Stub, img.Kernel = fakekernel.PE(machine, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 8), fakekernel.PE(machine, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0)
	b, err := uki.Build(img)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const fedoraOSRelease = `NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
VERSION_ID=40
PRETTY_NAME="Fedora Linux 40 (Workstation Edition)"
`

// ukiESP writes an ESP tree with unified kernel images, as ukify and
// kernel-install's 90-uki-copy.install leave them in EFI/Linux: two
// kernels of one OS (one boot-counted, with a microcode initrd), one for
// arm64, a file that is no UKI, and loader.conf choosing by pattern.
func ukiESP(t testing.TB) string {
	dir := t.TempDir()
	files := map[string][]byte{
		"EFI/Linux/5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.9.7-200.fc40.x86_64+2-1.efi": buildUKI(t, pe.IMAGE_FILE_MACHINE_AMD64, uki.Image{
			Initrd: []byte("initrd 6.9.7"), Ucode: []byte("GenuineIntel microcode"),
			Cmdline:   "root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet\n",
			OSRelease: fedoraOSRelease + "IMAGE_VERSION=6.9.7-200.fc40.x86_64\n"}),
		"EFI/Linux/5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.9.5-200.fc40.x86_64.efi": buildUKI(t, pe.IMAGE_FILE_MACHINE_AMD64, uki.Image{
			Initrd: []byte("initrd 6.9.5"), Cmdline: "root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet",
			OSRelease: fedoraOSRelease + "IMAGE_VERSION=6.9.5-200.fc40.x86_64\n"}),
		"EFI/Linux/debian-aa64.efi": buildUKI(t, pe.IMAGE_FILE_MACHINE_ARM64, uki.Image{
			Cmdline: "console=ttyAMA0", OSRelease: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"}),
		"EFI/Linux/README.efi": []byte("not an image\n"),
		"loader/loader.conf":   []byte("default 5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-*\ntimeout 3\neditor yes\n"),
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	return dir
}

// writeFile writes data to name, making its folder.
func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUKI: type #2 entries on an ESP, read in place.
func TestUKI(t *testing.T) {
	dir := ukiESP(t)
	res, err := Load(os.DirFS(dir), Options{Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Menu(testVolume("vda1", os.DirFS(dir)))
	a := m.Auto
	const id = "5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.9.7-200.fc40.x86_64"
	if a.Entry == nil || a.Entry.Label != id || a.Via != "loader.conf default" || a.Wait != 3*time.Second || a.Entry.Options != bootmenu.OptionsAllowed {
		t.Fatalf("Auto = %+v", a)
	}
	const file = "vda1:/EFI/Linux/" + id + "+2-1.efi"
	want := []bootmenu.File{
		{Name: file + " .ucode", URL: "file:///run/disks/vda1/EFI/Linux/" + id + "+2-1.efi", Section: ".ucode"},
		{Name: file + " .initrd", URL: "file:///run/disks/vda1/EFI/Linux/" + id + "+2-1.efi", Section: ".initrd"},
	}
	if a.Entry.Kernel.Name != file+" .linux" || a.Entry.Kernel.Section != ".linux" || len(a.Initrds) != 2 || a.Initrds[0] != want[0] || a.Initrds[1] != want[1] {
		t.Errorf("kernel %+v initrds %+v", a.Entry.Kernel, a.Initrds)
	}
	if a.Cmdline != "root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet" || a.Entry.Title != "Fedora Linux 40 (Workstation Edition) (6.9.7-200.fc40.x86_64)" {
		t.Errorf("cmdline %q, title %q", a.Cmdline, a.Entry.Title)
	}
	var hidden *bootmenu.Entry
	for _, e := range m.Entries {
		if e.Label == "debian-aa64" {
			hidden = e
		}
	}
	if hidden == nil || !hidden.Hidden || hidden.Kind != bootmenu.Other || hidden.Reason != "for architecture AA64, this machine is x64" {
		t.Errorf("the arm64 UKI: %+v", hidden)
	}
	checkWarnings(t, m.Warnings, []error{ErrNotUKI})
	golden(t, "uki", res, m)
}
