package localboot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// grubFixture is a fixture of package grub (its testdata/README.md):
// one folder per volume, with the identity in fixture.json.
func grubFixture(t *testing.T, name string) ([]*volume.Volume, string) {
	t.Helper()
	dir := filepath.Join("grub", "testdata", name)
	raw, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Platform, Arch string
		Volumes        []struct {
			Name, Disk          string
			DiskIndex           int
			Partition           int
			FSType, UUID, Label string
			PartUUID            string
		}
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var vols []*volume.Volume
	for _, v := range f.Volumes {
		d, err := filepath.Abs(filepath.Join(dir, v.Name))
		if err != nil {
			t.Fatal(err)
		}
		vols = append(vols, &volume.Volume{Name: v.Name, Disk: v.Disk, DiskIndex: v.DiskIndex, Partition: v.Partition,
			FSType: v.FSType, UUID: v.UUID, Label: v.Label, PartUUID: v.PartUUID, FS: os.DirFS(d), Dir: d})
	}
	return vols, f.Platform
}

// TestReadGrubFixtures reads whole installs of package grub's fixtures
// as the disk source reads a machine: an ESP stub that loads the
// grub.cfg of /boot is left out (its entries are the same), a volume
// whose grub.cfg runs blscfg gives its BLS entries through GRUB only,
// and GRUB's own default decides.
func TestReadGrubFixtures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		used    string
		entries int
		auto    string
	}{
		{"debian12-efi", "vda2:/boot/grub/grub.cfg", 5, "gnulinux-6.1.0-17-amd64-advanced-3b5e0c9a-7f43-4c1e-9d2a-5f8e6b1c2d3e"},
		{"fedora40-blscfg", "vda2:/grub2/grub.cfg", 3, "5c4b2e8f0d3a4c6e9b1f7a2d8e6c4b0a-6.8.5-301.fc40.x86_64"},
		{"rhel9-blscfg-bios", "sda1:/boot/grub2/grub.cfg", 2, "0f3c9a8e7d6b4c5a9e8f7d6c5b4a3928-5.14.0-427.13.1.el9_4.x86_64"},
		{"opensuse-tw-btrfs", "vda2:/boot/grub2/grub.cfg", 3, "gnulinux-simple-e7c3a1f2-8b4d-4e6f-a0b1-c2d3e4f5a6b7"},
		{"ubuntu2404-efi", "nvme0n1p2:/boot/grub/grub.cfg", 5, "gnulinux-simple-42f132e4-6a94-4e00-9dcb-eed80c375619"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vols, platform := grubFixture(t, tt.name)
			res := Read(context.Background(), vols, Options{Arch: "amd64", Platform: platform})
			var used []string
			for _, c := range res.Used {
				used = append(used, c.Name())
			}
			if strings.Join(used, " ") != tt.used || res.Entries() != tt.entries || res.Menu.Auto.Entry == nil || res.Menu.Auto.Entry.Label != tt.auto {
				t.Errorf("used %v, %d entries, auto %+v; want %s, %d, %s", used, res.Entries(), res.Menu.Auto.Entry, tt.used, tt.entries, tt.auto)
			}
			for _, e := range res.Menu.Entries {
				if e.Origin.Volume == "" {
					t.Errorf("entry %q has no volume", e.Label)
				}
			}
		})
	}
}

// TestBLSVars: BLS entries read directly (no grub.cfg runs blscfg on
// their volume) get $kernelopts from the volume's grubenv.
func TestBLSVars(t *testing.T) {
	d, err := filepath.Abs("bls/testdata/rhel8")
	if err != nil {
		t.Fatal(err)
	}
	v := &volume.Volume{Name: "sda1", Disk: "sda", Partition: 1, FSType: "xfs", FS: os.DirFS(d), Dir: d}
	m := Read(context.Background(), []*volume.Volume{v}, Options{Arch: "amd64"}).Menu
	if m == nil || m.Auto.Entry == nil || !strings.Contains(m.Auto.Cmdline, "root=/dev/mapper/") {
		t.Fatalf("menu %+v: want $kernelopts of grub2/grubenv in the command line", m)
	}
}
