package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

const casesDir = "../../testdata/pxelinux"

// planCase runs pxeboot plan for one directory of testdata/pxelinux with
// its args file and the given source flags.
func planCase(t *testing.T, dir string, source []string, extra ...string) (stdout, stderr string, code int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"plan"}, source...)
	args = append(args, strings.Fields(string(raw))...)
	args = append(args, extra...)
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	testenv.Golden(t, path, []byte(got))
}

func cases(t *testing.T) []string {
	dirs, err := filepath.Glob(filepath.Join(casesDir, "*", "args"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in %s: %v", casesDir, err)
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// TestPlanGolden checks the JSON contract and the text view of every
// config in testdata/pxelinux against its golden files.
func TestPlanGolden(t *testing.T) {
	for _, dir := range cases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			root := []string{"--root", filepath.Join(dir, "tftproot")}
			out, errs, code := planCase(t, dir, root)
			if code != exitOK {
				if !strings.HasPrefix(filepath.Base(dir), "notfound") {
					t.Fatalf("exit %d: %s", code, errs)
				}
				if code != exitFail {
					t.Errorf("exit %d, want %d", code, exitFail)
				}
				golden(t, filepath.Join(dir, "plan.err"), strings.ReplaceAll(errs, dir, "CASE"))
				return
			}
			golden(t, filepath.Join(dir, "plan.json"), out)
			checkShape(t, out)
			text, errs, code := planCase(t, dir, root, "--format", "text")
			if code != exitOK {
				t.Fatalf("text: exit %d: %s", code, errs)
			}
			golden(t, filepath.Join(dir, "plan.txt"), text)
		})
	}
}

// checkShape holds the JSON to exactly the fields of the contract (Plan).
func checkShape(t *testing.T, out string) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(top)), []string{"config", "default", "entries", "timeout_ms", "tried"}; !reflect.DeepEqual(got, want) {
		t.Errorf("top-level fields %v, want %v", got, want)
	}
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(top["entries"], &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if got, want := slices.Sorted(maps.Keys(e)), []string{"cmdline", "hidden", "initrds", "kernel", "label", "localboot", "title"}; !reflect.DeepEqual(got, want) {
			t.Errorf("entry fields %v, want %v", got, want)
		}
	}
}

// TestPlanTFTP serves each case's TFTP root with a real pin/tftp server
// on 127.0.0.1 and expects the same plan as --root gives.
func TestPlanTFTP(t *testing.T) {
	for _, dir := range cases(t) {
		if strings.HasPrefix(filepath.Base(dir), "notfound") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			root := filepath.Join(dir, "tftproot")
			addr := testenv.TFTPServer{Open: testenv.TFTPDir(root)}.Start(t)
			checkSameAsRoot(t, dir, root, "tftp://"+addr+"/", "TFTP")
		})
	}
}

// TestPlanHTTP does the same over HTTP with an httptest server.
func TestPlanHTTP(t *testing.T) {
	dir := filepath.Join(casesDir, "debian")
	root := filepath.Join(dir, "tftproot")
	srv := httptest.NewServer(http.StripPrefix("/netboot/", http.FileServer(http.Dir(root))))
	defer srv.Close()
	checkSameAsRoot(t, dir, root, srv.URL+"/netboot/", "HTTP")
}

// checkSameAsRoot holds the plan of case dir read from url (over
// protocol via) to the plan --root root gives.
func checkSameAsRoot(t *testing.T, dir, root, url, via string) {
	t.Helper()
	got, errs, code := planCase(t, dir, []string{"--url", url})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, _, _ := planCase(t, dir, []string{"--root", root})
	if got != want {
		t.Errorf("over %s:\n%s\nfrom --root:\n%s", via, got, want)
	}
}

// TestPlanUsage checks the errors for bad flags.
func TestPlanUsage(t *testing.T) {
	root := filepath.Join(casesDir, "seed", "tftproot")
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no source", []string{"plan"}, exitUsage, "give --root"},
		{"both sources", []string{"plan", "--root", root, "--url", "tftp://127.0.0.1/"}, exitUsage, "not both"},
		{"bad mac", []string{"plan", "--root", root, "--mac", "zz"}, exitUsage, `--mac "zz"`},
		{"bad ip", []string{"plan", "--root", root, "--ip", "::1"}, exitUsage, `--ip "::1"`},
		{"bad uuid", []string{"plan", "--root", root, "--uuid", "1234"}, exitUsage, `--uuid "1234"`},
		{"bad format", []string{"plan", "--root", root, "--format", "xml"}, exitUsage, "--format"},
		{"root missing", []string{"plan", "--root", "/nonexistent/tftp"}, exitUsage, "/nonexistent/tftp"},
		{"bad url", []string{"plan", "--url", "ftp://h/"}, exitUsage, "scheme"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
		{"extra args", []string{"plan", "--root", root, "extra"}, exitUsage, "unexpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errb.String(), tc.code, tc.msg)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out.String())
			}
		})
	}
}
