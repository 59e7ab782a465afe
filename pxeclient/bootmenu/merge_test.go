package bootmenu_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

const diskCfg = `PROMPT 1
TIMEOUT 50
DEFAULT install
ONERROR rescue
LABEL install
  KERNEL vmlinuz-disk
  APPEND root=/dev/vda2
LABEL rescue
  KERNEL vmlinuz-disk
  APPEND single
`

// ruleless is a menu without Rules, as a source with nothing but data
// gives it: typed options are appended to the command line.
func ruleless() *bootmenu.Menu {
	e := &bootmenu.Entry{Label: "linux", Title: "Linux on vdb1", Kind: bootmenu.Linux,
		Kernel: bootmenu.File{Name: "vdb1:/vmlinuz", URL: "file:///run/vdb1/vmlinuz"}, Cmdline: "root=/dev/vdb1"}
	return &bootmenu.Menu{Source: "vdb1:/extlinux.conf", Entries: []*bootmenu.Entry{e},
		Items: []bootmenu.Item{{Entry: e}}, Auto: bootmenu.Auto{Choice: bootmenu.Choice{Entry: e, Cmdline: e.Cmdline}, Wait: time.Second, Via: "first entry"}}
}

// TestMerge: entries of all parts in one menu, grouped, labels unique,
// the unattended choice of the first part that has one, and typed lines
// handed to the rules of the entry's part.
func TestMerge(t *testing.T) {
	lab, disk, other := menuOf(t, labCfg), menuOf(t, diskCfg), ruleless()
	disk.Source = "vda2:/boot/extlinux.conf"
	m := bootmenu.Merge([]bootmenu.Part{{Title: "network", Menu: lab}, {Title: "vda2 /boot/extlinux.conf", Menu: disk}, {Menu: nil}, {Title: "vdb1", Menu: other}})

	var b strings.Builder
	bootmenu.Render(&b, m, bootmenu.Items|bootmenu.Unattended)
	want := `network: Lab:
     1) Install [install]
        old (disabled)

     2) Boot from disk [disk] (cannot boot: LOCALBOOT 0)
     3) more (opens more.cfg)
    Tools:
         4) memtest (cannot boot: COM32 module: a syslinux program for x86 BIOS/EFI, not a Linux kernel)
vda2 /boot/extlinux.conf:
     5) install [install-2]
     6) rescue
vdb1:
     7) Linux on vdb1 [linux]

unattended: "install" after 3s (menu default)
  cmdline: BOOT_IMAGE=vmlinuz auto=true
`
	if b.String() != want {
		t.Errorf("merged menu:\n%s\nwant:\n%s", b.String(), want)
	}
	if m.Source != lab.Source || len(m.Entries) != len(lab.Entries)+len(disk.Entries)+1 || m.Auto.Entry != lab.Auto.Entry {
		t.Errorf("Source %q, %d entries, Auto %v", m.Source, len(m.Entries), m.Auto.Entry)
	}

	for _, tt := range []struct {
		line, kernel, cmdline, err string
	}{
		{line: "install-2 quiet", kernel: "vmlinuz-disk", cmdline: "BOOT_IMAGE=vmlinuz-disk root=/dev/vda2 quiet"},
		{line: "install", kernel: "vmlinuz", cmdline: "BOOT_IMAGE=vmlinuz auto=true"},
		{line: "5", kernel: "vmlinuz-disk", cmdline: "BOOT_IMAGE=vmlinuz-disk root=/dev/vda2"},
		{line: "7 a=b", kernel: "vdb1:/vmlinuz", cmdline: "root=/dev/vdb1 a=b"},
		{line: "linux", kernel: "vdb1:/vmlinuz", cmdline: "root=/dev/vdb1"},
		{line: "secret", kernel: "vmlinuz", cmdline: "BOOT_IMAGE=vmlinuz"},
		{line: "bzImage x=1", kernel: "bzImage", cmdline: "BOOT_IMAGE=bzImage x=1"}, // a kernel named at the prompt (PXELINUX)
		{line: "", kernel: "vmlinuz", cmdline: "BOOT_IMAGE=vmlinuz auto=true"},
		{line: "8", err: "no entry has number 8 (1-7)"},
	} {
		ch, err := m.Typed(tt.line)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Typed(%q) = %v, want error %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil || ch.Entry == nil || ch.Entry.Kernel.Name != tt.kernel || ch.Cmdline != tt.cmdline {
			t.Errorf("Typed(%q) = %+v, %v; want kernel %s, cmdline %q", tt.line, ch, err, tt.kernel, tt.cmdline)
		}
	}

	// ONERROR and CONFIG go to the part's rules, with its own entries.
	ch, _ := m.Typed("install-2")
	next, ok := m.Rules.OnError(ch)
	if !ok || next.Entry == nil || next.Entry.Label != "rescue" || next.Entry != m.Entries[len(lab.Entries)+1] {
		t.Errorf("OnError = %+v, %v; want the merged rescue entry", next, ok)
	}
	if _, ok := m.Rules.OnError(bootmenu.Choice{Entry: other.Entries[0]}); ok {
		t.Error("OnError of a part without rules ran something")
	}
	more, _ := m.Typed("more")
	if _, err := m.Rules.Follow(context.Background(), more.Entry); err == nil || !strings.Contains(err.Error(), "more.cfg") {
		t.Errorf("Follow(more) = %v, want the part's error naming more.cfg", err)
	}
	if _, err := m.Rules.Follow(context.Background(), other.Entries[0]); !errors.Is(err, bootmenu.ErrNoRules) {
		t.Errorf("Follow of a part without rules = %v, want ErrNoRules", err)
	}

	// The first part whose unattended choice boots decides: a part with
	// none is passed over.
	noAuto := menuOf(t, "PROMPT 1\nLABEL a\nKERNEL k\n")
	m = bootmenu.Merge([]bootmenu.Part{{Title: "net", Menu: noAuto}, {Title: "disk", Menu: menuOf(t, diskCfg)}})
	if m.Auto.Entry == nil || m.Auto.Entry.Label != "install" || m.Auto.Wait != 5*time.Second {
		t.Errorf("Auto = %+v, want install after 5 s", m.Auto)
	}
	// A part without menu lines lists its visible entries.
	if got := m.Numbered(); len(got) != 3 || got[0].Label != "a" {
		t.Errorf("Numbered = %v", got)
	}
	m = bootmenu.Merge([]bootmenu.Part{{Title: "net", Menu: noAuto}})
	if m.Auto.Entry != nil || m.Source != noAuto.Source {
		t.Errorf("nothing unattended: Auto %+v, Source %q", m.Auto, m.Source)
	}
}
