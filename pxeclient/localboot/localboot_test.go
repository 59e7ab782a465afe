package localboot

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// vol is a volume of the files of m, on disk number disk.
func vol(name string, disk, part int, m fstest.MapFS) *volume.Volume {
	return &volume.Volume{Name: name, Disk: name[:3], DiskIndex: disk, Partition: part, FSType: "ext4", FS: m, Dir: "/run/disks/" + name}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// TestFind: configs disk by disk, then in the order of Places, then by
// partition; one BLS source per volume with its roots, one grub.cfg
// outside EFI/ and one per EFI folder (names matched without regard to
// case), one extlinux config per volume.
func TestFind(t *testing.T) {
	esp := vol("vda1", 0, 1, fstest.MapFS{
		"EFI/debian/grub.cfg":    file("configfile x"),
		"EFI/fedora/grub.cfg":    file("configfile y"),
		"EFI/BOOT/BOOTX64.EFI":   file("shim"),
		"loader/entries/a.conf":  file("linux /a"),
		"EFI/Linux/fedora.efi":   file("MZ"),
		"loader/loader.conf":     file("default a"),
		"extlinux/extlinux.conf": file("DEFAULT x"),
	})
	root := vol("vda2", 0, 2, fstest.MapFS{
		"boot/grub/grub.cfg":          file("menuentry"),
		"boot/grub2/grub.cfg":         file("menuentry"),
		"boot/loader/entries/b.conf":  file("linux /b"),
		"boot/extlinux/extlinux.conf": file("DEFAULT y"),
		"boot/extlinux.conf":          file("DEFAULT z"),
	})
	cd := vol("sr0", 1, 0, fstest.MapFS{"isolinux/isolinux.cfg": file("DEFAULT live")})
	fat := vol("sdb1", 2, 1, fstest.MapFS{"efi/ubuntu/GRUB.CFG": file("configfile z")})
	btrfs := vol("sdc2", 3, 2, fstest.MapFS{"@/boot/grub/grub.cfg": file("menuentry"), "@home/x": file("")})
	var got []string
	for _, c := range Find([]*volume.Volume{btrfs, fat, cd, root, nil, esp}) {
		s := c.Kind.String() + " " + c.Name()
		if c.Roots != nil {
			s += " " + strings.Join(c.Roots, ",")
		}
		got = append(got, s)
	}
	want := []string{
		"bls vda1:/loader/entries /",
		"bls vda2:/boot/loader/entries /boot",
		"grub vda2:/boot/grub/grub.cfg",
		"grub vda1:/EFI/debian/grub.cfg",
		"grub vda1:/EFI/fedora/grub.cfg",
		"extlinux vda2:/boot/extlinux/extlinux.conf",
		"extlinux vda1:/extlinux/extlinux.conf",
		"extlinux sr0:/isolinux/isolinux.cfg",
		"grub sdb1:/efi/ubuntu/GRUB.CFG",
		"grub sdc2:/@/boot/grub/grub.cfg",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Find:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExtlinuxPaths: an extlinux config names files relative to its
// folder ("..", too), or from the volume's root with a leading '/';
// INCLUDE follows the same rule; a URL names nothing to fetch.
func TestExtlinuxPaths(t *testing.T) {
	v := vol("vdb1", 0, 1, fstest.MapFS{
		"boot/extlinux/extlinux.conf": file("UI menu.c32\nMENU TITLE Disk\nTIMEOUT 20\nDEFAULT rel\nINCLUDE more.cfg\n" +
			"LABEL rel\n  KERNEL ../vmlinuz\n  INITRD ../initrd.img,/boot/extra.img\n  APPEND root=/dev/vdb2\n" +
			"LABEL abs\n  LINUX /boot/vmlinuz\n  APPEND ro\n"),
		"boot/extlinux/more.cfg": file("LABEL net\n  KERNEL http://10.0.0.1/vmlinuz\n"),
	})
	res := Read(context.Background(), []*volume.Volume{v}, Options{})
	m := res.Menu
	if m == nil || len(m.Entries) != 3 {
		t.Fatalf("menu %+v", m)
	}
	byLabel := map[string]*bootmenu.Entry{}
	for _, e := range m.Entries {
		byLabel[e.Label] = e
	}
	rel, abs, net := byLabel["rel"], byLabel["abs"], byLabel["net"]
	if rel.Kernel != (bootmenu.File{Name: "vdb1:/boot/vmlinuz", URL: "file:///run/disks/vdb1/boot/vmlinuz"}) ||
		len(rel.Initrds) != 2 || rel.Initrds[0].Name != "vdb1:/boot/initrd.img" || rel.Initrds[1].URL != "file:///run/disks/vdb1/boot/extra.img" {
		t.Errorf("rel: kernel %+v, initrds %+v", rel.Kernel, rel.Initrds)
	}
	if rel.Cmdline != "BOOT_IMAGE=../vmlinuz root=/dev/vdb2" || rel.Origin.String() != "vdb1:/boot/extlinux/extlinux.conf:6" {
		t.Errorf("rel: cmdline %q, origin %s", rel.Cmdline, rel.Origin)
	}
	if abs.Kernel.Name != "vdb1:/boot/vmlinuz" || net.Kernel.URL != "" || net.Kernel.Name != "http://10.0.0.1/vmlinuz" {
		t.Errorf("abs %+v, net %+v", abs.Kernel, net.Kernel)
	}
	if m.Auto.Entry != rel || m.Auto.Wait.Seconds() != 2 {
		t.Errorf("Auto %+v", m.Auto)
	}
	if got := res.Used; len(got) != 1 || got[0].Title() != "vdb1 (ext4) /boot/extlinux/extlinux.conf" {
		t.Errorf("Used %v", got)
	}
}

// TestReadMerge: the first config with a default decides, labels stay
// unique, a config without entries and one that cannot be read leave
// warnings only, and the others are still read.
func TestReadMerge(t *testing.T) {
	noDefault := vol("vda1", 0, 1, fstest.MapFS{"extlinux.conf": file("PROMPT 1\nLABEL linux\n  KERNEL vmlinuz\n")})
	empty := vol("vda2", 0, 2, fstest.MapFS{"syslinux/syslinux.cfg": file("FROB 1\n")})
	broken := vol("vda3", 0, 3, fstest.MapFS{"boot/extlinux.conf": &fstest.MapFile{Mode: os.ModeDir}})
	withDefault := vol("vdb1", 1, 1, fstest.MapFS{"extlinux.conf": file("DEFAULT linux\nTIMEOUT 50\nLABEL linux\n  KERNEL vmlinuz\n  APPEND b\n")})
	res := Read(context.Background(), []*volume.Volume{withDefault, broken, empty, noDefault}, Options{})
	m := res.Menu
	if m == nil || len(m.Entries) != 2 || len(res.Used) != 2 || len(res.Configs) != 4 || res.Volumes != 4 {
		t.Fatalf("menu %+v, used %d of %d configs", m, len(res.Used), len(res.Configs))
	}
	if m.Auto.Entry == nil || m.Auto.Entry.Label != "linux-2" || m.Auto.Entry.Kernel.Name != "vdb1:/vmlinuz" {
		t.Errorf("Auto %+v: want vdb1's default, relabelled", m.Auto.Entry)
	}
	var cerr *ConfigError
	found := map[string]bool{}
	for _, w := range m.Warnings {
		if errors.As(w, &cerr) {
			found["config "+cerr.Config] = true
		}
		if strings.Contains(w.Error(), "vda2:/syslinux/syslinux.cfg:1: \"frob\"") {
			found["FROB"] = true
		}
	}
	if !found["config vda3:/boot/extlinux.conf"] || !found["FROB"] {
		t.Errorf("warnings %v", m.Warnings)
	}
	ch, err := m.Typed("linux-2 quiet")
	if err != nil || ch.Cmdline != "BOOT_IMAGE=vmlinuz b quiet" {
		t.Errorf("Typed = %+v, %v", ch, err)
	}
}

// TestReadRefuse: with Refuse every entry is listed with the reason and
// nothing boots unattended or on Enter.
func TestReadRefuse(t *testing.T) {
	v := vol("vda1", 0, 1, fstest.MapFS{"extlinux.conf": file("DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n")})
	why := errors.New("refused by signed boot")
	m := Read(context.Background(), []*volume.Volume{v}, Options{Refuse: why}).Menu
	if m.Auto.Entry != nil || m.Enter.Entry != nil || m.Quiet {
		t.Errorf("Auto %+v, Enter %+v", m.Auto, m.Enter)
	}
	ch, err := m.Typed("linux")
	if err != nil || ch.Why() == "" || !strings.Contains(ch.Why(), why.Error()) {
		t.Errorf("Typed: %v; Why %q", err, ch.Why())
	}
}

// TestTable holds the package doc's and the README's table to Table,
// the one list.
func TestTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\n```\n"+Table()+"```\n") {
		t.Errorf("README.md does not hold the table as Table gives it:\n%s", Table())
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	want := "//\t" + strings.ReplaceAll(strings.TrimSuffix(Table(), "\n"), "\n", "\n//\t") + "\n"
	if !strings.Contains(string(doc), want) {
		t.Errorf("doc.go does not hold the table as Table gives it:\n%s", want)
	}
}
