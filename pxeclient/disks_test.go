package pxeclient

import (
	"bytes"
	"context"
	"debug/pe"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

// alpineDisk is a folder holding the root filesystem of an Alpine
// install with /boot/extlinux.conf (testdata/localboot/README.md).
const alpineDisk = "../testdata/localboot/alpine"

var (
	alpineKernel  = "alpine lts kernel (fixture)\n"
	alpineCmdline = "BOOT_IMAGE=vmlinuz-lts root=UUID=5a2d1c4e-8f3b-4d6a-9e71-0c2b3a4d5e6f modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4"
)

// netFiles is a TFTP root whose config boots images/vmlinuz.
func netFiles() map[string][]byte {
	return map[string][]byte{
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(macCfg),
		"images/vmlinuz":                    []byte("network kernel"),
		"images/target.cpio.gz":             []byte("target initrd"),
		"images/marker.cpio.gz":             []byte("marker initrd"),
	}
}

// errNoNet stands for a network that gives no lease.
var errNoNet = fmt.Errorf("DHCP on eth0: no lease within 60s (pxeinit.timeout): %w", ErrNoLinks)

// TestOnceSources: the network's and the disks' entries in one flow,
// for each order of pxeinit.boot, a network that fails, a label of a
// disk entry, and the network alone as before.
func TestOnceSources(t *testing.T) {
	tests := []struct {
		name    string
		boot    string // pxeinit.boot; "" the default
		label   string
		netFail bool
		noDisks bool
		kernel  string // booted; "" nothing
		err     error
		stages  string
		console []string
	}{
		{name: "network only, no disk source", noDisks: true, kernel: "network kernel", stages: "config,choice,fetch,fetch,fetch,fetched"},
		{name: "pxeinit.boot=net does not look at disks", boot: "net", kernel: "network kernel", stages: "config,choice,fetch,fetch,fetch,fetched"},
		{name: "net,disk: the network's default", kernel: "network kernel", stages: "config,disks,choice,fetch,fetch,fetch,fetched",
			console: []string{"stage=disks", "volumes=1 configs=1 entries=2"}},
		{name: "disk,net: the disks' default", boot: "disk,net", kernel: alpineKernel, stages: "config,disks,choice,fetch,fetch,fetched",
			console: []string{"label=lts via=\"menu default\""}},
		{name: "disk only", boot: "disk", kernel: alpineKernel, stages: "disks,choice,fetch,fetch,fetched"},
		{name: "network fails: the disks' default", netFail: true, kernel: alpineKernel, stages: "disks,choice,fetch,fetch,fetched",
			console: []string{"warning: DHCP on eth0: no lease", `next="the disks' entries"`}},
		{name: "network fails, no disk source", netFail: true, noDisks: true, err: ErrNoLinks},
		{name: "a disk label", label: "virt", kernel: "alpine virt kernel (fixture)\n"},
		{name: "a disk label, network fails", label: "virt", netFail: true, kernel: "alpine virt kernel (fixture)\n"},
		{name: "a network label", label: "linux", boot: "disk,net", kernel: "network kernel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b booted
			c, out := newClient(t, netFiles(), &b)
			if tt.netFail {
				c.Network = func(context.Context) (*Lease, error) { return nil, errNoNet }
			}
			if !tt.noDisks {
				c.Disks = DirVolumes(alpineDisk)
			}
			cmdline := "pxeinit.label=" + tt.label
			if tt.boot != "" {
				cmdline += " pxeinit.boot=" + tt.boot
			}
			var err error
			if c.Settings, _, err = settings.Parse(cmdline); err != nil && tt.label != "" {
				t.Fatal(err)
			}
			start := time.Now()
			err = c.Once(context.Background())
			if tt.err != nil {
				if !errors.Is(err, tt.err) || b.n != 0 {
					t.Fatalf("Once = %v after %d boots, want %v\n%s", err, b.n, tt.err, out)
				}
				return
			}
			if err != nil || string(b.img.Kernel) != tt.kernel {
				t.Fatalf("Once = %v, booted %q, want %q\n%s", err, b.img.Kernel, tt.kernel, out)
			}
			if tt.netFail {
				testenv.Fault(t, "no lease on a machine with an extlinux disk: "+tt.name,
					fmt.Sprintf("warning, then booted %q from the disk", strings.TrimSpace(string(b.img.Kernel))), time.Since(start),
					fmt.Sprintf("kernel, %d initrd, command line compared", len(b.img.Initrds)))
			}
			if tt.kernel == alpineKernel && (b.img.Cmdline != alpineCmdline || len(b.img.Initrds) != 1 || string(b.img.Initrds[0]) != "alpine lts initramfs (fixture)\n") {
				t.Errorf("cmdline %q, initrds %q", b.img.Cmdline, b.img.Initrds)
			}
			if tt.stages != "" {
				// The disks step runs beside the network's: its line
				// comes before or after the config line.
				if got := stageNames(out.String()); got != tt.stages && got != strings.Replace(tt.stages, "config,disks", "disks,config", 1) {
					t.Errorf("stages %s, want %s\n%s", got, tt.stages, out)
				}
			}
			for _, want := range tt.console {
				if !strings.Contains(out.String(), want) {
					t.Errorf("console lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// stageNames are the stage lines' names on the console, in order.
func stageNames(console string) string {
	var names []string
	for _, l := range strings.Split(console, "\n") {
		if _, rest, ok := strings.Cut(l, "pxeinit: stage="); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	return strings.Join(names, ",")
}

// TestOnceSourcesMenu: the console menu shows the network's and the
// disks' entries together, grouped by source and numbered across; a
// number typed picks a disk entry.
func TestOnceSourcesMenu(t *testing.T) {
	files := netFiles()
	files["pxelinux.cfg/01-52-54-00-12-34-56"] = []byte("UI menu.c32\nMENU TITLE Lab\nTIMEOUT 600\nDEFAULT linux\n" + macCfg[len("DEFAULT linux\n"):])
	var b booted
	c, out := newClient(t, files, &b)
	c.Disks = DirVolumes(alpineDisk)
	pr, pw := io.Pipe()
	defer pw.Close()
	c.UI = menu.New(pr, out, nil)
	go pw.Write([]byte("3\n"))
	if err := c.Once(context.Background()); err != nil {
		t.Fatalf("Once: %v\n%s", err, out)
	}
	if string(b.img.Kernel) != "alpine virt kernel (fixture)\n" {
		t.Errorf("booted %q", b.img.Kernel)
	}
	want := `network: pxelinux.cfg/01-52-54-00-12-34-56 on 127.0.0.1:` // the port varies
	text := out.String()
	for _, w := range []string{want, ": Lab:\n     1) linux\n", "alpine /boot/extlinux.conf: Alpine/Linux Boot Menu:\n     2) Linux lts [lts]\n     3) Linux virt [virt]\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("console lacks %q:\n%s", w, text)
		}
	}
}

// TestOnceSignedDisks: under signed boot the disks' entries are listed
// with the reason they cannot boot and never boot: the signed network
// entry boots; typed or by pxeinit.label a disk entry is refused; with no
// network the pass fails with the network's error.
func TestOnceSignedDisks(t *testing.T) {
	key, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, cmdline string
		netFail       bool
		kernel        string
		err           error
	}{
		{name: "the signed network entry boots", cmdline: "pxeinit.boot=disk,net", kernel: "network kernel"},
		{name: "a disk label", cmdline: "pxeinit.label=lts", err: ErrNothingToBoot},
		{name: "no network", netFail: true, err: ErrNoLinks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b booted
			c, out := newClient(t, sign(t, key, netFiles()), &b)
			c.Signed = signedboot.On(key.Public())
			c.Disks = DirVolumes(alpineDisk)
			c.Settings, _, _ = settings.Parse(tt.cmdline)
			if tt.netFail {
				c.Network = func(context.Context) (*Lease, error) { return nil, errNoNet }
			}
			err := c.Once(context.Background())
			if tt.err != nil {
				if !errors.Is(err, tt.err) || b.n != 0 {
					t.Fatalf("Once = %v after %d boots, want %v\n%s", err, b.n, tt.err, out)
				}
				if tt.err == ErrNothingToBoot && !strings.Contains(err.Error(), "refused by signed boot") {
					t.Errorf("error %q does not say why", err)
				}
				testenv.Fault(t, "signed boot, disk entries present: "+tt.name, "nothing booted: "+err.Error(), 0, "boot count 0")
				return
			}
			if err != nil || string(b.img.Kernel) != tt.kernel {
				t.Fatalf("Once = %v, booted %q\n%s", err, b.img.Kernel, out)
			}
		})
	}

	// On the console menu the disk entries say why, and typing one
	// gives the reason instead of booting it.
	var b booted
	files := netFiles()
	files["pxelinux.cfg/01-52-54-00-12-34-56"] = []byte("PROMPT 1\n" + macCfg)
	c, out := newClient(t, sign(t, key, files), &b)
	c.Signed = signedboot.On(key.Public())
	c.Disks = DirVolumes(alpineDisk)
	pr, pw := io.Pipe()
	defer pw.Close()
	c.UI = menu.New(pr, out, nil)
	c.Settings.Boot = []string{"disk", "net"}
	go pw.Write([]byte("lts\nlinux\n"))
	if err := c.Once(context.Background()); err != nil || string(b.img.Kernel) != "network kernel" {
		t.Fatalf("Once = %v, booted %q\n%s", err, b.img.Kernel, out)
	}
	for _, want := range []string{"Linux lts [lts] (cannot boot: refused by signed boot: files on a local disk carry no signature",
		`"lts" cannot be booted by kexec: refused by signed boot`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

// TestDiskMenuNothing: disks without configs, and a folder that is not
// there, give ErrNoDiskEntries and a disks stage line; the network's
// menu is used as before.
func TestDiskMenuNothing(t *testing.T) {
	empty := t.TempDir()
	if err := os.MkdirAll(filepath.Join(empty, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, dirs := range [][]string{{empty}, {filepath.Join(empty, "missing")}} {
		var b booted
		c, out := newClient(t, netFiles(), &b)
		c.Disks = DirVolumes(dirs...)
		if _, err := c.DiskMenu(context.Background()); !errors.Is(err, ErrNoDiskEntries) {
			t.Errorf("DiskMenu(%s) = %v, want ErrNoDiskEntries", dirs, err)
		}
		if err := c.Once(context.Background()); err != nil || !bytes.Equal(b.img.Kernel, []byte("network kernel")) {
			t.Errorf("Once = %v\n%s", err, out)
		}
		if !strings.Contains(out.String(), "stage=disks") {
			t.Errorf("no disks stage line:\n%s", out)
		}
	}
}

// TestOnceUKI: a unified kernel image in an ESP's EFI/Linux (BLS type
// #2) boots with the kernel and initrd taken from its sections, read
// once, and the command line of its .cmdline; the network failed.
func TestOnceUKI(t *testing.T) {
	kernel := fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0)
	esp := filepath.Join(t.TempDir(), "esp")
	writeFiles(t, esp, map[string][]byte{
		"EFI/Linux/fedora-6.8.5.efi": testUKI(t, kernel, []byte("uki initrd"), "root=UUID=1234 ro quiet"),
	})
	var b booted
	c, out := newClient(t, netFiles(), &b)
	c.Arch = "amd64"
	c.Network = func(context.Context) (*Lease, error) { return nil, errNoNet }
	c.Disks = DirVolumes(esp)
	if err := c.Once(context.Background()); err != nil {
		t.Fatalf("Once: %v\n%s", err, out)
	}
	if !bytes.Equal(b.img.Kernel, kernel) || len(b.img.Initrds) != 1 || string(b.img.Initrds[0]) != "uki initrd" || b.img.Cmdline != "root=UUID=1234 ro quiet" {
		t.Errorf("booted kernel %d bytes (want %d), initrds %q, cmdline %q\n%s", len(b.img.Kernel), len(kernel), b.img.Initrds, b.img.Cmdline, out)
	}
	if n := strings.Count(out.String(), "stage=fetch "); n != 1 {
		t.Errorf("%d fetch stage lines, want 1 (the image read once):\n%s", n, out)
	}
}

// TestOnceDisksFirst: with the disks first, a network that does not
// answer holds the boot no longer than the disk default's wait; the disk
// default boots and a warning says the network's entries are left out.
func TestOnceDisksFirst(t *testing.T) {
	disk := t.TempDir()
	writeFiles(t, disk, map[string][]byte{
		"extlinux.conf": []byte("PROMPT 1\nTIMEOUT 2\nDEFAULT x\nLABEL x\n  KERNEL vmlinuz\n"),
		"vmlinuz":       []byte("disk kernel"),
	})
	var b booted
	c, out := newClient(t, netFiles(), &b)
	c.Network = func(ctx context.Context) (*Lease, error) { <-ctx.Done(); return nil, ctx.Err() }
	c.Disks = DirVolumes(disk)
	c.Settings.Boot = []string{"disk", "net"}
	start := time.Now()
	if err := c.Once(context.Background()); err != nil || string(b.img.Kernel) != "disk kernel" {
		t.Fatalf("Once = %v, booted %q\n%s", err, b.img.Kernel, out)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: the network held the disk default", took)
	}
	if !strings.Contains(out.String(), "warning: the network's entries are left out") {
		t.Errorf("no warning:\n%s", out)
	}
	testenv.Fault(t, "pxeinit.boot=disk,net, a network that never answers, disk default TIMEOUT 2 (0.2 s)",
		fmt.Sprintf("warning; booted %q", b.img.Kernel), time.Since(start), "kernel compared")
}

// TestDirVolumeLinksStayInside: a symbolic link in a volume that points
// out of it (here at a config beside the folder) is not followed: a
// disk cannot make the parsers read the init's own files.
func TestDirVolumeLinksStayInside(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "extlinux.conf")
	if err := os.WriteFile(outside, []byte("DEFAULT x\nLABEL x\n  KERNEL /vmlinuz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "disk")
	for _, link := range []struct{ name, target string }{
		{"extlinux.conf", "../extlinux.conf"}, // relative, leaving the folder
		{"syslinux.cfg", outside},             // absolute
		{"inside.cfg", "extlinux.conf"},       // stays inside (to a link that leaves)
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(link.target, filepath.Join(dir, link.name)); err != nil {
			t.Fatal(err)
		}
	}
	vols, err := DirVolumes(dir)(context.Background())
	if err != nil || len(vols) != 1 {
		t.Fatalf("DirVolumes(%s): %v, %d volumes", dir, err, len(vols))
	}
	for _, name := range []string{"extlinux.conf", "syslinux.cfg", "inside.cfg"} {
		if b, err := fs.ReadFile(vols[0].FS, name); err == nil {
			t.Errorf("%s, a link out of the volume, was read: %q", name, b)
		}
	}
}
