package initramfs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// budgetLine is one line of testdata/initramfs/pxeinit-deps.txt.
type budgetLine struct {
	pattern string
	deny    bool
	line    int
}

// match reports whether the import path p (standard library or not) matches.
func (b budgetLine) match(p string, std bool) bool {
	switch {
	case b.pattern == "std":
		return std
	case strings.HasSuffix(b.pattern, "/..."):
		base := strings.TrimSuffix(b.pattern, "/...")
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == b.pattern
}

func readBudget(t *testing.T) []budgetLine {
	t.Helper()
	name := filepath.Join(testdataDir(t), "pxeinit-deps.txt")
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []budgetLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		pat, why, ok := strings.Cut(text, "#")
		pat = strings.TrimSpace(pat)
		if !ok || strings.TrimSpace(why) == "" {
			t.Errorf("%s:%d: %q has no '# reason'", name, n, pat)
		}
		if strings.ContainsAny(pat, " \t") {
			t.Errorf("%s:%d: %q: one pattern per line", name, n, pat)
		}
		b := budgetLine{pattern: strings.TrimPrefix(pat, "!"), deny: strings.HasPrefix(pat, "!"), line: n}
		lines = append(lines, b)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// goListDeps runs go list -deps for linux/s390x and returns import path ->
// standard.
func goListDeps(t *testing.T, args ...string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=s390x", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %v: %v\n%s", args, err, stderr.Bytes())
	}
	deps := map[string]bool{}
	for l := range strings.Lines(string(out)) {
		p, std, _ := strings.Cut(strings.TrimSpace(l), " ")
		deps[p] = std == "true"
	}
	return deps
}

// checkBudget returns the packages of deps the budget does not allow.
func checkBudget(budget []budgetLine, deps map[string]bool) []string {
	var bad []string
	for p, std := range deps {
		allowed, why := false, "no line allows it"
		for _, b := range budget {
			if b.match(p, std) {
				if b.deny {
					allowed, why = false, fmt.Sprintf("forbidden by line %d", b.line)
					break
				}
				allowed = true
			}
		}
		if !allowed {
			bad = append(bad, p+" ("+why+")")
		}
	}
	return bad
}

// TestInitDependencyBudget holds cmd/pxeinit to the agreed list of imports.
// Until cmd/pxeinit exists it holds the packages that will make it up
// (modload and pxeclient/..., without test helpers) to the list and checks
// that every non-standard entry names packages that exist.
func TestInitDependencyBudget(t *testing.T) {
	budget := readBudget(t)
	var roots []string
	if _, err := os.Stat(filepath.Join(repoRoot(t), "cmd", "pxeinit")); err == nil {
		roots = []string{InitPackage}
	} else {
		t.Logf("cmd/pxeinit does not exist yet: checking modload and pxeclient/... instead")
		for p := range goListPackages(t, "./internal/modload", "./pxeclient/...") {
			if !strings.HasSuffix(p, "test") {
				roots = append(roots, p)
			}
		}
		for _, b := range budget {
			if b.deny || b.pattern == "std" {
				continue
			}
			if len(goListPackages(t, b.pattern)) == 0 {
				t.Errorf("line %d: %s names no package", b.line, b.pattern)
			}
		}
	}
	deps := goListDeps(t, roots...)
	if bad := checkBudget(budget, deps); len(bad) > 0 {
		t.Errorf("%v import packages outside testdata/initramfs/pxeinit-deps.txt:\n\t%s", roots, strings.Join(bad, "\n\t"))
	}
	t.Logf("%d packages checked", len(deps))
}

func goListPackages(t *testing.T, patterns ...string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e", "-f", "{{if not .Error}}{{.ImportPath}}{{end}}"}, patterns...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=s390x", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", patterns, err)
	}
	pkgs := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		pkgs[f] = true
	}
	return pkgs
}

func TestBudgetMatch(t *testing.T) {
	budget := []budgetLine{{pattern: "std"}, {pattern: "text/template/...", deny: true}, {pattern: "a.com/x/..."}, {pattern: "b.com/y"}}
	deps := map[string]bool{"fmt": true, "text/template": true, "text/template/parse": true, "a.com/x": false, "a.com/x/z": false, "a.com/xy": false, "b.com/y": false, "b.com/y/z": false}
	got := strings.Join(slices.Sorted(slices.Values(checkBudget(budget, deps))), ",")
	want := "a.com/xy (no line allows it),b.com/y/z (no line allows it),text/template (forbidden by line 0),text/template/parse (forbidden by line 0)"
	if got != want {
		t.Errorf("checkBudget = %s\nwant %s", got, want)
	}
}
