package pxelinux

import (
	"errors"
	"testing"
	"time"
)

func TestAutoboot(t *testing.T) {
	const labels = "label a\nappend x\nlabel b\nmenu default\nlabel c\nmenu hide\n"
	for _, tc := range []struct {
		name, cfg string
		cmd       string // Command of the choice ("" = nothing boots)
		wait      time.Duration
		forever   bool
		via       string
	}{
		{"default at once", "default c\ntimeout 50\nontimeout a\n" + labels, "c", 0, false, "DEFAULT"},
		{"no default waits", labels, "", 0, true, ""},
		{"default with options", "default a quiet\n" + labels, "a quiet", 0, false, "DEFAULT"},
		{"default names a kernel", "default vmlinuz ro\n", "vmlinuz ro", 0, false, "DEFAULT"},
		{"prompt waits timeout then ontimeout", "prompt 1\ntimeout 50\ndefault a\nontimeout c\n" + labels, "c", 5 * time.Second, false, "ONTIMEOUT"},
		{"prompt then default", "prompt 1\ntimeout 50\ndefault a\n" + labels, "a", 5 * time.Second, false, "DEFAULT"},
		{"prompt timeout 0 waits", "prompt 1\ndefault a\nontimeout c\n" + labels, "a", 0, true, ""},
		{"totaltimeout caps", "prompt 1\ntimeout 50\ntotaltimeout 20\ndefault a\n" + labels, "a", 2 * time.Second, false, "DEFAULT"},
		{"totaltimeout alone", "prompt 1\ntotaltimeout 20\ndefault a\n" + labels, "a", 2 * time.Second, false, "DEFAULT"},
		{"ui: menu default", "ui menu.c32\ntimeout 30\n" + labels, "b", 3 * time.Second, false, "menu default"},
		{"ui: DEFAULT label over MENU DEFAULT", "ui menu.c32\ntimeout 30\ndefault a\n" + labels, "a", 3 * time.Second, false, "menu default"},
		{"ui: ONTIMEOUT over DEFAULT", "ui menu.c32\ntimeout 30\ndefault a\nontimeout c extra\n" + labels, "c extra", 3 * time.Second, false, "ONTIMEOUT"},
		{"ui: hidden DEFAULT is no menu default", "ui menu.c32\ntimeout 30\ndefault c\n" + labels, "b", 3 * time.Second, false, "menu default"},
		{"ui: first entry", "ui menu.c32\ntimeout 10\nlabel x\nmenu disable\nlabel y\n", "y", time.Second, false, "menu default"},
		{"ui: timeout 0 waits", "ui menu.c32\ndefault a\nontimeout c\n" + labels, "a", 0, true, ""},
		{"ui over prompt 0", "ui vesamenu.c32\nprompt 0\ntimeout 10\n" + labels, "b", time.Second, false, "menu default"},
		{"default vesamenu.c32 is a menu", "default vesamenu.c32\ntimeout 10\n" + labels, "b", time.Second, false, "menu default"},
		{"prompt, then default vesamenu.c32", "default vesamenu.c32\nprompt 1\ntimeout 10\n" + labels, "b", 2 * time.Second, false, "menu default"},
		{"label named like a module", "default menu.c32\nlabel menu.c32\nkernel k\n", "menu.c32", 0, false, "DEFAULT"},
		{"implicit 0 and no label", "default vmlinuz\nimplicit 0\n", "", 0, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.cfg)
			a := c.Autoboot()
			cmd := ""
			if a.Entry != nil {
				cmd = a.Command
			}
			if cmd != tc.cmd || a.Wait != tc.wait || a.Forever != tc.forever || a.Via != tc.via {
				t.Errorf("got %q wait %v forever %v via %q; want %q %v %v %q", cmd, a.Wait, a.Forever, a.Via, tc.cmd, tc.wait, tc.forever, tc.via)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	const cfg = "append g\nipappend 2\nlabel a\nappend x initrd=i\nlabel b\nmenu hide\nlabel c\ndefault a\n"
	for _, tc := range []struct {
		name, cfg, line string
		cmdline         string
		initrds         int
		err             error
	}{
		{"label", cfg, "a", "BOOT_IMAGE=a x BOOTIF=01-52-54-00-12-34-56", 1, nil},
		{"label with options", cfg, "a  quiet  ro", "BOOT_IMAGE=a x BOOTIF=01-52-54-00-12-34-56 quiet ro", 1, nil},
		{"typed initrd= is used when the label has none", cfg, "c initrd=u1,u2", "BOOT_IMAGE=c g BOOTIF=01-52-54-00-12-34-56", 2, nil},
		{"hidden label by name", cfg, "b", "BOOT_IMAGE=b g BOOTIF=01-52-54-00-12-34-56", 0, nil},
		{"number", cfg, "2 y", "BOOT_IMAGE=c g BOOTIF=01-52-54-00-12-34-56 y", 0, nil},
		{"empty is DEFAULT", cfg, "  ", "BOOT_IMAGE=a x BOOTIF=01-52-54-00-12-34-56", 1, nil},
		{"implicit kernel gets its options and SYSAPPEND, not APPEND", cfg, "vmlinuz ro initrd=r.img", "BOOT_IMAGE=vmlinuz ro BOOTIF=01-52-54-00-12-34-56", 1, nil},
		{"number out of range is a kernel", cfg, "9", "BOOT_IMAGE=9 BOOTIF=01-52-54-00-12-34-56", 0, nil},
		{"implicit 0", cfg + "implicit 0\n", "vmlinuz", "", 0, ErrNoEntry},
		{"allowoptions 0 drops typed options", cfg + "allowoptions 0\n", "a quiet", "BOOT_IMAGE=a x BOOTIF=01-52-54-00-12-34-56", 1, nil},
		{"allowoptions 0, implicit", cfg + "allowoptions 0\n", "vmlinuz quiet", "BOOT_IMAGE=vmlinuz BOOTIF=01-52-54-00-12-34-56", 0, nil},
		{"empty without default", "label a\n", "", "", 0, ErrNoEntry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.cfg)
			ch, err := c.Command(tc.line)
			if !errors.Is(err, tc.err) || (tc.err != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got := ch.Cmdline(facts); got != tc.cmdline {
				t.Errorf("cmdline %q, want %q", got, tc.cmdline)
			}
			if got := len(ch.Initrds(facts)); got != tc.initrds {
				t.Errorf("%d initrds, want %d", got, tc.initrds)
			}
		})
	}
}

func TestOnError(t *testing.T) {
	c := mustParse(t, "onerror fallback x\nlabel fallback\nlabel a\n")
	ch, ok := c.OnErrorChoice(Choice{Command: "a quiet"})
	if !ok || ch.Entry.Label != "fallback" || ch.Args != "x a quiet" {
		t.Errorf("got %+v %v", ch, ok)
	}
	if _, ok := mustParse(t, "label a\n").OnErrorChoice(Choice{Command: "a"}); ok {
		t.Error("no ONERROR must give ok=false")
	}
}
