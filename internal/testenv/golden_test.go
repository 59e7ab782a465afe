package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGolden: a missing or different golden file is an error naming the
// file and the -update command; with -update Golden writes the file, and
// FuzzSeeds writes seed files go test -fuzz reads.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.golden")
	rerun := "go test -run '^TestGolden$' -update"
	for _, tt := range []struct {
		name   string
		update bool
		got    string
		want   []string // in the error; none: no error
	}{
		{"missing", false, "one\n", []string{path, rerun, "writes it"}},
		{"update writes", true, "one\n", nil},
		{"same", false, "one\n", nil},
		{"text differs", false, "two\n", []string{path, rerun, "--- got\ntwo\n\n--- want\none\n"}},
		{"binary differs", false, "one\x00", []string{path, "from byte 0x3 on: 4 bytes, the file 4"}},
	} {
		*update = tt.update
		msg := fatalOf(t, func(tb testing.TB) { Golden(tb, path, []byte(tt.got)) })
		*update = false
		if len(tt.want) == 0 && msg != "" {
			t.Errorf("%s: Golden reported %q", tt.name, msg)
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: Golden reported %q, want %q in it", tt.name, msg, w)
			}
		}
	}

	t.Chdir(dir)
	*update = true
	msg := fatalOf(t, func(tb testing.TB) { FuzzSeeds(tb, "FuzzX", map[string][]byte{"nul": []byte("a\x00\"b")}) })
	*update = false
	if b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzX", "nul")); msg != "" || err != nil || string(b) != "go test fuzz v1\n[]byte(\"a\\x00\\\"b\")\n" {
		t.Errorf("FuzzSeeds with -update: %q, %v, file %q", msg, err, b)
	}
	if msg := fatalOf(t, func(tb testing.TB) { FuzzSeeds(tb, "FuzzX", map[string][]byte{"nul": []byte("a\x00\"b")}) }); msg != "" {
		t.Errorf("FuzzSeeds after -update: %q", msg)
	}
}
