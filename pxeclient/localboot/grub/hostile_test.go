package grub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// manyEntries is a grub.cfg with n Debian-style menu entries.
func manyEntries(n int) string {
	var b strings.Builder
	b.WriteString("set default=0\nset timeout=5\n")
	for i := range n {
		fmt.Fprintf(&b, "menuentry 'Linux %d' --class os --id 'e%d' {\n\tload_video\n\tinsmod gzio\n\tif [ x$grub_platform = xxen ]; then insmod xzio; fi\n\tsearch --no-floppy --fs-uuid --set=root 3b5e0c9a-7f43-4c1e-9d2a-5f8e6b1c2d3e\n\techo 'Loading Linux %d ...'\n\tlinux /k root=UUID=3b5e0c9a-7f43-4c1e-9d2a-5f8e6b1c2d3e ro quiet n=%d\n\tinitrd /i1\n}\n", i, i, i, i)
	}
	return b.String()
}

// TestManyEntries: 10,000 menu entries all work.
func TestManyEntries(t *testing.T) {
	const n = 10_000
	cfg := manyEntries(n)
	m := interpret(t, cfg, nil)
	if len(m.Entries) != n || len(m.Warnings) != 0 {
		t.Fatalf("%d entries, want %d; warnings %v", len(m.Entries), n, m.Warnings)
	}
	last := m.Entries[n-1]
	if last.Kind != bootmenu.Linux || !strings.HasSuffix(last.Cmdline, fmt.Sprintf("n=%d", n-1)) {
		t.Errorf("last entry %+v", last)
	}
	testenv.Fault(t, fmt.Sprintf("grub.cfg with %d menuentries (%d KiB)", n, len(cfg)>>10), fmt.Sprintf("%d entries, all bootable", len(m.Entries)), 0, "each entry's command line")
}

// TestTooManyEntries: beyond MaxEntries, entries are dropped with one
// warning.
func TestTooManyEntries(t *testing.T) {
	o := testVolumes(manyEntries(30), nil)
	o.MaxEntries = 20
	m, err := Interpret(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 20 || len(m.Warnings) != 1 || !errors.Is(m.Warnings[0], ErrLimit) {
		t.Errorf("%d entries, warnings %v", len(m.Entries), m.Warnings)
	}
}

// bigConfig writes a sparse file of size bytes as the grub.cfg of a
// folder volume.
func bigConfig(t testing.TB, size int64) Options {
	dir := t.TempDir()
	p := filepath.Join(dir, "boot", "grub", "grub.cfg")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("menuentry x { linux /k }\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	v := &volume.Volume{Name: "vda2", Disk: "vda", Partition: 2, FS: os.DirFS(dir), Dir: dir}
	return Options{Volumes: []*volume.Volume{v}, Root: v, Path: "/boot/grub/grub.cfg"}
}

// TestHugeConfig: a 100 MB grub.cfg is refused without being read.
func TestHugeConfig(t *testing.T) {
	o := bigConfig(t, 100<<20)
	var m *bootmenu.Menu
	var err error
	cost := testenv.Measure(func() { m, err = Interpret(t.Context(), o) })
	if !errors.Is(err, ErrTooLarge) || m != nil {
		t.Fatalf("Interpret = %v, %v; want ErrTooLarge", m, err)
	}
	if !strings.Contains(err.Error(), "vda2:/boot/grub/grub.cfg") {
		t.Errorf("%v does not name the file", err)
	}
	testenv.Fault(t, "grub.cfg of 100 MiB", err.Error(), 0, "refused before reading: "+fmt.Sprintf("%d KiB allocated", cost.Alloc>>10))
	// Sourced from a small config, it is a warning and the rest works.
	dir := o.Root.Dir
	if err := os.WriteFile(filepath.Join(dir, "small.cfg"), []byte("source /boot/grub/grub.cfg\nmenuentry ok { linux /small.cfg; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Path = "/small.cfg"
	m, err = Interpret(t.Context(), o)
	if err != nil || len(m.Entries) != 1 || len(m.Warnings) != 1 || !errors.Is(m.Warnings[0], ErrTooLarge) {
		t.Fatalf("Interpret = %v, %v", m, err)
	}
}

// TestCycles: a config that sources or opens itself gets a warning
// naming the cycle.
func TestCycles(t *testing.T) {
	m := interpret(t, "menuentry a { linux /k; }\nsource $prefix/grub.cfg\nconfigfile /boot/grub/b.cfg\nmenuentry c { linux /k; }\n", map[string]string{
		"boot/grub/b.cfg": "configfile /boot/grub/grub.cfg\n",
	})
	var got []string
	for _, w := range m.Warnings {
		if !errors.Is(w, ErrCycle) {
			t.Errorf("warning %v is not ErrCycle", w)
		}
		got = append(got, w.Error())
	}
	want := []string{
		"vda2:/boot/grub/grub.cfg:2: source (hd0,gpt2)/boot/grub/grub.cfg: config files form a cycle: vda2:/boot/grub/grub.cfg → vda2:/boot/grub/grub.cfg",
		"vda2:/boot/grub/b.cfg:1: configfile /boot/grub/grub.cfg: config files form a cycle: vda2:/boot/grub/grub.cfg → vda2:/boot/grub/b.cfg → vda2:/boot/grub/grub.cfg",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(m.Entries) != 2 {
		t.Errorf("%d entries, want 2", len(m.Entries))
	}
	testenv.Fault(t, "grub.cfg that sources itself", got[0], 0, "the other entries")
}

// TestBounds: endless loops, endless recursion, deep nesting and
// growing values end with warnings; the other entries boot.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name, cfg string
		entries   int
		want      error
	}{
		{"loop in an entry", "menuentry a { while true; do true; done; linux /k; }\nmenuentry b { linux /k; }\n", 1, ErrLimit},
		{"loop at the top", "menuentry b { linux /k; }\nwhile true; do set x=1; done\nmenuentry c { linux /k; }\n", 1, ErrLimit},
		{"recursion", "function f { f; }\nf\nmenuentry b { linux /k; }\n", 1, ErrLimit},
		{"doubling", "set a=x\nwhile true; do set a=$a$a; done\n", 0, ErrLimit},
		{"nesting", strings.Repeat("if true; then ", 10000) + "true" + strings.Repeat("; fi", 10000) + "\nmenuentry b { linux /k; }\n", 1, errSyntax},
		{"nested braces", strings.Repeat("function f {", 5000) + "\nmenuentry b { linux /k; }\n", 1, errSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testVolumes(tc.cfg, nil)
			o.MaxSteps = 200_000
			m, err := Interpret(t.Context(), o)
			if err != nil {
				t.Fatal(err)
			}
			bootable := 0
			for _, e := range m.Entries {
				if e.Bootable() {
					bootable++
				}
			}
			found := false
			for _, w := range m.Warnings {
				found = found || errors.Is(w, tc.want)
			}
			if bootable != tc.entries || !found {
				t.Errorf("%d bootable entries (want %d), warnings %v (want %v)", bootable, tc.entries, m.Warnings, tc.want)
			}
		})
	}
}

// TestCanceled: a canceled context ends interpretation with its error.
func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Interpret(ctx, testVolumes("while true; do true; done\n", nil))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Interpret = %v, want context.Canceled", err)
	}
}

// BenchmarkEntries10000 interprets a grub.cfg of 10,000 entries:
// time and memory grow linearly with the entries.
func BenchmarkEntries10000(b *testing.B) {
	cfg := manyEntries(10_000)
	o := testVolumes(cfg, nil)
	b.SetBytes(int64(len(cfg)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Interpret(b.Context(), o)
		if err != nil || len(m.Entries) != 10_000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkEntries1000 is the tenth of BenchmarkEntries10000, to see
// that the cost is linear.
func BenchmarkEntries1000(b *testing.B) {
	cfg := manyEntries(1000)
	o := testVolumes(cfg, nil)
	b.SetBytes(int64(len(cfg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Interpret(b.Context(), o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRefuse100MB: refusing a 100 MB grub.cfg costs what a stat
// costs.
func BenchmarkRefuse100MB(b *testing.B) {
	o := bigConfig(b, 100<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Interpret(b.Context(), o); !errors.Is(err, ErrTooLarge) {
			b.Fatal(err)
		}
	}
}
