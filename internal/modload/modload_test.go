package modload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/s390netboot/s390netboot/internal/logging"
)

func TestParseLoadOrder(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Entry
		err  error
	}{
		{name: "empty", in: ""},
		{name: "comments and blanks", in: "# order\n\n   \n  # indented comment\n"},
		{
			name: "paths and params",
			in:   "lib/modules/a.ko\n lib/modules/b.ko  x=1 y=\"a b\" \nlib/modules/c.ko\tz=2\n",
			want: []Entry{
				{Path: "lib/modules/a.ko"},
				{Path: "lib/modules/b.ko", Params: `x=1 y="a b"`},
				{Path: "lib/modules/c.ko", Params: "z=2"},
			},
		},
		{name: "crlf", in: "lib/modules/a.ko\r\n", want: []Entry{{Path: "lib/modules/a.ko"}}},
		{name: "absolute", in: "/lib/modules/a.ko\n", err: ErrBadLoadOrder},
		{name: "dotdot", in: "../etc/a.ko\n", err: ErrBadLoadOrder},
		{name: "unclean", in: "lib/modules/../../x.ko\n", err: ErrBadLoadOrder},
		{name: "compressed", in: "lib/modules/a.ko.xz\n", err: ErrBadLoadOrder},
		{name: "too long", in: "lib/modules/a.ko " + strings.Repeat("x", MaxLineLength) + "\n", err: ErrBadLoadOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLoadOrder(strings.NewReader(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseLoadOrder() error = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLoadOrder() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEntryStringRoundTrip(t *testing.T) {
	es := []Entry{{Path: "lib/modules/a.ko"}, {Path: "lib/modules/x/b-c.ko", Params: "p=1 q=2"}}
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintln(&b, e)
	}
	got, err := ParseLoadOrder(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, es) {
		t.Errorf("round trip = %q, want %q", got, es)
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"kernel/drivers/net/virtio_net.ko":            "virtio_net",
		"kernel/drivers/i2c/algos/i2c-algo-bit.ko.xz": "i2c_algo_bit",
		"x.ko.zst": "x",
		"plain":    "plain",
	} {
		if got := ModuleName(in); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadEntries(t *testing.T) {
	root := t.TempDir()
	sys := t.TempDir()
	if err := os.Mkdir(filepath.Join(sys, "builtin_one"), 0o755); err != nil {
		t.Fatal(err)
	}
	order := "lib/modules/builtin_one.ko\nlib/modules/dep.ko\nlib/modules/again.ko\nlib/modules/broken.ko\nlib/modules/top.ko a=1\n"
	if err := os.MkdirAll(filepath.Join(root, "lib/modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "lib/modules/load.order"), []byte(order), 0o644); err != nil {
		t.Fatal(err)
	}
	var calls []string
	l := &loader{root: root, sysModule: sys, log: logging.Or(nil), load: func(p, params string) error {
		rel, _ := filepath.Rel(root, p)
		calls = append(calls, rel+"|"+params)
		switch ModuleName(p) {
		case "again":
			return fmt.Errorf("finit_module: %w", syscall.EEXIST)
		case "broken":
			return fmt.Errorf("finit_module: %w", syscall.ENOEXEC)
		}
		return nil
	}}
	err := l.loadFile(LoadOrderFile)
	want := []string{"lib/modules/dep.ko|", "lib/modules/again.ko|", "lib/modules/broken.ko|", "lib/modules/top.ko|a=1"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("loaded %q, want %q", calls, want)
	}
	if !errors.Is(err, syscall.ENOEXEC) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("loadFile() error = %v, want ENOEXEC naming broken", err)
	}
	if errors.Is(err, fs.ErrExist) {
		t.Errorf("loadFile() error = %v: EEXIST must count as success", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	err := LoadAll(t.TempDir(), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadAll(empty root) = %v, want ErrNotExist", err)
	}
}

func FuzzParseLoadOrder(f *testing.F) {
	f.Add("lib/modules/a.ko\nlib/modules/b.ko x=1\n# c\n")
	f.Add("/abs.ko\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ParseLoadOrder(strings.NewReader(in))
		if err != nil {
			return
		}
		var b strings.Builder
		for _, e := range es {
			if strings.ContainsAny(e.Path, " \t\n\r") {
				t.Fatalf("path %q contains blanks", e.Path)
			}
			fmt.Fprintln(&b, e)
		}
		again, err := ParseLoadOrder(strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if len(again) != len(es) {
			t.Fatalf("reparse gave %d entries, want %d", len(again), len(es))
		}
	})
}
