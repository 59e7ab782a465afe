package bls

import (
	"bytes"
	"debug/pe"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/uki"
)

// TestFuzzSeeds writes (with -update) and checks the seed corpora: every
// entry and loader.conf of the fixtures, and os-release texts.
func TestFuzzSeeds(t *testing.T) {
	entries, loaders := map[string][]byte{}, map[string][]byte{}
	err := fs.WalkDir(os.DirFS("testdata"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "fuzz/") || strings.HasPrefix(p, "golden/") {
			return err
		}
		name := strings.NewReplacer("/", "_", "+", "_").Replace(strings.TrimSuffix(p, path.Ext(p)))
		switch {
		case strings.HasSuffix(p, "/loader/loader.conf"):
			loaders[name], err = os.ReadFile("testdata/" + p)
		case strings.HasSuffix(p, ".conf"):
			entries[name], err = os.ReadFile("testdata/" + p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	entries["hostile"] = []byte("title \x1b[2J\ntitle again\nlinux\nlinux /k\nefi /e.efi\noptions $a ${b} ${\nmachine-id XYZ\ninitrd $x $y\n")
	testenv.FuzzSeeds(t, "FuzzParseEntry", entries)
	testenv.FuzzSeeds(t, "FuzzLoaderConf", loaders)
	osrel, err := os.ReadFile("testdata/fedora-s390x-root/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	testenv.FuzzSeeds(t, "FuzzParseUKI", map[string][]byte{
		"x64-ucode": buildUKI(t, pe.IMAGE_FILE_MACHINE_AMD64, uki.Image{Initrd: []byte("i"), Ucode: []byte("u"), Cmdline: "quiet", OSRelease: fedoraOSRelease}),
		"aa64":      buildUKI(t, pe.IMAGE_FILE_MACHINE_ARM64, uki.Image{OSRelease: "ID=debian\n"}),
	})
	testenv.FuzzSeeds(t, "FuzzOSRelease", map[string][]byte{
		"fedora-s390x":   osrel,
		"fedora-uki":     []byte(fedoraOSRelease + "IMAGE_VERSION=6.9.7-200.fc40.x86_64\n"),
		"quotes-escapes": []byte("A=\"x \\\"y\\\" \\$z\"\nB='q \"r\"'\nC=a\\ b\nD=\"open\nE='open\n9=x\n=y\n"),
	})
}

// FuzzParseEntry: any input parses without panicking; an entry has a
// kernel, warnings name the file, and the entry sorts and expands.
func FuzzParseEntry(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		e, warns := ParseEntry("loader/entries/fuzz+1-2.conf", data)
		for _, w := range warns {
			var wn *Warning
			if !errors.As(w, &wn) || wn.File != "loader/entries/fuzz+1-2.conf" {
				t.Fatalf("warning %v does not name the file", w)
			}
		}
		if e == nil {
			return
		}
		if e.Linux == "" && e.EFI == "" || e.ID != "fuzz" || !e.Counting || e.TriesLeft != 1 || e.TriesDone != 2 {
			t.Fatalf("entry %+v", e)
		}
		if strings.ContainsFunc(e.Title, func(r rune) bool { return r < ' ' || r == 0x7f }) || !utf8.ValidString(e.Title) {
			t.Fatalf("title %q", e.Title)
		}
		if Compare(e, e) != 0 {
			t.Fatal("an entry does not compare equal to itself")
		}
		c, _ := e.Cmdline(map[string]string{"kernelopts": "root=/dev/sda1"})
		paths, _ := e.InitrdPaths(nil)
		if strings.Contains(c, "$kernelopts") {
			t.Fatalf("cmdline %q", c)
		}
		for _, p := range paths {
			if p == "" || strings.ContainsAny(p, " \t") {
				t.Fatalf("initrd path %q", p)
			}
		}
	})
}

// FuzzLoaderConf: any input parses; the default pattern matches without
// panicking.
func FuzzLoaderConf(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := ParseLoaderConf("loader/loader.conf", data)
		if c == nil || c.Timeout < 0 {
			t.Fatalf("loader.conf %+v", c)
		}
		Match(c.Default, "arch.conf")
		Match(c.Default, c.Default)
		if !Match("*", c.Default) {
			t.Fatalf("* does not match %q", c.Default)
		}
	})
}

// FuzzParseUKI: any file reads without panicking; an entry is a UKI
// with a kernel section and its initrd sections in order.
func FuzzParseUKI(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		e, _ := ParseUKI("EFI/Linux/fuzz.efi", bytes.NewReader(data), int64(len(data)))
		if e == nil {
			return
		}
		if e.Type != Type2 || e.Linux != e.Path || len(e.Sections) > 2 || len(e.Sections) == 2 && e.Sections[0] != uki.SectionUcode {
			t.Fatalf("entry %+v", e)
		}
		if _, err := uki.SectionReader(bytes.NewReader(data), int64(len(data)), uki.SectionLinux); err != nil {
			t.Fatalf("an entry without a readable kernel: %v", err)
		}
	})
}

// FuzzOSRelease: any input parses; keys are variable names.
func FuzzOSRelease(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, warns := ParseOSRelease(".osrel", data)
		for k := range vars {
			if !isVarName(k) {
				t.Fatalf("key %q", k)
			}
		}
		if len(warns) > maxFileWarnings+1 {
			t.Fatalf("%d warnings", len(warns))
		}
	})
}
