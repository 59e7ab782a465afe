package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// diskBase is where the volume trees of the --disk cases are; the paths
// in their args files are relative to it.
const diskBase = "../../testdata/localboot"

// diskCase runs pxeboot plan with the args of testdata/localboot/plan/NAME.
func diskCase(t *testing.T, dir string, extra ...string) (stdout, stderr string, code int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"plan"}
	words := strings.Fields(string(raw))
	for i := 0; i < len(words); i++ {
		args = append(args, words[i])
		if (words[i] == "--disk" || words[i] == "--root") && i+1 < len(words) {
			i++
			args = append(args, filepath.Join(diskBase, words[i]))
		}
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, extra...), &out, &errb)
	return out.String(), errb.String(), code
}

// TestPlanDiskGolden checks `pxeboot plan --disk FOLDER` over the
// fixture trees (testdata/localboot/README.md) against the golden JSON
// and text of each case: the JSON contract of the network plan, with the
// fields of disk entries added.
func TestPlanDiskGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(diskBase, "plan", "*", "args"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, a := range dirs {
		dir := filepath.Dir(a)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out, errs, code := diskCase(t, dir)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, filepath.Join(dir, "plan.json"), out)
			checkDiskShape(t, out)
			text, errs, code := diskCase(t, dir, "--format", "text")
			if code != exitOK {
				t.Fatalf("text: exit %d: %s", code, errs)
			}
			golden(t, filepath.Join(dir, "plan.txt"), text)
		})
	}
}

// checkDiskShape holds the JSON to the fields of the contract (Plan):
// those of the network plan, and for disk entries source, volume,
// origin and reason.
func checkDiskShape(t *testing.T, out string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(top)), []string{"config", "default", "entries", "timeout_ms", "tried"}; !slices.Equal(got, want) {
		t.Errorf("top-level fields %v, want %v", got, want)
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(top["entries"], &entries); err != nil {
		t.Fatal(err)
	}
	base := []string{"cmdline", "hidden", "initrds", "kernel", "label", "localboot", "title"}
	for _, e := range entries {
		got := slices.Sorted(maps.Keys(e))
		disk := slices.Sorted(slices.Values(append(slices.Clone(base), "origin", "source", "volume")))
		withReason := slices.Sorted(slices.Values(append(slices.Clone(disk), "reason")))
		if !slices.Equal(got, base) && !slices.Equal(got, disk) && !slices.Equal(got, withReason) {
			t.Errorf("entry fields %v", got)
		}
		if _, ok := e["source"]; ok && string(e["source"]) != `"disk"` {
			t.Errorf("source %s", e["source"])
		}
	}
}

// TestPlanDiskErrors: a --disk that is not there, or a folder with no
// config, fails naming it.
func TestPlanDiskErrors(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"plan", "--disk", "/nonexistent/disk"}, "/nonexistent/disk"},
		{[]string{"plan", "--disk", empty}, "no boot entries on the disks: 1 volumes, 0 configs found"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errb)
		if code != exitFail || !strings.Contains(errb.String(), tc.msg) || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want %d and %q", tc.args, code, errb.String(), out.String(), exitFail, tc.msg)
		}
	}
}
