package pxelinux

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// FuzzParse feeds arbitrary configs (which may include themselves and a
// second file) through the parser, the selection and the boot menu model
// with its text: none may
// panic or hang, and limits must hold.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"default a\nlabel a\nkernel k\nappend x initrd=i,j\nipappend 7\n",
		"ui menu.c32\nmenu title T\nmenu begin s\nlabel a\nmenu label ^A\nmenu default\nmenu end\ntimeout 50\nontimeout a\n",
		"include cfg\ninclude inc\nmenu include inc tag\ntext help\nx\nendtext\nlabel b\nlocalboot 0\n",
		"prompt 1\ntotaltimeout 9\ndefault vmlinuz ro\nlabel c\nconfig inc dir/\nlabel d\ncom32 hdt.c32\n",
		"menu end\nmenu separator\nkernel x\nsay \x00\r\nlabel \"q\"\nappend \"a b\" initrd=\n",
	} {
		f.Add(s, "label i\nmenu hide\ninclude inc\n", "a quiet")
	}
	f.Fuzz(func(t *testing.T, cfg, inc, typed string) {
		m := fstest.MapFS{"cfg": {Data: []byte(cfg)}, "inc": {Data: []byte(inc)}, "dir/inc": {Data: []byte(cfg)}}
		lim := Limits{MaxEntries: 200, MaxFiles: 50, MaxIncludeDepth: 8}
		p := &Parser{Opener: FSOpener(m, 0), Limits: lim}
		c, err := p.Parse(context.Background(), "::", Path{Name: "cfg"})
		if err != nil {
			return
		}
		if len(c.Entries) > lim.MaxEntries {
			t.Fatalf("%d entries, limit %d", len(c.Entries), lim.MaxEntries)
		}
		a := c.Autoboot()
		_ = a.Cmdline(facts)
		_ = a.Initrds(facts)
		if ch, err := c.Command(typed); err == nil {
			_ = ch.Cmdline(facts)
		}
		bm := c.BootMenu(facts, nil, p)
		var b strings.Builder
		if err := bootmenu.Render(&b, bm, bootmenu.Plan); err != nil {
			t.Fatal(err)
		}
		if ch, err := bm.Typed(typed); err == nil && ch.Entry == nil {
			t.Fatalf("Typed(%q) gave no entry and no error", typed)
		}
		for _, e := range bm.Entries {
			if e.Kind == bootmenu.Chain {
				_, _ = bm.Rules.Follow(context.Background(), e)
			}
		}
	})
}
