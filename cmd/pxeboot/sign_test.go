package main

import (
	"bytes"
	"context"
	"errors"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// runCmd runs pxeboot with args and returns exit code, stdout, stderr.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lowKDF makes keygen cheap in tests (scrypt N=2^10 instead of 2^20).
func lowKDF(t *testing.T) {
	old := keygenKDF
	keygenKDF = minisign.KDFParams{OpsLimit: 32768, MemLimit: 16 << 20}
	t.Cleanup(func() { keygenKDF = old })
}

func TestSignTree(t *testing.T) {
	lowKDF(t)
	keys := t.TempDir()
	tree := filepath.Join(t.TempDir(), "tftp")
	pw := filepath.Join(keys, "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	pub, sec := filepath.Join(keys, "k.pub"), filepath.Join(keys, "k.key")

	if code, _, stderr := runCmd(t, "keygen", "-p", pub, "-s", sec, "--password-file", pw); code != exitOK {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	if fi, err := os.Stat(sec); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret key mode: %v %v", fi.Mode(), err)
	}
	if code, _, stderr := runCmd(t, "keygen", "-p", pub, "-s", sec, "--no-password"); code != exitFail || !strings.Contains(stderr, "exists") {
		t.Errorf("keygen over existing keys: %d %s", code, stderr)
	}

	files := map[string]string{
		"pxelinux.cfg/default":              "DEFAULT linux\nINCLUDE menu.cfg\n",
		"pxelinux.cfg/01-52-54-00-12-34-56": "DEFAULT linux\n",
		"menu.cfg":                          "LABEL linux\n KERNEL s390x/vmlinuz\n INITRD s390x/initrd\n",
		"s390x/vmlinuz":                     strings.Repeat("k", 100000),
		"s390x/initrd":                      "initrd",
		"stale.minisig":                     "not a signature, and not signed either",
	}
	writeFiles(t, tree, files)
	os.Symlink("s390x/vmlinuz", filepath.Join(tree, "vmlinuz"))
	os.Symlink("nowhere", filepath.Join(tree, "dangling"))

	code, stdout, stderr := runCmd(t, "sign", "--key", sec, "--password-file", pw, tree)
	if code != exitOK {
		t.Fatalf("sign: %d %s", code, stderr)
	}
	if !strings.Contains(stdout, "signed 6 files") {
		t.Errorf("sign said %q, want 6 files (5 regular and a symlink)", stdout)
	}

	key, err := signedboot.LoadKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	o := signedboot.Opener(key, pxelinux.FSOpener(os.DirFS(tree), 0), nil)
	for _, name := range []string{"pxelinux.cfg/default", "pxelinux.cfg/01-52-54-00-12-34-56", "menu.cfg", "s390x/vmlinuz", "s390x/initrd", "vmlinuz"} {
		data, err := o.Open(context.Background(), pxelinux.Path{Name: name})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name != "vmlinuz" && string(data) != files[name] {
			t.Errorf("%s: wrong content", name)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(tree, "menu.cfg.minisig"))
	sig, err := minisign.ParseSignature(raw)
	if err != nil || !strings.Contains(sig.TrustedComment, "\tfile:menu.cfg\thashed") {
		t.Errorf("trusted comment %q, %v", sig.TrustedComment, err)
	}
	if _, err := os.Stat(filepath.Join(tree, "stale.minisig.minisig")); err == nil {
		t.Errorf("signed a signature")
	}
	entries, _ := os.ReadDir(tree)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left temporary file %s", e.Name())
		}
	}

	// minisign itself agrees.
	bin := testenv.Command(t, "minisign", "minisign")
	out, err := exec.Command(bin, "-V", "-p", pub, "-m", filepath.Join(tree, "s390x/vmlinuz")).CombinedOutput()
	if err != nil {
		t.Errorf("minisign -V: %v\n%s", err, out)
	}

	// A file changed after signing is refused.
	os.WriteFile(filepath.Join(tree, "s390x/initrd"), []byte("evil"), 0o644)
	if _, err := o.Open(context.Background(), pxelinux.Path{Name: "s390x/initrd"}); !errors.Is(err, signedboot.ErrBadSignature) {
		t.Errorf("changed initrd: %v", err)
	}

	// Single files with an explicit trusted comment.
	code, _, stderr = runCmd(t, "sign", "-s", sec, "--password-file", pw, "-t", "release 7", filepath.Join(tree, "s390x/initrd"))
	if code != exitOK {
		t.Fatalf("sign FILE: %d %s", code, stderr)
	}
	raw, _ = os.ReadFile(filepath.Join(tree, "s390x/initrd.minisig"))
	if sig, err := minisign.Verify(key, []byte("evil"), raw); err != nil || sig.TrustedComment != "release 7" {
		t.Errorf("re-signed initrd: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	lowKDF(t)
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("right\n"), 0o600)
	wrong := filepath.Join(dir, "wrong")
	os.WriteFile(wrong, []byte("wrong\n"), 0o600)
	tree := filepath.Join(dir, "tftp")
	writeFiles(t, tree, map[string]string{"default": "x"})
	enc, plain := filepath.Join(dir, "enc.key"), filepath.Join(tree, "keys", "plain.key")
	os.MkdirAll(filepath.Dir(plain), 0o700)
	if code, _, e := runCmd(t, "keygen", "-p", enc+".pub", "-s", enc, "--password-file", pw); code != exitOK {
		t.Fatal(e)
	}
	if code, _, e := runCmd(t, "keygen", "-p", plain+".pub", "-s", plain, "-W"); code != exitOK {
		t.Fatal(e)
	}
	// Tests run with stdin not a terminal.
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	old := stdin
	stdin = devnull
	defer func() { stdin = old }()

	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no key", []string{"sign", tree}, exitUsage, "--key"},
		{"no files", []string{"sign", "--key", enc}, exitUsage, "TFTPDIR"},
		{"no password", []string{"sign", "--key", enc, tree}, exitFail, "--password-file"},
		{"wrong password", []string{"sign", "--key", enc, "--password-file", wrong, tree}, exitFail, "wrong password"},
		{"key in tree", []string{"sign", "--key", plain, tree}, exitFail, "keep it out of the TFTP tree"},
		{"missing file", []string{"sign", "--key", enc, "--password-file", pw, filepath.Join(dir, "nope")}, exitFail, "nope"},
		{"a signature", []string{"sign", "--key", enc, "--password-file", pw, filepath.Join(dir, "x.minisig")}, exitFail, "x.minisig"},
		{"not a key", []string{"sign", "--key", pw, tree}, exitFail, "malformed"},
		{"keygen without password", []string{"keygen", "-p", filepath.Join(dir, "n.pub"), "-s", filepath.Join(dir, "n.key")}, exitFail, "--no-password"},
		{"keygen both", []string{"keygen", "-p", "a", "-s", "b", "-W", "--password-file", pw}, exitUsage, "exclude"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "a signature" {
				os.WriteFile(filepath.Join(dir, "x.minisig"), []byte("x"), 0o644)
			}
			code, _, stderr := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("code %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.msg)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(tree, "default.minisig")); err == nil {
		t.Errorf("a refused run signed a file")
	}
}
