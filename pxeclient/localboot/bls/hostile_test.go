package bls

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// fedoraEntry is an entry as Fedora writes it (about 400 bytes), for
// version v.
func fedoraEntry(v string) []byte {
	return fmt.Appendf(nil, `title Fedora Linux (%[1]s) 40 (Workstation Edition)
version %[1]s
linux /vmlinuz-%[1]s
initrd /initramfs-%[1]s.img
options root=UUID=9b0d6d2e-7c1f-4d3a-a1b2-3c4d5e6f7a8b ro rootflags=subvol=root rhgb quiet
grub_users $grub_users
grub_arg --unrestricted
grub_class fedora
`, v)
}

// manyEntries is a /boot with n entries and their kernels and initrds.
func manyEntries(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := range n {
		v := fmt.Sprintf("6.%d.%d-300.fc40.x86_64", i/100, i%100)
		fsys["loader/entries/m-"+v+".conf"] = &fstest.MapFile{Data: fedoraEntry(v)}
		fsys["vmlinuz-"+v] = &fstest.MapFile{}
		fsys["initramfs-"+v+".img"] = &fstest.MapFile{}
	}
	return fsys
}

// TestHostile: broken and hostile trees give warnings, bounded work, and
// the good entries still boot.
func TestHostile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	good := &fstest.MapFile{Data: []byte("title Good\nlinux /vmlinuz\n")}
	for _, tt := range []struct {
		name    string
		fsys    fs.FS
		opts    Options
		entries int
		warns   []error
		// menuWarns, when set, are the menu's warnings.
		menuWarns []error
	}{
		{name: "garbage, huge, empty, a directory", fsys: fstest.MapFS{
			"loader/entries/good.conf":    good,
			"loader/entries/binary.conf":  {Data: garbage},
			"loader/entries/huge.conf":    {Data: bytes.Repeat([]byte("options x\n"), 100_000)},
			"loader/entries/empty.conf":   {},
			"loader/entries/dir.conf/x":   {},
			"loader/entries/text.conf":    {Data: []byte(strings.Repeat("lorem ipsum dolor\n", 100))},
			"loader/loader.conf":          {Data: garbage},
			"EFI/Linux/garbage.efi":       {Data: garbage},
			"EFI/Linux/mz.efi":            {Data: append([]byte("MZ"), garbage...)},
			"loader/entries/utf16le.conf": {Data: []byte("t\x00i\x00t\x00l\x00e\x00")},
		}, entries: 1, warns: []error{
			ErrNotText,           // loader.conf; then the entries in descending version order of names
			ErrNotText,           // utf16le.conf
			ErrMoreWarnings,      // text.conf: 100 unknown keys (16 shown, left out here)
			ErrNoKernel,          // text.conf
			ErrTooLarge,          // huge.conf
			ErrNoKernel,          // empty.conf
			ErrNotRegular,        // dir.conf
			ErrNotText,           // binary.conf
			ErrNotUKI, ErrNotUKI, // EFI/Linux
		}},
		{name: "a file of junk lines: its warnings are bounded", fsys: fstest.MapFS{
			"loader/entries/good.conf": good,
			"loader/entries/junk.conf": {Data: bytes.Repeat([]byte("x y\n"), 10_000)},
		}, entries: 1, warns: []error{ErrMoreWarnings, ErrNoKernel}},
		{name: "unset variables are warned about once per entry", fsys: fstest.MapFS{
			"loader/entries/vars.conf": {Data: append([]byte("linux /k\n"), bytes.Repeat([]byte("options $a $b\ninitrd $a\n"), 1000)...)},
			"k":                        {},
		}, entries: 1, menuWarns: []error{ErrUnsetVariable, ErrUnsetVariable, ErrUnsetVariable}},
		{name: "10,000 entries: the first 4096 by name are read", fsys: manyEntries(10_000), entries: DefaultMaxEntries, warns: []error{ErrTooMany}},
		{name: "total size", fsys: manyEntries(100), opts: Options{MaxTotalSize: 20 << 10}, entries: 60, warns: repeat(ErrTooLarge, 40)},
		{name: "a directory of names that are no entries", fsys: junkDir(5000), entries: 3, opts: Options{MaxEntries: 1000}},
		{name: "a directory of names that are no entries, beyond the bound", fsys: junkDir(20_000), entries: 0, opts: Options{MaxEntries: 1000}, warns: []error{ErrTooMany}},
		{name: "a file bigger than it says", fsys: lyingFS{fstest.MapFS{
			"loader/entries/good.conf": good,
			"loader/entries/lies.conf": {Data: bytes.Repeat([]byte("options x\n"), 100_000)},
		}}, entries: 1, warns: []error{ErrTooLarge}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			res, err := Load(tt.fsys, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			n := len(res.Entries)
			res.Warnings = dropUnknown(res.Warnings) // junk lines: checked by count

			if n != tt.entries {
				t.Errorf("%d entries, want %d", n, tt.entries)
			}
			checkWarnings(t, res.Warnings, tt.warns)
			m := res.Menu(testVolume("vda1", tt.fsys))
			if tt.menuWarns != nil {
				checkWarnings(t, m.Warnings, tt.menuWarns)
			}
			if n > 0 && (m.Auto.Entry == nil || !m.Auto.Entry.Bootable()) {
				t.Errorf("nothing boots: %+v", m.Auto)
			}
			t.Logf("%d entries, %d warnings in %v", n, len(res.Warnings), time.Since(start))
		})
	}
}

// junkDir is a /boot with 3 entries and n other names (sorted before
// the entries) in loader/entries.
func junkDir(n int) fstest.MapFS {
	fsys := manyEntries(3)
	for i := range n {
		fsys[fmt.Sprintf("loader/entries/junk%d.txt", i)] = &fstest.MapFile{}
	}
	return fsys
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

func dropUnknown(warns []error) []error {
	var out []error
	for _, w := range warns {
		if !errors.Is(w, ErrUnknownKey) {
			out = append(out, w)
		}
	}
	return out
}

// lyingFS reports every file it opens as 10 bytes long.
type lyingFS struct{ fstest.MapFS }

type lyingFile struct{ fs.File }

type lyingInfo struct{ fs.FileInfo }

func (lyingInfo) Size() int64 { return 10 }

func (l lyingFS) Open(name string) (fs.File, error) {
	f, err := l.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err != nil || info.IsDir() {
		return f, err
	}
	return lyingFile{f}, nil
}

func (f lyingFile) Stat() (fs.FileInfo, error) {
	info, err := f.File.Stat()
	return lyingInfo{info}, err
}

// TestFIFO: a named pipe in the entries directory (a hostile disk can
// hold one) is not opened, which would block.
func TestFIFO(t *testing.T) {
	dir := t.TempDir()
	entries := filepath.Join(dir, "loader", "entries")
	writeFile(t, filepath.Join(entries, "a.conf"), []byte("linux /k\n"))
	if err := syscall.Mkfifo(filepath.Join(entries, "pipe.conf"), 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	res, err := Load(os.DirFS(dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 {
		t.Errorf("%d entries", len(res.Entries))
	}
	checkWarnings(t, res.Warnings, []error{ErrNotRegular})
}

// BenchmarkLoad: a /boot folder (on the test machine's disk or tmpfs)
// with 10,000 Fedora entries and their kernels, read up to the default
// bound (4096 entries) and all of them, and made into a menu.
func BenchmarkLoad(b *testing.B) {
	dir := b.TempDir()
	for name, f := range manyEntries(10_000) {
		writeFile(b, filepath.Join(dir, name), f.Data)
	}
	fsys := os.DirFS(dir)
	for _, max := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("max=%d", positiveOr(max, DefaultMaxEntries)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, _ := Load(fsys, Options{MaxEntries: max, MaxTotalSize: 16 << 20})
				if m := res.Menu(testVolume("vda1", fsys)); len(m.Entries) != positiveOr(max, DefaultMaxEntries) || len(m.Warnings) > 1 {
					b.Fatalf("%d entries, warnings %v", len(m.Entries), m.Warnings)
				}
			}
		})
	}
}

func positiveOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}
