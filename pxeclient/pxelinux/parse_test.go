package pxelinux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// parseFiles parses files["cfg"] with the others available to INCLUDE and
// DISPLAY, relative to the TFTP root.
func parseFiles(t testing.TB, files map[string]string, lim Limits) (*Config, error) {
	t.Helper()
	m := fstest.MapFS{}
	for n, d := range files {
		m[n] = &fstest.MapFile{Data: []byte(d)}
	}
	p := &Parser{Opener: FSOpener(m, 0), Limits: lim}
	return p.Parse(context.Background(), "::", Path{Name: "cfg"})
}

func mustParse(t *testing.T, cfg string) *Config {
	t.Helper()
	c, err := parseFiles(t, map[string]string{"cfg": cfg}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var facts = Facts{MAC: mac("52:54:00:12:34:56")}

// describe summarises what a config says, for table tests.
func describe(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default=%q ui=%q timeout=%v total=%v ontimeout=%q onerror=%q prompt=%v noescape=%v allowoptions=%v implicit=%v say=%q display=%q title=%q\n",
		c.Default, c.UI, c.Timeout, c.TotalTimeout, c.OnTimeout, c.OnError, c.Prompt, c.NoEscape, c.AllowOptions, c.Implicit, c.Say, c.Display, c.Menu.Title)
	for _, e := range c.Entries {
		var ini []string
		for _, i := range (Choice{Entry: e}).Initrds(facts) {
			ini = append(ini, i.String())
		}
		fmt.Fprintf(&b, "%s %q %s kernel=%q initrds=%q cmdline=%q", e.Label, e.Title, e.Kind, e.KernelPath, ini, e.Cmdline(facts))
		if e.Hotkey != 0 {
			fmt.Fprintf(&b, " key=%c", e.Hotkey)
		}
		for _, f := range []struct {
			set  bool
			name string
		}{{e.Hidden, "hidden"}, {e.Disabled, "disabled"}, {e.MenuDefault, "menudefault"}} {
			if f.set {
				b.WriteString(" " + f.name)
			}
		}
		if e.Kind == KindLocalBoot {
			fmt.Fprintf(&b, " localboot=%d", e.LocalBoot)
		}
		if e.Help != "" {
			fmt.Fprintf(&b, " help=%q", e.Help)
		}
		if e.FDT != "" {
			fmt.Fprintf(&b, " fdt=%q", e.FDT)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestKeywords has one row per keyword (or rule) of the language; want
// holds lines that must appear in describe's output.
func TestKeywords(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		want      []string
	}{
		{"label defaults kernel to label", "label vmlinuz", []string{`vmlinuz "vmlinuz" linux kernel="vmlinuz" initrds=[] cmdline="BOOT_IMAGE=vmlinuz"`}},
		{"kernel", "label a\nkernel k\n", []string{`kernel="k"`, `cmdline="BOOT_IMAGE=k"`}},
		{"linux", "label a\nLINUX k.c32\n", []string{`a "a" linux kernel="k.c32"`}},
		{"kernel options come first", "append g\nlabel a\nkernel k x=1\n", []string{`cmdline="BOOT_IMAGE=k x=1 g"`}},
		{"case-insensitive keywords, tabs, CRLF", "LaBeL a\r\n\tKeRnEl\tk\r\n\tAPPEND\tx=1  y=2 \r\n", []string{`cmdline="BOOT_IMAGE=k x=1 y=2"`}},
		{"labels are case-sensitive", "label A\nlabel a\n", []string{`A "A"`, `a "a"`}},
		{"comments", "# label x\n  # kernel y\nlabel a\n", []string{`a "a" linux kernel="a"`}},
		{"global append", "append g=1\nlabel a\nlabel b\nappend l=1\n", []string{`a "a" linux kernel="a" initrds=[] cmdline="BOOT_IMAGE=a g=1"`, `cmdline="BOOT_IMAGE=b l=1"`}},
		{"append -", "append g=1\nlabel a\nappend -\n", []string{`cmdline="BOOT_IMAGE=a"`}},
		{"initrd keyword, several", "label a\ninitrd i1,i2\nappend x\n", []string{`initrds=["i1" "i2"] cmdline="BOOT_IMAGE=a x"`}},
		{"initrd= in append", "label a\nappend x initrd=i1,i2 y\n", []string{`initrds=["i1" "i2"] cmdline="BOOT_IMAGE=a x y"`}},
		{"append initrd= wins over INITRD", "label a\ninitrd i2\nappend initrd=i1\n", []string{`initrds=["i1"] cmdline="BOOT_IMAGE=a"`}},
		{"rd.initrd= is no initrd", "label a\nappend rd.initrd=x\n", []string{`initrds=[] cmdline="BOOT_IMAGE=a rd.initrd=x"`}},
		{"global initrd ignored", "initrd g\nlabel a\n", []string{`initrds=[]`}},
		{"quotes keep spaces", `label a` + "\n" + `append x="a  b" initrd=i` + "\n", []string{`cmdline="BOOT_IMAGE=a x=\"a  b\""`}},
		{"ipappend global", "ipappend 2\nlabel a\n", []string{`cmdline="BOOT_IMAGE=a BOOTIF=01-52-54-00-12-34-56"`}},
		{"ipappend per label, hex", "ipappend 2\nlabel a\nsysappend 0x0\n", []string{`cmdline="BOOT_IMAGE=a"`}},
		{"ipappend order after INITRD", "label a\nipappend 2\ninitrd i\nappend x\n", []string{`initrds=["i"] cmdline="BOOT_IMAGE=a x BOOTIF=01-52-54-00-12-34-56"`}},
		{"localboot", "label l\nlocalboot -1\n", []string{`l "l" localboot kernel="" initrds=[] cmdline="" localboot=-1`}},
		{"localboot hex", "label l\nLOCALBOOT 0x80\n", []string{`localboot=128`}},
		{"com32", "label h\ncom32 hdt.c32\n", []string{`h "h" other kernel="hdt.c32"`}},
		{"kernel .c32 is com32", "label h\nkernel reboot.c32\n", []string{`h "h" other kernel="reboot.c32"`}},
		{"kernel .0 is pxe", "label h\nkernel pxechn.0\n", []string{`h "h" other`}},
		{"kernel .com is comboot", "label h\nkernel memdisk.com\n", []string{`h "h" other`}},
		{"kernel .bss", "label h\nkernel x.bss\n", []string{`h "h" other`}},
		{"kernel .img is a kernel", "label h\nkernel images/kernel.img\n", []string{`h "h" linux kernel="images/kernel.img"`}},
		{"fdimage", "label h\nfdimage fd.img\n", []string{`h "h" other`}},
		{"boot, bss, pxe, comboot", "label a\nboot x\nlabel b\nbss x\nlabel c\npxe x\nlabel d\ncomboot x\n", []string{`a "a" other`, `b "b" other`, `c "c" other`, `d "d" other`}},
		{"config", "label c\nconfig other.cfg dir/\n", []string{`c "c" config kernel="other.cfg"`}},
		{"menu module with a config", "label c\nkernel vesamenu.c32\nappend sub.cfg\n", []string{`c "c" config kernel="sub.cfg"`}},
		{"menu label and hotkey", "label a\nmenu label ^Install it\n", []string{`a "Install it" linux kernel="a" initrds=[] cmdline="BOOT_IMAGE=a" key=i`}},
		{"menu hide", "label a\nmenu hide\n", []string{`cmdline="BOOT_IMAGE=a" hidden`}},
		{"menu disable", "label a\nmenu disable\n", []string{`disabled`}},
		{"menu default", "label a\nlabel b\nmenu default\n", []string{`b "b" linux kernel="b" initrds=[] cmdline="BOOT_IMAGE=b" menudefault`}},
		{"text help", "label a\ntext help\n  Line one\nline two\n endtext\nkernel k\n", []string{`kernel="k"`, `help="  Line one\nline two"`}},
		{"fdt", "label a\nfdt dtb/x.dtb\n", []string{`fdt="dtb/x.dtb"`}},
		{"timeouts in tenths", "timeout 50\ntotaltimeout 9000\n", []string{"timeout=5s total=15m0s"}},
		{"bad timeout is 0", "timeout x\n", []string{"timeout=0s"}},
		{"negative timeout is 0", "timeout -5\n", []string{"timeout=0s"}},
		{"ontimeout, onerror", "ontimeout a b\nonerror c\n", []string{`ontimeout="a b" onerror="c"`}},
		{"menu onerror", "menu onerror c\n", []string{`onerror="c"`}},
		{"prompt, noescape", "prompt 1\nnoescape 1\n", []string{"prompt=true noescape=true"}},
		{"allowoptions, implicit", "allowoptions 0\nimplicit 0\n", []string{"allowoptions=false implicit=false"}},
		{"default and ui", "default x y\nui menu.c32\n", []string{`default="x y" ui="menu.c32"`}},
		{"say keeps spacing", "say   Hello  world\n", []string{`say=["  Hello  world"]`}},
		{"menu title", "menu title The  Menu\n", []string{`title="The  Menu"`}},
		{"ignored keywords", "font x.psf\nkbdmap x\nserial 0 115200\nconsole 0\nf1 help.txt\nF10 h\npath a:b\nnohalt 1\nnocomplete 1\nmenu color sel 1 #fff #000\nmenu width 80\nmenu background x.png\nmenu passwd $4$x\nlabel a\n", []string{`a "a" linux`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.cfg)
			got := describe(c)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s\nin\n%s", w, got)
				}
			}
			for _, w := range c.Warnings {
				if !strings.Contains(tc.name, "bad") && !strings.Contains(tc.name, "negative") {
					t.Errorf("warning %v", w)
				}
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		want      error
		line      int
	}{
		{"unknown keyword", "frobnicate 1\n", ErrUnknownKeyword, 1},
		{"unknown menu keyword", "# c\nmenu frobnicate\n", ErrUnknownKeyword, 2},
		{"kernel outside label", "kernel k\n", ErrOutOfScope, 1},
		{"menu end without begin", "\n\nmenu end\n", ErrOutOfScope, 3},
		{"bad number", "ipappend x\n", ErrBadValue, 1},
		{"missing include", "include nothere.cfg\n", ErrIncludeMissing, 1},
		{"include cycle", "label a\ninclude cfg\n", ErrIncludeCycle, 2},
		{"long line", "say " + strings.Repeat("x", 5000) + "\n", ErrLineTooLong, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.cfg)
			if len(c.Warnings) != 1 || !errors.Is(c.Warnings[0], tc.want) {
				t.Fatalf("warnings %v, want one %v", c.Warnings, tc.want)
			}
			var w *Warning
			if !errors.As(c.Warnings[0], &w) || w.File.String() != "cfg" || w.Line != tc.line {
				t.Fatalf("warning %#v, want a *Warning for cfg line %d", c.Warnings[0], tc.line)
			}
			if prefix := fmt.Sprintf("cfg:%d: ", tc.line); !strings.HasPrefix(w.Error(), prefix) {
				t.Errorf("warning %q does not start with %q", w, prefix)
			}
		})
	}
}

func TestLongLineCut(t *testing.T) {
	c := mustParse(t, "say "+strings.Repeat("x", 5000)+"label evil\nlabel ok\n")
	if len(c.Say[0]) != MaxLineLength-1-4 {
		t.Errorf("SAY kept %d bytes, want %d", len(c.Say[0]), MaxLineLength-1-4)
	}
	if c.Lookup("ok") == nil || len(c.Entries) != 1 {
		t.Errorf("entries %v: the rest of a long line must not become a line", describe(c))
	}
}

func TestIncludes(t *testing.T) {
	files := map[string]string{
		"cfg":       "include a.cfg\nmenu include b.cfg Sub ^Menu\nlabel after\ndisplay msg.txt\ndisplay nothere.txt\n",
		"a.cfg":     "append from-a\nlabel a\n",
		"b.cfg":     "label b\nmenu label B\n",
		"msg.txt":   "hello\n",
		"deep0.cfg": "include deep1.cfg\n",
	}
	c, err := parseFiles(t, files, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := describe(c)
	for _, w := range []string{`cmdline="BOOT_IMAGE=a from-a"`, `b "B"`, `cmdline="BOOT_IMAGE=after from-a"`, `display=["hello\n"]`} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s in\n%s", w, got)
		}
	}
	if it := c.Menu.Items[1]; it.Submenu == nil || it.Text != "Sub ^Menu" || it.Submenu.Items[0].Entry.Label != "b" {
		t.Errorf("MENU INCLUDE with a tag must make a submenu: %+v", it)
	}
	if c.Menu.Items[2].Entry.Label != "after" {
		t.Errorf("entry after the MENU INCLUDE must be in the top menu")
	}
}

func TestIncludeDepth(t *testing.T) {
	files := map[string]string{"cfg": "include d0\n"}
	for i := range 20 {
		files[fmt.Sprintf("d%d", i)] = fmt.Sprintf("include d%d\nlabel l%d\n", i+1, i)
	}
	c, err := parseFiles(t, files, Limits{MaxIncludeDepth: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || !errors.Is(c.Warnings[0], ErrIncludeDepth) {
		t.Fatalf("warnings %v", c.Warnings)
	}
	if len(c.Entries) != 4 {
		t.Errorf("%d entries, want the 4 of the files within depth 5", len(c.Entries))
	}
}

func TestLimits(t *testing.T) {
	bomb := map[string]string{"cfg": "include b0\ninclude b0\n"}
	for i := range 30 {
		bomb[fmt.Sprintf("b%d", i)] = fmt.Sprintf("include b%d\ninclude b%d\n", i+1, i+1)
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		lim   Limits
		msg   string // the start of the error's text
	}{
		{"file size", map[string]string{"cfg": strings.Repeat("# x\n", 300)}, Limits{MaxFileSize: 1000}, "cfg: 1200 bytes, more than 1000"},
		{"entries", map[string]string{"cfg": strings.Repeat("label x\n", 101)}, Limits{MaxEntries: 100}, `cfg:101: LABEL "x": more than 100 entries`},
		{"entries, the last ended by the file's end", map[string]string{"cfg": "# many\n" + strings.Repeat("label x\n  kernel k\n", 101)}, Limits{MaxEntries: 100}, `cfg:202: LABEL "x": more than 100 entries`},
		{"entries in an include", map[string]string{"cfg": "label a\ninclude b\n", "b": "\nlabel b1\nlabel b2\n"}, Limits{MaxEntries: 2}, `b:3: LABEL "b2": more than 2 entries`},
		{"separators count", map[string]string{"cfg": strings.Repeat("menu separator\n", 11)}, Limits{MaxEntries: 10}, "cfg:11: MENU SEPARATOR: more than 10 entries"},
		{"submenus count", map[string]string{"cfg": "label a\nmenu begin x\n"}, Limits{MaxEntries: 1}, "cfg:2: MENU BEGIN: more than 1 entries"},
		{"include bomb", bomb, Limits{}, "b12: more than 256 files read"},
		{"total size", map[string]string{"cfg": "include a\ninclude b\n", "a": strings.Repeat("#", 600), "b": strings.Repeat("#", 600)}, Limits{MaxTotalSize: 1000}, "b: more than 1000 bytes read in all files"},
		{"display size", map[string]string{"cfg": "display a\n", "a": strings.Repeat("#", 2000)}, Limits{MaxFileSize: 1000}, "a: 2000 bytes, more than 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFiles(t, tc.files, tc.lim)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("err = %q, want it to start with %q", err, tc.msg)
			}
			testenv.Fault(t, "config limit: "+tc.name, fmt.Sprintf("refused: %v", err), 0, "")
		})
	}
}

func TestSubmenus(t *testing.T) {
	c := mustParse(t, `menu title Top
label a
menu begin adv
  menu title Advanced
  label b
    menu default
  menu separator
  label c
  menu begin deeper
    menu label ^Deeper
    label d
  menu end
menu end
label e
menu hide
label f
`)
	if c.Menu.Title != "Top" || len(c.Menu.Items) != 3 {
		t.Fatalf("top menu %+v", c.Menu)
	}
	adv := c.Menu.Items[1]
	if adv.Submenu == nil || adv.Text != "Advanced" || adv.Submenu.Title != "Advanced" || adv.Submenu.Default.Label != "b" {
		t.Errorf("submenu %+v %+v", adv, adv.Submenu)
	}
	if !adv.Submenu.Items[1].Separator {
		t.Errorf("separator missing: %+v", adv.Submenu.Items[1])
	}
	deeper := adv.Submenu.Items[3]
	if deeper.Text != "^Deeper" || deeper.Submenu.Title != "Deeper" {
		t.Errorf("MENU LABEL of a submenu: %+v %+v", deeper, deeper.Submenu)
	}
	var labels []string
	for _, e := range c.Numbered() {
		labels = append(labels, e.Label)
	}
	if got := strings.Join(labels, " "); got != "a b c d f" {
		t.Errorf("Numbered = %s, want a b c d f (hidden e left out)", got)
	}
	if len(c.Entries) != 6 {
		t.Errorf("%d entries, want 6", len(c.Entries))
	}
}

func TestLoad(t *testing.T) {
	m := fstest.MapFS{
		"s390x/pxelinux.cfg/C0A8":    {Data: []byte("label hex\n")},
		"s390x/pxelinux.cfg/default": {Data: []byte("label def\n")},
	}
	f := Facts{BootFile: "s390x/pxelinux.0", IP: netip.MustParseAddr("192.168.1.1")}
	c, err := (&Parser{Opener: FSOpener(m, 0)}).Load(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source.String() != "s390x/pxelinux.cfg/C0A8" || len(c.Tried) != 5 || c.Entries[0].Label != "hex" {
		t.Errorf("source %s tried %v", c.Source, c.Tried)
	}

	_, err = (&Parser{Opener: FSOpener(fstest.MapFS{}, 0)}).Load(context.Background(), f)
	var nc *NoConfigError
	if !errors.Is(err, ErrNoConfig) || !errors.As(err, &nc) || len(nc.Tried) != 9 {
		t.Errorf("err = %v, want a NoConfigError with 9 names", err)
	}
	if !strings.Contains(err.Error(), "s390x/pxelinux.cfg/C0A80101") {
		t.Errorf("%q does not name the names tried", err)
	}

	// A fetch failure that is not "not found" stops the lookup.
	boom := errors.New("network down")
	_, err = (&Parser{Opener: OpenerFunc(func(context.Context, Path) ([]byte, error) { return nil, boom })}).Load(context.Background(), f)
	if !errors.Is(err, boom) || errors.Is(err, ErrNoConfig) {
		t.Errorf("err = %v, want the network error", err)
	}
	// fs.ErrNotExist from an opener counts as not found.
	_, err = (&Parser{Opener: OpenerFunc(func(context.Context, Path) ([]byte, error) { return nil, fs.ErrNotExist })}).Load(context.Background(), f)
	if !errors.Is(err, ErrNoConfig) {
		t.Errorf("err = %v, want ErrNoConfig", err)
	}
}

func TestFollow(t *testing.T) {
	m := fstest.MapFS{
		"cfg":           {Data: []byte("default c\nlabel c\nconfig sub/other.cfg sub/\n")},
		"sub/other.cfg": {Data: []byte("default k\nlabel k\nkernel vmlinuz\n")},
	}
	p := &Parser{Opener: FSOpener(m, 0)}
	c, err := p.Parse(context.Background(), "::", Path{Name: "cfg"})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Autoboot()
	n, err := p.Follow(context.Background(), c, a.Entry)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Autoboot().Entry.KernelPath.String(); got != "sub/vmlinuz" {
		t.Errorf("kernel %s, want sub/vmlinuz (CONFIG's directory)", got)
	}
	if len(n.Tried) != 2 {
		t.Errorf("tried %v", n.Tried)
	}
	if _, err := p.Follow(context.Background(), n, n.Entries[0]); err == nil {
		t.Error("Follow of a linux entry must fail")
	}
}

func TestFSOpener(t *testing.T) {
	o := FSOpener(fstest.MapFS{"a/b": {Data: []byte("x")}}, 0)
	for _, tc := range []struct {
		p     Path
		ok    bool
		errIs error
	}{
		{Path{Name: "a/b"}, true, nil},
		{Path{Name: "/a//./b"}, true, nil},
		{Path{Name: "../a/b"}, false, fs.ErrNotExist},
		{Path{Name: "a/../a/b"}, false, fs.ErrNotExist},
		{Path{Host: "h", Name: "a/b"}, false, ErrNotFound},
		{Path{URL: "http://h/a/b"}, false, fs.ErrNotExist},
		{Path{Name: "a/c"}, false, fs.ErrNotExist},
	} {
		_, err := o.Open(context.Background(), tc.p)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, tc.errIs)) {
			t.Errorf("Open(%+v) = %v", tc.p, err)
		}
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Parser{Opener: FSOpener(fstest.MapFS{"cfg": {Data: []byte("label a\n")}}, 0)}
	if _, err := p.Parse(ctx, "", Path{Name: "cfg"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkParseDebian parses the Debian installer menu of
// testdata/pxelinux (9 files with includes and a submenu).
func BenchmarkParseDebian(b *testing.B) {
	root := "../../testdata/pxelinux/debian/tftproot"
	fsys := os.DirFS(root)
	var size int64
	_ = fs.WalkDir(fsys, ".", func(_ string, d fs.DirEntry, _ error) error {
		if fi, err := d.Info(); err == nil && !d.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	m := fstest.MapFS{}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, _ error) error {
		if !d.IsDir() {
			data, _ := fs.ReadFile(fsys, p)
			m[p] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	p := &Parser{Opener: FSOpener(m, 0)}
	b.SetBytes(size)
	for b.Loop() {
		if _, err := p.Parse(context.Background(), "::", Path{Name: "pxelinux.cfg/default"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseWorst parses a config at the default size limit made of
// the most expensive lines (long LABEL/APPEND pairs up to MaxEntries).
func BenchmarkParseWorst(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < DefaultMaxFileSize-8192; i++ {
		if i < DefaultMaxEntries-1 {
			fmt.Fprintf(&sb, "label l%d\n", i)
		}
		fmt.Fprintf(&sb, "append %s initrd=a,b,c\n", strings.Repeat("opt=val ", 400))
	}
	data := []byte(sb.String())
	p := &Parser{Opener: FSOpener(fstest.MapFS{"cfg": {Data: data}}, 0)}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := p.Parse(context.Background(), "::", Path{Name: "cfg"}); err != nil {
			b.Fatal(err)
		}
	}
}
