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

	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
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
		{"vlan without iface", []string{"--vlan", "42"}, exitFail, "--vlan needs --iface"},
		{"vlan 0", []string{"--vlan", "0", "--iface", "nosuch0"}, exitFail, `--vlan: invalid network configuration: VLAN "0": ID "0" is not a number from 1 to 4094`},
		{"vlan 4095", []string{"--vlan", "4095", "--iface", "nosuch0"}, exitFail, `ID "4095"`},
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

// onErrorFiles is a tree whose DEFAULT entry has a missing kernel and
// whose ONERROR names the good one.
func onErrorFiles() map[string]string {
	files := map[string]string{}
	for k, v := range fetchFiles {
		files[k] = v
	}
	files["s390x/pxelinux.cfg/01-52-54-00-12-34-56"] = "DEFAULT broken\nONERROR install\n" +
		"LABEL broken\n  KERNEL images/vmlinuz-missing\n" + fetchFiles["s390x/pxelinux.cfg/01-52-54-00-12-34-56"][len("DEFAULT install\n"):]
	return files
}

// TestFetchOnError: pxeboot fetch runs the same flow as the init, so a
// DEFAULT whose kernel is missing is followed by ONERROR, and plan.json
// says how the entry was chosen.
func TestFetchOnError(t *testing.T) {
	addr := fetchServer(t, onErrorFiles())
	dir := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), fetchArgs(addr, dir), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var p struct{ Boot bootRecord }
	b, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Boot.Label != "install" || p.Boot.Via != "ONERROR" || len(p.Boot.Initrds) != 2 {
		t.Errorf("plan.json boot: %+v", p.Boot)
	}
	for _, w := range []string{`pxeboot: error: boot "broken": entry "broken": fetch tftp://`, "vmlinuz-missing", `next="ONERROR install broken"`} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
}

// TestBootOnError: the same for pxeboot boot, whose kexec refuses the
// ONERROR entry's kernel (a text file): both failures are reported and
// nothing is left on disk. Needs the permission to kexec (root), which
// the command checks first.
func TestBootOnError(t *testing.T) {
	if err := kexec.CheckPermission(); err != nil {
		t.Skipf("pxeboot boot stops before the flow without the permission to kexec: %v", err)
	}
	addr := fetchServer(t, onErrorFiles())
	args := fetchArgs(addr, "")
	args[0] = "boot"
	args = args[:len(args)-2] // no -o
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != exitFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitFail, stderr.String())
	}
	for _, w := range []string{`boot "broken"`, `next="ONERROR install broken"`, "stage=choice", "label=install via=ONERROR",
		`boot "install broken": kexec tftp://`, "not a kernel"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
		}
	}
}

// TestFetchSigned: with --trust-key pxeboot applies signed boot as the
// init does: a signed tree is fetched; an unsigned initrd stops the
// fetch, naming the file, and nothing is written.
func TestFetchSigned(t *testing.T) {
	key, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "boot.pub")
	if err := os.WriteFile(pub, key.Public().Encode(), 0o644); err != nil {
		t.Fatal(err)
	}
	signedFiles := func(skip string) map[string]string {
		out := map[string]string{}
		for name, data := range fetchFiles {
			out[name] = data
			if name == skip {
				continue
			}
			sig, err := key.Sign([]byte(data), "file:"+name)
			if err != nil {
				t.Fatal(err)
			}
			out[signedboot.SigName(name)] = string(sig.Encode())
		}
		return out
	}
	for _, tt := range []struct {
		name, unsigned string
		code           int
	}{
		{"all signed", "", exitOK},
		{"initrd unsigned", "s390x/images/extra.gz", exitFail},
		{"config unsigned", "s390x/pxelinux.cfg/01-52-54-00-12-34-56", exitFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := fetchServer(t, signedFiles(tt.unsigned))
			dir := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), fetchArgs(addr, dir, "--trust-key", pub), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr.String())
			}
			if tt.unsigned == "" {
				return
			}
			if !strings.Contains(stderr.String(), tt.unsigned) || !strings.Contains(stderr.String(), "refused by signed boot: no signature") {
				t.Errorf("stderr does not name %s as unsigned:\n%s", tt.unsigned, stderr.String())
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("files written despite the refusal: %v", ents)
			}
		})
	}
}

// TestHelp: pxeboot and each subcommand print their usage on standard
// output for --help and -h and exit 0; a bad flag prints it on standard
// error and exits 2.
func TestHelp(t *testing.T) {
	names := []string{""}
	for _, c := range commands {
		names = append(names, c.name)
	}
	for _, name := range names {
		t.Run("pxeboot "+name, func(t *testing.T) {
			for _, h := range []string{"--help", "-h"} {
				args := []string{h}
				if name != "" {
					args = []string{name, h}
				}
				var stdout, stderr bytes.Buffer
				if code := run(context.Background(), args, &stdout, &stderr); code != exitOK || stderr.Len() != 0 ||
					!strings.HasPrefix(stdout.String(), "usage: pxeboot ") {
					t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
				}
			}
			args := []string{"--no-such-flag"}
			if name != "" {
				args = []string{name, "--no-such-flag"}
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			want := "no-such-flag"
			if name == "" {
				want = "unknown command"
			}
			if code != exitUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "usage: pxeboot ") {
				t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, stdout.String(), stderr.String())
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"help", "plan"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "--format") {
		t.Errorf("help plan: exit %d, stdout %q", code, stdout.String())
	}
}
