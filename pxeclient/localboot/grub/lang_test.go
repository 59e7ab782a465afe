package grub

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// testVolumes are two disks: hd0 with an ESP (gpt1) and a root (gpt2)
// holding the config, hd1 with one MBR partition labelled "data".
func testVolumes(cfg string, files map[string]string) Options {
	esp := fstest.MapFS{"EFI/BOOT/BOOTX64.EFI": {Data: []byte("MZ")}}
	root := fstest.MapFS{"boot/grub/grub.cfg": {Data: []byte(cfg)}, "k": {}, "i1": {}, "i2": {}, "boot/vmlinuz": {}, "boot/empty": {}, "boot/full": {Data: []byte("x")}}
	data := fstest.MapFS{"marker": {}, "k": {}}
	for name, text := range files {
		root[name] = &fstest.MapFile{Data: []byte(text)}
	}
	vols := []*volume.Volume{
		{Name: "vda1", Disk: "vda", Partition: 1, FSType: "vfat", UUID: "8A1B-2C3D", PartUUID: "11111111-2222-4333-8444-555555555501", FS: esp},
		{Name: "vda2", Disk: "vda", Partition: 2, FSType: "ext4", UUID: "3b5e0c9a-7f43-4c1e-9d2a-5f8e6b1c2d3e", Label: "root", PartUUID: "11111111-2222-4333-8444-555555555502", FS: root},
		{Name: "vdb1", Disk: "vdb", DiskIndex: 1, Partition: 1, FSType: "ext4", UUID: "0f0e0d0c-0b0a-4908-8706-050403020100", Label: "data", PartUUID: "5f3a9b21-01", FS: data},
	}
	return Options{Volumes: vols, Root: vols[1], Path: "/boot/grub/grub.cfg"}
}

func interpret(t *testing.T, cfg string, files map[string]string) *bootmenu.Menu {
	t.Helper()
	m, err := Interpret(t.Context(), testVolumes(cfg, files))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// args is an entry's command line without BOOT_IMAGE=/k.
func args(e *bootmenu.Entry) string {
	return strings.TrimPrefix(strings.TrimPrefix(e.Cmdline, "BOOT_IMAGE=/k"), " ")
}

// TestLanguage runs scripts whose one entry shows in its command line
// what the language did.
func TestLanguage(t *testing.T) {
	for _, tc := range []struct{ name, script, want string }{
		{"plain", "linux /k a b", "a b"},
		{"single quotes", `linux /k '$x "y"'`, `"$x \"y\""`},
		{"double quotes", `set x=1; linux /k "a $x" "\$x" "b\\c" "d\"e" "f\g"`, `"a 1" $x b\\c d\"e f\\g`},
		{"braces", `set x=1; linux /k ${x}2 a${x}b`, "12 a1b"},
		{"unquoted split", `set x="a  b "; linux /k [$x] "[$x]"`, `[a b ] "[a  b ]"`},
		{"empty unquoted dropped", `set x=; linux /k $x "$x" ''`, ` `},
		{"backslash", `linux /k a\ b \$x c\\d`, `"a b" $x c\\d`},
		{"line continuation", "linux /k a \\\n b", "a b"},
		{"comments", "linux /k a#b # c d\n# linux /k x", "a#b"},
		{"semicolons", "set x=1;set y=2 ; linux /k $x$y", "12"},
		{"assignment word", "x=5\nlinux /k $x", "5"},
		{"if else", `if false; then linux /k no; elif true; then linux /k yes; else linux /k else; fi`, "yes"},
		{"if nested", "if true; then\n if false; then linux /k a\n else linux /k b\n fi\nfi", "b"},
		{"while", `while [ -z "$d" ]; do set d=1; set r="${r}x"; done; linux /k $r`, "x"},
		{"until", `until [ "$r" = xxx ]; do set r="${r}x"; done; linux /k $r`, "xxx"},
		{"for", `for v in a "b c" d; do set r="$r-$v"; done; linux /k "$r"`, `"-a-b c-d"`},
		{"break continue", `for v in a b c d; do if [ $v = b ]; then continue; fi; if [ $v = d ]; then break; fi; set r="$r$v"; done; linux /k $r`, "ac"},
		{"function args", `function f { set r="$# $1 $2 [$*]"; }; f a "b c"; linux /k "$r"`, `"2 a b c [a b c]"`},
		{"function return", `function f { return 3; set r=no; }; f; linux /k $? $r`, "3"},
		{"status", `false; set a=$?; true; linux /k $a $?`, "1 0"},
		{"unset", `set a=1; unset a; linux /k "[$a]"`, "[]"},
		{"setparams shift", `function f { shift; linux /k $1; }; f a b`, "b"},
		{"chosen and title", `linux /k "$chosen" "$1"`, `"Entry title" "Entry title"`},
		{"loadfont fails", `if loadfont unicode; then linux /k gfx; else linux /k text; fi`, "text"},
		{"grub_platform", `linux /k $grub_platform $grub_cpu $feature_menuentry_id`, "efi x86_64 y"},
		{"root and prefix", `linux /k $root $prefix $config_directory`, "hd0,gpt2 (hd0,gpt2)/boot/grub (hd0,gpt2)/boot/grub"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testVolumes("menuentry 'Entry title' {\n"+tc.script+"\n}\n", nil)
			o.Arch = "amd64"
			m, err := Interpret(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Entries) != 1 {
				t.Fatalf("%d entries, want 1; warnings %v", len(m.Entries), m.Warnings)
			}
			e := m.Entries[0]
			if e.Kind != bootmenu.Linux {
				t.Fatalf("entry is %s: %s; warnings %v", e.Kind, e.Reason, m.Warnings)
			}
			if got := args(e); got != tc.want {
				t.Errorf("command line %q, want %q; warnings %v", got, tc.want, m.Warnings)
			}
		})
	}
}

// TestTest checks test/[ ] expressions one by one.
func TestTest(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"a = a", true}, {"a == b", false}, {"a != b", true}, {"-z ''", true}, {"-z x", false},
		{"-n x", true}, {"-n ''", false}, {"x", true}, {"''", false}, {"b '>' a", true}, {"a '<' b", true}, {"a '<=' a", true},
		{"10 -eq 10", true}, {"9 -lt 10", true}, {"10 -le 9", false}, {"11 -gt 10", true}, {"-3 -ge -2", false}, {"1 -ne 2", true},
		{"! a = a", false}, {"a = a -a b = c", false}, {"a = a -o b = c", true}, {"( a = b -o a = a ) -a x", true},
		{"-e /k", true}, {"-e /nothing", false}, {"-f /k", true}, {"-f /boot", false}, {"-d /boot", true},
		{"-s /boot/empty", false}, {"-s /boot/full", true}, {"-e (hd1,msdos1)/marker", true}, {"-e (hd1,1)/marker", true},
		{"-e (hd7,gpt1)/x", false}, {"x$feature_timeout_style = xy", true}, {"a =", false},
	} {
		m := interpret(t, "menuentry t {\nif [ "+tc.expr+" ]; then linux /k y; else linux /k n; fi\n}\n", nil)
		if len(m.Entries) != 1 {
			t.Errorf("[ %s ]: no entry; warnings %v", tc.expr, m.Warnings)
			continue
		}
		want := "n"
		if tc.want {
			want = "y"
		}
		if got := args(m.Entries[0]); got != want {
			t.Errorf("[ %s ] gave %s, want %s; warnings %v", tc.expr, got, want, m.Warnings)
		}
	}
}

// TestEntries checks menuentry options, kernel commands and devices.
func TestEntries(t *testing.T) {
	cfg := `menuentry_id_option="--id"
menuentry 'A' --class os --unrestricted --users bob $menuentry_id_option 'id-a' extra "more args" {
	linux /k $2 "$3"
	initrd /i1 /i2
}
menuentry 'B' --id=id-b {
	linux16 (hd1,msdos1)/k
	initrd16 (hd0,gpt2)/i2
}
menuentry 'C' {
	set root=hd0,gpt2
	linuxefi ($root)/boot/vmlinuz quiet
	initrdefi ($root)/i1
}
menuentry 'D' {
	linux (hd3,gpt1)/k
}
menuentry 'E' {
	search --no-floppy --fs-uuid --set=root --hint-efi=hd0,gpt1 8a1b-2c3d
	chainloader /EFI/BOOT/BOOTX64.EFI
}
menuentry 'F' {
	search.fs_label data dev
	linux ($dev)/k
	initrd /missing
}
menuentry 'G' {
	search --file --set=x /marker
	search --label root
	linux ($x)/k "$root"
}
menuentry 'H' {
	linux (md/0)/k
}
hiddenentry 'I' {
	linux /k
}
menuentry 'J' {
	initrd /i1
	linux /k
}
menuentry 'A' { linux /k dup }
`
	m := interpret(t, cfg, nil)
	want := []struct {
		label   string
		kind    bootmenu.Kind
		kernel  string
		initrds string
		cmdline string
		reason  string
	}{
		{"id-a", bootmenu.Linux, "vda2:/k", "vda2:/i1 vda2:/i2", `BOOT_IMAGE=/k extra "more args"`, ""},
		{"id-b", bootmenu.Linux, "vdb1:/k", "vda2:/i2", "BOOT_IMAGE=(hd1,msdos1)/k", ""},
		{"c", bootmenu.Linux, "vda2:/boot/vmlinuz", "vda2:/i1", "BOOT_IMAGE=(hd0,gpt2)/boot/vmlinuz quiet", ""},
		{"d", bootmenu.Other, "", "", "", "kernel (hd3,gpt1)/k: (hd3,gpt1): device not found"},
		{"e", bootmenu.Other, "vda1:/EFI/BOOT/BOOTX64.EFI", "", "", "chainloader /EFI/BOOT/BOOTX64.EFI"},
		{"f", bootmenu.Other, "", "", "", "initrd /missing: /missing not found on vda2 (ext4 \"root\")"},
		{"g", bootmenu.Linux, "vdb1:/k", "", "BOOT_IMAGE=(hd1,msdos1)/k hd0,gpt2", ""},
		{"h", bootmenu.Other, "", "", "", "kernel (md/0)/k: (md/0) is an MD RAID array: device not supported"},
		{"i", bootmenu.Linux, "vda2:/k", "", "BOOT_IMAGE=/k", ""},
		{"j", bootmenu.Linux, "vda2:/k", "", "BOOT_IMAGE=/k", ""},
		{"a", bootmenu.Linux, "vda2:/k", "", "BOOT_IMAGE=/k dup", ""},
	}
	if len(m.Entries) != len(want) {
		t.Fatalf("%d entries, want %d; warnings %v", len(m.Entries), len(want), m.Warnings)
	}
	for i, w := range want {
		e := m.Entries[i]
		var initrds []string
		for _, f := range e.Initrds {
			initrds = append(initrds, f.Name)
		}
		if e.Label != w.label || e.Kind != w.kind || e.Kernel.Name != w.kernel || strings.Join(initrds, " ") != w.initrds || e.Cmdline != w.cmdline || e.Reason != w.reason {
			t.Errorf("entry %d: %q %s kernel %q initrds %q cmdline %q reason %q\nwant %+v", i, e.Label, e.Kind, e.Kernel.Name, initrds, e.Cmdline, e.Reason, w)
		}
	}
	if !m.Entries[8].Hidden {
		t.Error("hiddenentry is not hidden")
	}
	if got := len(m.Numbered()); got != 10 {
		t.Errorf("%d numbered entries, want 10", got)
	}
	if o := m.Entries[0].Origin; o.File != "vda2:/boot/grub/grub.cfg" || o.Line != 3 {
		t.Errorf("origin %v, want vda2:/boot/grub/grub.cfg:3", o)
	}
}

// TestDefault checks the forms of $default and what Auto says.
func TestDefault(t *testing.T) {
	menu := `
menuentry 'First' --id first { linux /k 1; }
submenu 'Sub' --id sub {
	menuentry 'Inner A' --id inner-a { linux /k 2a; }
	menuentry 'Inner B' --id inner-b { linux /k 2b; }
}
menuentry 'Third' --id third { linux /k 3; }
`
	env := func(pairs ...string) string {
		s := envHeader
		for i := 0; i < len(pairs); i += 2 {
			s += pairs[i] + "=" + pairs[i+1] + "\n"
		}
		return s + strings.Repeat("#", 1024-len(s))
	}
	for _, tc := range []struct {
		name, head, grubenv string
		label, via          string
		wait                string
	}{
		{"unset", "", "", "first", "first entry", "forever"},
		{"index", "set default=2\nset timeout=3", "", "third", "default=2", "3s"},
		{"index into submenu", "set default=1", "", "inner-a", "default=1", "forever"},
		{"id", "set default=third\nset timeout=0", "", "third", "default=third", "0s"},
		{"title", "set default='Third'\nset timeout=-1", "", "third", "default=Third", "forever"},
		{"path ids", "set default='sub>inner-b'\nset timeout=1", "", "inner-b", "default=sub>inner-b", "1s"},
		{"path indexes", "set default='1>1'\nset timeout=1", "", "inner-b", "default=1>1", "1s"},
		{"path titles", "set default='Sub>Inner B'\nset timeout=1", "", "inner-b", "default=Sub>Inner B", "1s"},
		{"no match", "set default=nothing\nset timeout=1", "", "first", "first entry (default=nothing matches none)", "1s"},
		{"saved", "load_env\nset default=\"${saved_entry}\"\nset timeout=2", env("saved_entry", "sub>inner-a"), "inner-a", "saved_entry=sub>inner-a", "2s"},
		{"next_entry wins", "load_env\nif [ \"${next_entry}\" ]; then set default=\"${next_entry}\"; set next_entry=; save_env next_entry; else set default=\"${saved_entry}\"; fi\nset timeout=2",
			env("saved_entry", "first", "next_entry", "third"), "third", "next_entry=third", "2s"},
		{"hidden style", "set default=0\nset timeout_style=hidden\nset timeout=0", "", "first", "default=0, timeout_style=hidden", "0s"},
		{"load_env -f with names", "load_env -f $prefix/other saved_entry\nset default=$saved_entry\nset timeout=1", "", "third", "saved_entry=third", "1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"boot/grub/other": env("saved_entry", "third", "next_entry", "first")}
			if tc.grubenv != "" {
				files["boot/grub/grubenv"] = tc.grubenv
			}
			m := interpret(t, tc.head+menu, files)
			a := m.Auto
			if a.Entry == nil || a.Entry.Label != tc.label || a.Via != tc.via {
				t.Fatalf("auto %+v via %q, want %s via %q; warnings %v", a.Entry, a.Via, tc.label, tc.via, m.Warnings)
			}
			wait := a.Wait.String()
			if a.Forever {
				wait = "forever"
			}
			if wait != tc.wait {
				t.Errorf("wait %s, want %s", wait, tc.wait)
			}
			if m.Enter.Entry != a.Entry {
				t.Errorf("Enter boots %v, not the default", m.Enter.Entry)
			}
		})
	}
}

// TestContexts: a submenu sees only exported variables; an entry's
// body changes nothing outside it.
func TestContexts(t *testing.T) {
	m := interpret(t, `set a=1
set b=2
export b
function f { set c=changed; }
menuentry 'one' { f; set a=changed; linux /k "$a$b$c"; }
submenu 'sub' {
	menuentry 'two' { linux /k "[$a][$b][$c]"; }
}
menuentry 'three' { linux /k "$a$b$c"; }
`, nil)
	for i, want := range []string{"changed2changed", "[][2][]", "12"} {
		if got := args(m.Entries[i]); got != want {
			t.Errorf("entry %d: %q, want %q", i, got, want)
		}
	}
}

// TestWarnings: problems are warnings naming file:line; the other
// entries still work.
func TestWarnings(t *testing.T) {
	m := interpret(t, `lsefi
if [ a = a ; then true; fi
menuentry 'ok' { linux /k; }
echo "unterminated
`, nil)
	want := []string{
		"vda2:/boot/grub/grub.cfg:1: lsefi: unknown command",
		"vda2:/boot/grub/grub.cfg:2: [ without ]",
		"vda2:/boot/grub/grub.cfg:4: a \"…\" string from line 4 does not end: syntax error",
	}
	var got []string
	for _, w := range m.Warnings {
		got = append(got, w.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !errors.Is(m.Warnings[0], ErrUnknownCommand) {
		t.Errorf("%v does not match ErrUnknownCommand", m.Warnings[0])
	}
	if len(m.Entries) != 1 || m.Entries[0].Kind != bootmenu.Linux {
		t.Errorf("entries %v", m.Entries)
	}
}

// TestRules: typed labels and numbers, options, fallback.
func TestRules(t *testing.T) {
	m := interpret(t, "set fallback='1 2'\nmenuentry a --id a { linux /k q; }\nmenuentry b --id b { linux /nothing; }\nmenuentry c --id c { linux /k c; }\n", nil)
	ch, err := m.Typed("c single")
	if err != nil || ch.Entry.Label != "c" || ch.Cmdline != "BOOT_IMAGE=/k c single" || ch.Args != "single" {
		t.Errorf("Typed(c single) = %+v, %v", ch, err)
	}
	if ch, err := m.Typed("2"); err != nil || ch.Entry.Label != "b" {
		t.Errorf("Typed(2) = %+v, %v", ch, err)
	}
	if _, err := m.Typed("zz"); !errors.Is(err, ErrNoEntry) {
		t.Errorf("Typed(zz): %v", err)
	}
	next, ok := m.Rules.OnError(m.Auto.Choice)
	if !ok || next.Entry.Label != "c" {
		t.Errorf("OnError = %+v, %v; want c (b cannot boot)", next, ok)
	}
	if _, err := m.Rules.Follow(t.Context(), m.Entries[0]); err == nil {
		t.Error("Follow did not fail")
	}
}

// TestConfigfile: a stub that searches and opens the real config;
// source keeps the menu and context; cycles are warnings.
func TestConfigfile(t *testing.T) {
	m := interpret(t, "search --label root --set=r\nset prefix=($r)/boot/grub\nconfigfile $prefix/real.cfg\nmenuentry stub { linux /k; }\n", map[string]string{
		"boot/grub/real.cfg": "source /boot/grub/part.cfg\nmenuentry real { linux /k $p; }\n",
		"boot/grub/part.cfg": "set p=from-part\nmenuentry part { linux /k; }\n",
	})
	if len(m.Entries) != 2 || m.Entries[0].Label != "part" || args(m.Entries[1]) != "from-part" {
		t.Fatalf("entries %v, warnings %v", m.Entries, m.Warnings)
	}
	if m.Source != "vda2:/boot/grub/real.cfg" || strings.Join(m.Tried, " ") != "vda2:/boot/grub/grub.cfg vda2:/boot/grub/real.cfg vda2:/boot/grub/part.cfg" {
		t.Errorf("source %s tried %v", m.Source, m.Tried)
	}
}
