package testenv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
)

// update is the -update flag of every test binary that imports testenv.
var update = flag.Bool("update", false, "rewrite the golden files and generated fuzz seeds under testdata instead of comparing with them")

// Update reports whether the test binary runs with -update, for a test
// that writes more than Golden does (its own fixtures):
//
//	if testenv.Update() {
//		writeFixtures(t)
//	}
func Update() bool { return *update }

// Golden compares got with the golden file path and reports a difference
// as an error of t; with -update it writes got to path first (making its
// directory). A missing or different file names the command that
// rewrites it: the file is the test's expected output, checked in.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	rerun := fmt.Sprintf("go test -run '%s' -update", runPattern(t))
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("golden file: %v (%s writes it)", err, rerun)
		return
	}
	if bytes.Equal(got, want) {
		return
	}
	if text(got) && text(want) {
		t.Errorf("%s differs from the output (%s rewrites it, after checking why):\n--- got\n%s\n--- want\n%s", path, rerun, got, want)
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	t.Errorf("%s differs from the output from byte %#x on: %d bytes, the file %d (%s rewrites it, after checking why)", path, i, len(got), len(want), rerun)
}

// FuzzSeeds checks the seed corpus files testdata/fuzz/TARGET/NAME of a
// fuzz target with one []byte argument against seeds (NAME: the input),
// through Golden: with -update it writes them. Tests generate seeds this
// way when they are built by code (a DHCP packet, an ELF module), so that
// the corpus `go test -fuzz` starts from cannot drift from the builders.
func FuzzSeeds(t testing.TB, target string, seeds map[string][]byte) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	for name, data := range seeds {
		Golden(t, filepath.Join(dir, name), fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data))
	}
}

// text reports whether b is printable as it is: UTF-8 without NUL bytes.
func text(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }
