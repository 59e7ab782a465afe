package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// fetchServer serves files from a real pin/tftp server on 127.0.0.1.
func fetchServer(t *testing.T, files map[string]string) string {
	t.Helper()
	return testenv.TFTPServer{Open: tftpFiles(files, nil)}.Start(t)
}

// tftpFiles is testenv.TFTPFiles for text files, counting the requests
// in requests unless it is nil.
func tftpFiles(files map[string]string, requests *atomic.Int32) func(string) (io.Reader, int64, bool) {
	return func(name string) (io.Reader, int64, bool) {
		if requests != nil {
			requests.Add(1)
		}
		data, ok := files[name]
		return strings.NewReader(data), -1, ok
	}
}

var fetchFiles = map[string]string{
	"s390x/pxelinux.cfg/01-52-54-00-12-34-56": `DEFAULT install
LABEL install
  KERNEL images/vmlinuz
  INITRD images/initrd.gz,images/extra.gz
  APPEND console=ttysclp0
  IPAPPEND 3
LABEL rescue
  KERNEL images/vmlinuz
  INITRD images/missing.gz
`,
	"s390x/pxelinux.cfg/default": "DEFAULT other\nLABEL other\nKERNEL other\n",
	"s390x/images/vmlinuz":       strings.Repeat("kernel", 5000),
	"s390x/images/initrd.gz":     "first initrd",
	"s390x/images/extra.gz":      "second initrd",
}

func fetchArgs(addr, dir string, extra ...string) []string {
	return append([]string{"fetch", "--url", "tftp://" + addr + "/", "--mac", "52:54:00:12:34:56",
		"--ip", "10.0.2.15", "--server", "10.0.2.2", "--netmask", "255.255.255.0",
		"--bootfile", "s390x/pxelinux.0", "-o", dir}, extra...)
}

func TestFetch(t *testing.T) {
	addr := fetchServer(t, fetchFiles)
	dir := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), fetchArgs(addr, dir), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if strings.TrimSpace(stdout.String()) != filepath.Join(dir, "plan.json") {
		t.Errorf("stdout %q", stdout.String())
	}
	var p struct {
		Config string `json:"config"`
		Tried  []string
		Boot   bootRecord `json:"boot"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("plan.json: %v\n%s", err, b)
	}
	if p.Config != "s390x/pxelinux.cfg/01-52-54-00-12-34-56" || p.Boot.Label != "install" || p.Boot.Via != "DEFAULT" {
		t.Errorf("plan: %s", b)
	}
	if want := "BOOT_IMAGE=images/vmlinuz console=ttysclp0 ip=10.0.2.15:10.0.2.2:0.0.0.0:255.255.255.0 BOOTIF=01-52-54-00-12-34-56"; p.Boot.Cmdline != want {
		t.Errorf("cmdline %q, want %q", p.Boot.Cmdline, want)
	}
	recs := append([]fileRecord{p.Boot.Kernel}, p.Boot.Initrds...)
	wantNames := []string{"s390x/images/vmlinuz", "s390x/images/initrd.gz", "s390x/images/extra.gz"}
	if len(recs) != 3 {
		t.Fatalf("files %+v", recs)
	}
	for i, r := range recs {
		data, err := os.ReadFile(filepath.Join(dir, r.File))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if r.Name != wantNames[i] || string(data) != fetchFiles[wantNames[i]] || r.SHA256 != hex.EncodeToString(sum[:]) || r.Size != len(data) {
			t.Errorf("file %d: %+v (%d bytes on disk)", i, r, len(data))
		}
	}
	if !regexp.MustCompile(`(?m)^pxeboot: stage=fetched t=[0-9.]+s dt=[0-9.]+s files=3 `).MatchString(stderr.String()) {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func TestFetchFailures(t *testing.T) {
	addr := fetchServer(t, fetchFiles)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing initrd", []string{"--label", "rescue"}, exitFail, "images/missing.gz"},
		{"no such label", []string{"--label", "nosuch"}, exitFail, "nosuch"},
		{"no output", nil, exitUsage, "-o DIR is required"},
		{"bad mac", []string{"--mac", "xx"}, exitFail, `--mac "xx"`},
		{"extra argument", []string{"stray"}, exitUsage, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			args := fetchArgs(addr, dir, tt.args...)
			if tt.name == "no output" {
				args = []string{"fetch", "--url", "tftp://" + addr + "/"}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tt.code, tt.want, stderr.String())
			}
			// Nothing half-written: no output directory at all, or an
			// empty one.
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("files left behind: %v", ents)
			}
		})
	}
}

// TestBootRefusesNonKernel: pxeboot boot fetches and then refuses a file
// that is not a kernel before any kexec system call.
func TestBootRefusesNonKernel(t *testing.T) {
	addr := fetchServer(t, fetchFiles)
	var stdout, stderr bytes.Buffer
	args := fetchArgs(addr, "")
	args[0] = "boot"
	args = args[:len(args)-2] // no -o
	code := run(context.Background(), args, &stdout, &stderr)
	if code != exitFail {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	// As root the permission check passes and the kernel check refuses
	// the text file; otherwise the permission check refuses first.
	if s := stderr.String(); !strings.Contains(s, "kexec") {
		t.Errorf("stderr:\n%s", s)
	}
}
