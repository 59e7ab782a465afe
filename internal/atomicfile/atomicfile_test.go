package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// leftovers returns the names in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, w := range want {
		keep[w] = true
	}
	var extra []string
	for _, e := range es {
		if !keep[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	return extra
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(name, []byte("new contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(name)
	if err != nil || string(b) != "new contents" {
		t.Fatalf("ReadFile = %q, %v; want the new contents", b, err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if extra := leftovers(t, dir, "plan.json"); extra != nil {
		t.Errorf("left behind %q", extra)
	}
}

func TestAbortKeepsOld(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "pxelinux.0")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(name, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != name {
		t.Errorf("Name() = %q, want %q", f.Name(), name)
	}
	if _, err := f.Write([]byte("half an ima")); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	f.Abort() // twice is harmless
	if b, _ := os.ReadFile(name); string(b) != "old" {
		t.Errorf("after Abort %s holds %q, want the old contents", name, b)
	}
	if extra := leftovers(t, dir, "pxelinux.0"); extra != nil {
		t.Errorf("left behind %q", extra)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestCommitFailureRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	// The final name is a non-empty directory: the rename fails.
	name := filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(name, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(name, []byte("data"), 0o644)
	if err == nil {
		t.Fatal("WriteFile over a non-empty directory succeeded")
	}
	if extra := leftovers(t, dir, "out"); extra != nil {
		t.Errorf("left behind %q", extra)
	}
}

func TestCreateMissingDir(t *testing.T) {
	name := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if _, err := Create(name, 0o644); err == nil {
		t.Fatal("Create in a missing directory succeeded")
	}
}
