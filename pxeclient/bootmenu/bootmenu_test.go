package bootmenu_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// menuOf is the boot menu of a PXELINUX config, the model's first
// producer.
func menuOf(t *testing.T, cfg string) *bootmenu.Menu {
	t.Helper()
	p := &pxelinux.Parser{Opener: pxelinux.OpenerFunc(func(context.Context, pxelinux.Path) ([]byte, error) {
		return nil, pxelinux.ErrNotFound
	})}
	c, err := p.ParseBytes(context.Background(), "", pxelinux.Path{Name: "pxelinux.cfg/default"}, []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c.BootMenu(pxelinux.Facts{}, func(p pxelinux.Path) string { return "tftp://10.0.0.1/" + p.Name }, p)
}

const labCfg = `UI menu.c32
SAY Welcome
MENU TITLE Lab
TIMEOUT 30
DEFAULT install
LABEL install
  MENU LABEL ^Install
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND auto=true
LABEL old
  MENU DISABLE
  KERNEL vmlinuz-old
MENU SEPARATOR
LABEL disk
  MENU LABEL Boot from disk
  LOCALBOOT 0
LABEL more
  CONFIG more.cfg
MENU BEGIN tools
  MENU TITLE Tools
  LABEL memtest
    KERNEL memtest.c32
MENU END
LABEL secret
  MENU HIDE
  KERNEL vmlinuz
`

// TestRender: the one renderer, for the console's parts and the plan's.
func TestRender(t *testing.T) {
	m := menuOf(t, labCfg)
	var b strings.Builder
	if err := bootmenu.Render(&b, m, bootmenu.Console); err != nil {
		t.Fatal(err)
	}
	want := `Welcome
Lab
 1) Install [install]
    old (disabled)

 2) Boot from disk [disk] (cannot boot: LOCALBOOT 0)
 3) more (opens more.cfg)
Tools:
     4) memtest (cannot boot: COM32 module: a syslinux program for x86 BIOS/EFI, not a Linux kernel)
`
	if b.String() != want {
		t.Errorf("Console:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	bootmenu.Render(&b, m, bootmenu.Plan)
	for _, w := range []string{"config: pxelinux.cfg/default\n", "\nWelcome\nLab\n 1) Install [install]\n",
		"unattended: \"install\" after 3s (menu default)\n  cmdline: BOOT_IMAGE=vmlinuz auto=true\n",
		"\ninstall:\n  kernel:  vmlinuz\n  initrd:  initrd.gz\n", "\nsecret:\n", "\ndisk:\n  local boot\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("Plan lacks %q:\n%s", w, b.String())
		}
	}
}

// TestModel: what the PXELINUX producer puts into the model.
func TestModel(t *testing.T) {
	m := menuOf(t, labCfg)
	if m.Auto.Entry == nil || m.Auto.Entry.Label != "install" || m.Enter.Entry != m.Auto.Entry || m.Quiet {
		t.Fatalf("Auto %+v, Enter %+v", m.Auto, m.Enter)
	}
	e := m.Auto.Entry
	if e.Kernel.URL != "tftp://10.0.0.1/vmlinuz" || len(e.Initrds) != 1 || e.Initrds[0].Name != "initrd.gz" ||
		e.Origin.String() != "pxelinux.cfg/default:6" || e.Options != bootmenu.OptionsDefault {
		t.Errorf("entry %+v", e)
	}
	if n := m.Numbered(); len(n) != 4 || n[3].Label != "memtest" {
		t.Errorf("Numbered = %d entries", len(n))
	}
	if len(m.Listed()) != 6 {
		t.Errorf("Listed = %d entries, want 6", len(m.Listed()))
	}
	ch, err := m.Typed("3")
	if err != nil || ch.Entry.Kind != bootmenu.Chain || ch.Why() != "" {
		t.Fatalf("Typed(3) = %+v, %v", ch, err)
	}
	if _, err := m.Rules.Follow(context.Background(), ch.Entry); !errors.Is(err, pxelinux.ErrNotFound) {
		t.Errorf("Follow = %v, want the opener's ErrNotFound", err)
	}
	if ch, _ := m.Typed("disk"); !strings.Contains(ch.Why(), `"disk" is LOCALBOOT 0`) {
		t.Errorf("Why = %q", ch.Why())
	}
}

// TestTypedLocked: a Locked menu refuses typed options unless the source
// allows them explicitly; choices the source made keep theirs.
func TestTypedLocked(t *testing.T) {
	for _, tt := range []struct {
		name, cfg, line string
		locked          bool
		refused         bool
		cmdline         string
	}{
		{"unlocked", "", "linux single", false, false, "BOOT_IMAGE=vmlinuz quiet single"},
		{"locked", "", "linux single", true, true, ""},
		{"locked, by number", "", "1 single", true, true, ""},
		{"locked, implicit kernel with options", "", "vmlinuz-other init=/bin/sh", true, true, ""},
		{"locked, label alone", "", "linux", true, false, "BOOT_IMAGE=vmlinuz quiet"},
		{"locked, ALLOWOPTIONS 1", "ALLOWOPTIONS 1\n", "linux single", true, false, "BOOT_IMAGE=vmlinuz quiet single"},
		{"locked, ALLOWOPTIONS 0 drops them", "ALLOWOPTIONS 0\n", "linux single", true, false, "BOOT_IMAGE=vmlinuz quiet"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := menuOf(t, tt.cfg+"DEFAULT linux quiet2\nLABEL linux\nKERNEL vmlinuz\nAPPEND quiet\n")
			m.Locked = tt.locked
			ch, err := m.Typed(tt.line)
			if tt.refused {
				if !errors.Is(err, bootmenu.ErrOptionsLocked) {
					t.Fatalf("Typed(%q) = %+v, %v; want ErrOptionsLocked", tt.line, ch, err)
				}
				return
			}
			if err != nil || ch.Cmdline != tt.cmdline || !ch.Typed {
				t.Errorf("Typed(%q) = %q, %v; want %q", tt.line, ch.Cmdline, err, tt.cmdline)
			}
			// DEFAULT's options come from the (signed) config.
			if a := m.Auto; a.Cmdline != "BOOT_IMAGE=vmlinuz quiet quiet2" || a.Typed {
				t.Errorf("Auto = %q typed=%v", a.Cmdline, a.Typed)
			}
		})
	}
}
