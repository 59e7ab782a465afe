package grub

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// fixture is testdata/NAME/fixture.json: the volumes (folders NAME/VOL)
// and where the config is.
type fixture struct {
	Platform, Arch string
	Root, Path     string
	Volumes        []struct {
		Name, Disk          string
		DiskIndex           int
		Partition           int
		FSType, UUID, Label string
		PartUUID            string
	}
}

// loadFixture gives the options for testdata/name.
func loadFixture(t testing.TB, name string) Options {
	t.Helper()
	dir := filepath.Join("testdata", name)
	b, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fx fixture
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	o := Options{Path: fx.Path, Arch: fx.Arch, Platform: fx.Platform}
	for _, v := range fx.Volumes {
		vol := &volume.Volume{Name: v.Name, Disk: v.Disk, DiskIndex: v.DiskIndex, Partition: v.Partition,
			FSType: v.FSType, UUID: v.UUID, Label: v.Label, PartUUID: v.PartUUID, FS: os.DirFS(filepath.Join(dir, v.Name))}
		o.Volumes = append(o.Volumes, vol)
		if v.Name == fx.Root {
			o.Root = vol
		}
	}
	if o.Root == nil {
		t.Fatalf("%s: root %q is none of the volumes", name, fx.Root)
	}
	return o
}

// render is the golden text of a menu: the plan, then each entry's
// kind, origin and reason.
func render(t testing.TB, m *bootmenu.Menu) string {
	var b strings.Builder
	if err := bootmenu.Render(&b, m, bootmenu.Plan); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\nentries:\n")
	for _, e := range m.Entries {
		fmt.Fprintf(&b, "  %s: %s at %s", e.Label, e.Kind, e.Origin)
		if e.Hidden {
			b.WriteString(" (hidden)")
		}
		if e.Reason != "" {
			fmt.Fprintf(&b, ": %s", e.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestFixtures interprets each install's config and compares the menu
// with testdata/NAME/menu.golden.
func TestFixtures(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join("testdata", d.Name(), "fixture.json")); err != nil {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			o := loadFixture(t, d.Name())
			m, err := Interpret(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			testenv.Golden(t, filepath.Join("testdata", d.Name(), "menu.golden"), []byte(render(t, m)))
		})
	}
	if n == 0 {
		t.Fatal("no fixtures under testdata")
	}
}
