package bls

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// mapMenu loads files (names below the volume's root) and gives the
// menu on volume vda1.
func mapMenu(t *testing.T, files map[string]string, opts Options) (*Result, *bootmenu.Menu) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	res, err := Load(fsys, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, res.Menu(testVolume("vda1", fsys))
}

// menuFiles: an ESP with an x64 entry, an aa64 entry, an EFI program and
// two kernels of one OS.
var menuFiles = map[string]string{
	"loader/loader.conf":         "default *6.9*\ntimeout 5\neditor no\n",
	"loader/entries/a-6.9.conf":  "title Fedora\nversion 6.9\nsort-key fedora\nlinux /k69\ninitrd /i69\noptions quiet\n",
	"loader/entries/a-6.10.conf": "title Fedora\nversion 6.10\nsort-key fedora\nlinux /k610\noptions quiet\n",
	"loader/entries/arm.conf":    "title Debian arm64\narchitecture aa64\nlinux /Image\n",
	"loader/entries/shell.conf":  "title EFI Shell\nefi /EFI/tools/shellx64.efi\n",
	"loader/entries/x64.conf":    "title Debian\narchitecture X64\nlinux /vmlinuz\ndevicetree /dtbs/board.dtb\n",
	"k69":                        "", "i69": "", "k610": "", "Image": "", "vmlinuz": "", "EFI/tools/shellx64.efi": "",
	"loader/entries/.hidden.conf": "garbage",
	"loader/entries/notes.txt":    "garbage",
}

func TestMenu(t *testing.T) {
	res, m := mapMenu(t, menuFiles, Options{Arch: "amd64"})
	var labels []string
	for _, it := range m.Items {
		labels = append(labels, it.Entry.Label)
	}
	// sort-key first (version descending), then by ID descending.
	if got := strings.Join(labels, " "); got != "a-6.10 a-6.9 x64 shell" {
		t.Errorf("items %s", got)
	}
	if len(m.Entries) != 5 || len(res.Entries) != 5 {
		t.Fatalf("%d entries, want 5 (arm hidden, .hidden.conf and notes.txt not read)", len(m.Entries))
	}
	byLabel := map[string]*bootmenu.Entry{}
	for _, e := range m.Entries {
		byLabel[e.Label] = e
	}
	if e := byLabel["arm"]; !e.Hidden || e.Kind != bootmenu.Other || e.Reason != "for architecture aa64, this machine is x64" {
		t.Errorf("arm: %+v", e)
	}
	if e := byLabel["shell"]; e.Kind != bootmenu.Other || e.Reason != "an EFI program: kexec boots Linux kernels only" || e.Origin.String() != "vda1:/loader/entries/shell.conf:2" {
		t.Errorf("shell: %+v", e)
	}
	if e := byLabel["x64"]; e.Kind != bootmenu.Linux || e.Hidden || e.Origin.String() != "vda1:/loader/entries/x64.conf:3" {
		t.Errorf("x64: %+v", e)
	}
	// The default pattern picks the first match in the spec's order.
	if a := m.Auto; a.Entry != byLabel["a-6.9"] || a.Via != "loader.conf default" || a.Wait.Seconds() != 5 {
		t.Errorf("Auto %+v", a)
	}
	// Same titles get the version.
	if byLabel["a-6.9"].Title != "Fedora (6.9)" || byLabel["a-6.10"].Title != "Fedora (6.10)" {
		t.Errorf("titles %q %q", byLabel["a-6.9"].Title, byLabel["a-6.10"].Title)
	}
	checkWarnings(t, m.Warnings, []error{ErrDevicetree})

	for _, tt := range []struct {
		line, label, cmdline string
		err                  error
	}{
		{line: "a-6.9", label: "a-6.9", cmdline: "quiet"},
		{line: "2", label: "a-6.9", cmdline: "quiet"},
		{line: "A-6.10", label: "a-6.10", cmdline: "quiet"},
		{line: "arm", label: "arm"}, // hidden entries boot by name
		{line: "a-6.9 single", err: ErrEditorDisabled},
		{line: "nothing", err: ErrNoEntry},
		{line: "9", err: ErrNoEntry},
	} {
		ch, err := m.Typed(tt.line)
		if !errors.Is(err, tt.err) || tt.err == nil && (ch.Entry == nil || ch.Entry.Label != tt.label || ch.Cmdline != tt.cmdline || !ch.Typed) {
			t.Errorf("Typed(%q) = %+v, %v; want %s %q, %v", tt.line, ch, err, tt.label, tt.cmdline, tt.err)
		}
	}
	if ch, ok := m.Rules.OnError(m.Auto.Choice); ok {
		t.Errorf("OnError = %+v", ch)
	}
	if _, err := m.Rules.Follow(context.Background(), m.Auto.Entry); !errors.Is(err, ErrNoChain) {
		t.Errorf("Follow = %v", err)
	}
}

// TestMenuOptions: typed options are added unless loader.conf says
// "editor no"; an explicit "editor yes" allows them under signed boot.
func TestMenuOptions(t *testing.T) {
	entry := map[string]string{"loader/entries/a.conf": "linux /k\noptions ro\n", "k": ""}
	for _, tt := range []struct {
		loader  string
		options bootmenu.Options
		err     error
	}{
		{"", bootmenu.OptionsDefault, nil},
		{"editor yes\n", bootmenu.OptionsAllowed, nil},
		{"editor 0\n", bootmenu.OptionsDefault, ErrEditorDisabled},
	} {
		files := map[string]string{"loader/loader.conf": tt.loader}
		for k, v := range entry {
			files[k] = v
		}
		_, m := mapMenu(t, files, Options{})
		m.Locked = true
		ch, err := m.Typed("a single")
		switch {
		case m.Entries[0].Options != tt.options:
			t.Errorf("%q: options %v", tt.loader, m.Entries[0].Options)
		case tt.err != nil && !errors.Is(err, tt.err):
			t.Errorf("%q: %v, want %v", tt.loader, err, tt.err)
		case tt.options == bootmenu.OptionsAllowed && (err != nil || ch.Cmdline != "ro single"):
			t.Errorf("%q: %q, %v", tt.loader, ch.Cmdline, err)
		case tt.options == bootmenu.OptionsDefault && tt.err == nil && !errors.Is(err, bootmenu.ErrOptionsLocked):
			t.Errorf("%q: %v, want ErrOptionsLocked", tt.loader, err)
		}
	}
}

// TestMenuDefaults: loader.conf's default and timeout.
func TestMenuDefaults(t *testing.T) {
	two := map[string]string{
		"loader/entries/fedora.conf": "linux /k\n", "loader/entries/arch.conf": "linux /k\n",
		"loader/entries/shell.conf": "efi /s.efi\n", "k": "", "s.efi": "",
	}
	for _, tt := range []struct {
		loader, auto, via string
		quiet, forever    bool
		warn              error
	}{
		{"", "fedora", "first entry", true, false, nil},
		{"default arch.conf\ntimeout menu-hidden\n", "arch", "loader.conf default", true, false, nil},
		{"default ARCH\ntimeout 0\n", "arch", "loader.conf default", true, false, nil},
		{"default ar?h.c[m-o]nf\ntimeout menu-disabled\n", "arch", "loader.conf default", true, false, nil},
		{"default shell\n", "fedora", "first entry", true, false, ErrNoMatch},
		{"default windows\ntimeout menu-force\n", "fedora", "first entry", false, true, ErrNoMatch},
		{"default @saved\ntimeout 10\n", "fedora", "first entry", false, false, ErrSavedDefault},
	} {
		files := map[string]string{"loader/loader.conf": tt.loader}
		for k, v := range two {
			files[k] = v
		}
		_, m := mapMenu(t, files, Options{})
		a := m.Auto
		if a.Entry == nil || a.Entry.Label != tt.auto || a.Via != tt.via || m.Quiet != tt.quiet || a.Forever != tt.forever {
			t.Errorf("%q: Auto %+v quiet %v", tt.loader, a, m.Quiet)
		}
		var want []error
		if tt.warn != nil {
			want = []error{tt.warn}
		}
		checkWarnings(t, m.Warnings, want)
	}
	// Nothing bootable: nothing boots unattended.
	_, m := mapMenu(t, map[string]string{"loader/entries/shell.conf": "efi /s.efi\n", "s.efi": ""}, Options{})
	if m.Auto.Entry != nil || !m.Auto.Forever || m.Auto.Via != "" {
		t.Errorf("Auto %+v", m.Auto)
	}
}

// TestMenuFiles: paths found where the spec and zipl put them, missing
// files warned about, duplicate IDs labelled by their file.
func TestMenuFiles(t *testing.T) {
	_, m := mapMenu(t, map[string]string{
		"boot/loader/entries/grub.conf":  "linux /vmlinuz-1\ninitrd /initrd-1 /missing.img\n",
		"boot/vmlinuz-1":                 "",
		"boot/initrd-1":                  "",
		"loader/entries/a.conf":          "linux /k\n",
		"loader/entries/a+1.conf":        "linux /k\n",
		"boot/loader/entries/a+0-2.conf": "linux /k\n",
		"k":                              "",
	}, Options{})
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Label+"="+e.Kernel.Name)
		for _, i := range e.Initrds {
			got = append(got, i.Name)
		}
	}
	want := "grub=vda1:/boot/vmlinuz-1 vda1:/boot/initrd-1 vda1:/missing.img a=vda1:/k loader/entries/a.conf=vda1:/k boot/loader/entries/a+0-2.conf=vda1:/k"
	if strings.Join(got, " ") != want {
		t.Errorf("entries\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
	checkWarnings(t, m.Warnings, []error{ErrMissingFile, ErrDuplicateID, ErrDuplicateID})
	if w := m.Warnings[0].Error(); w != "vda1:/boot/loader/entries/grub.conf:2: bls: no such file on the volume: /missing.img" {
		t.Errorf("warning %q", w)
	}
}

// TestNonEFI: on a machine without EFI (s390x) efi entries and entries
// with an architecture key are hidden; the others stay.
func TestNonEFI(t *testing.T) {
	_, m := mapMenu(t, menuFiles, Options{Arch: "s390x"})
	var listed []string
	for _, it := range m.Items {
		listed = append(listed, it.Entry.Label)
	}
	if got := strings.Join(listed, " "); got != "a-6.10 a-6.9" {
		t.Errorf("listed %s", got)
	}
	for _, e := range m.Entries {
		if e.Label == "x64" && e.Reason != "for architecture X64, this machine is s390x" {
			t.Errorf("x64: %q", e.Reason)
		}
	}
}

// TestSrel: loader/entries.srel that does not say type1 is a warning;
// the entries are read all the same.
func TestSrel(t *testing.T) {
	for _, tt := range []struct {
		srel string
		warn []error
	}{
		{"type1\n", nil},
		{"type1", nil},
		{"grubby\n", []error{ErrOtherSemantics}},
	} {
		res, _ := mapMenu(t, map[string]string{"loader/entries.srel": tt.srel, "loader/entries/a.conf": "linux /k\n", "k": ""}, Options{})
		if len(res.Entries) != 1 {
			t.Errorf("%q: %d entries", tt.srel, len(res.Entries))
		}
		checkWarnings(t, res.Warnings, tt.warn)
	}
}

// TestLoadError: a volume whose root cannot be read is an error, not an
// empty menu.
func TestLoadError(t *testing.T) {
	if _, err := Load(os.DirFS("/nonexistent/volume"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load = %v, want ErrNotExist", err)
	}
	if _, err := Load(nil, Options{}); err == nil {
		t.Error("Load(nil) succeeded")
	}
}
