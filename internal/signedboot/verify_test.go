package signedboot

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

func newKey(t testing.TB) *minisign.PrivateKey {
	t.Helper()
	k, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signed returns files plus a NAME.minisig for each, made with k.
func signed(t testing.TB, k *minisign.PrivateKey, files map[string]string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, data := range files {
		out[name] = []byte(data)
		sig, err := k.Sign([]byte(data), minisign.DefaultTrustedComment(name, time.Unix(1700000000, 0)))
		if err != nil {
			t.Fatal(err)
		}
		out[name+minisign.SigSuffix] = sig.Encode()
	}
	return out
}

func mapFS(files map[string][]byte) fstest.MapFS {
	m := fstest.MapFS{}
	for n, d := range files {
		m[n] = &fstest.MapFile{Data: d}
	}
	return m
}

func TestSigName(t *testing.T) {
	for in, want := range map[string]string{
		"s390x/vmlinuz":                     "s390x/vmlinuz.minisig",
		"tftp://10.0.0.1/s390x/initrd":      "tftp://10.0.0.1/s390x/initrd.minisig",
		"https://h/k?arch=s390x":            "https://h/k.minisig?arch=s390x",
		"http://h/k#frag":                   "http://h/k.minisig#frag",
		"odd?name":                          "odd?name.minisig",
		"tftp://h/dir%20x/vmlinuz":          "tftp://h/dir%20x/vmlinuz.minisig",
		"pxelinux.cfg/01-52-54-00-12-34-56": "pxelinux.cfg/01-52-54-00-12-34-56.minisig",
	} {
		if got := SigName(in); got != want {
			t.Errorf("SigName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SigPath(pxelinux.Path{Host: "10.0.0.2", Name: "a/b"}); got != (pxelinux.Path{Host: "10.0.0.2", Name: "a/b.minisig"}) {
		t.Errorf("SigPath host = %+v", got)
	}
	if got := SigPath(pxelinux.Path{URL: "http://h/c?x"}); got.URL != "http://h/c.minisig?x" {
		t.Errorf("SigPath URL = %+v", got)
	}
}

func TestOpener(t *testing.T) {
	k, other := newKey(t), newKey(t)
	files := signed(t, k, map[string]string{
		"pxelinux.cfg/default": "default linux\n",
		"tampered":             "original\n",
		"otherkey":             "x\n",
	})
	files["unsigned"] = []byte("no signature\n")
	files["tampered"] = []byte("changed\n")
	sig, _ := other.Sign([]byte("x\n"), "other")
	files["otherkey.minisig"] = sig.Encode()
	files["garbage"] = []byte("data")
	files["garbage.minisig"] = []byte("untrusted comment: x\nnot base64\n")
	files["sigdir"] = []byte("data")
	fsys := mapFS(files)
	fsys["sigdir.minisig/x"] = &fstest.MapFile{Data: []byte("makes sigdir.minisig a directory")}

	o := Opener(k.Public(), pxelinux.FSOpener(fsys, 0), nil)
	for _, tc := range []struct {
		name    string
		targets []error
		not     []error
	}{
		{"pxelinux.cfg/default", nil, nil},
		{"missing", []error{fs.ErrNotExist}, []error{ErrUnsigned}},
		{"unsigned", []error{ErrUnsigned}, []error{fs.ErrNotExist, ErrBadSignature}},
		{"tampered", []error{ErrBadSignature, minisign.ErrInvalidSignature}, []error{ErrUnsigned}},
		{"otherkey", []error{ErrBadSignature, minisign.ErrWrongKey}, nil},
		{"garbage", []error{ErrBadSignature, minisign.ErrMalformed}, nil},
		{"sigdir", nil, []error{ErrUnsigned, ErrBadSignature, fs.ErrNotExist}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := o.Open(context.Background(), pxelinux.Path{Name: tc.name})
			if tc.targets == nil && tc.not == nil {
				if err != nil || !bytes.Equal(data, files[tc.name]) {
					t.Fatalf("Open = %q, %v", data, err)
				}
				return
			}
			if err == nil || data != nil {
				t.Fatalf("Open = %q, nil error", data)
			}
			for _, target := range tc.targets {
				if !errors.Is(err, target) {
					t.Errorf("error %v does not match %v", err, target)
				}
			}
			for _, target := range tc.not {
				if errors.Is(err, target) {
					t.Errorf("error %v matches %v", err, target)
				}
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("error %q does not name %s", err, tc.name)
			}
		})
	}
}

// TestOpenerParser runs the PXELINUX config engine through the verifying
// opener: a signed config with a signed INCLUDE loads; an unsigned
// INCLUDE or an unsigned machine config stops the boot instead of being
// skipped or falling through to "default".
func TestOpenerParser(t *testing.T) {
	k := newKey(t)
	mac, _ := net.ParseMAC("52:54:00:12:34:56")
	facts := pxelinux.Facts{MAC: mac, HWType: 1}
	base := map[string]string{
		"pxelinux.cfg/default": "DEFAULT other\nLABEL other\n KERNEL other\n",
		"menu.cfg":             "LABEL linux\n KERNEL s390x/vmlinuz\n APPEND root=/dev/ram0\n",
	}
	const machine = "pxelinux.cfg/01-52-54-00-12-34-56"
	for _, tc := range []struct {
		name       string
		signed     map[string]string
		unsigned   map[string]string
		wantKernel string
		wantErr    error
	}{
		{"all signed", map[string]string{machine: "DEFAULT linux\nINCLUDE menu.cfg\n"}, nil, "s390x/vmlinuz", nil},
		{"no machine config", nil, nil, "other", nil},
		{"unsigned include", map[string]string{machine: "DEFAULT linux\nINCLUDE extra.cfg\nINCLUDE menu.cfg\n"}, map[string]string{"extra.cfg": "LABEL linux\n KERNEL evil\n"}, "", ErrUnsigned},
		{"unsigned machine config", nil, map[string]string{machine: "DEFAULT linux\nINCLUDE menu.cfg\n"}, "", ErrUnsigned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := map[string]string{}
			for n, d := range base {
				all[n] = d
			}
			for n, d := range tc.signed {
				all[n] = d
			}
			files := signed(t, k, all)
			for n, d := range tc.unsigned {
				files[n] = []byte(d)
			}
			p := &pxelinux.Parser{Opener: Opener(k.Public(), pxelinux.FSOpener(mapFS(files), 0), nil)}
			c, err := p.Load(context.Background(), facts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Load = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := c.Autoboot()
			if a.Entry == nil || a.Entry.KernelPath.Name != tc.wantKernel {
				t.Fatalf("autoboot %+v, want kernel %s", a.Entry, tc.wantKernel)
			}
		})
	}
}

// TestFetchAll fetches kernels and initrds over a real TFTP server.
func TestFetchAll(t *testing.T) {
	k, other := newKey(t), newKey(t)
	kernel := bytes.Repeat([]byte("kernel"), 100000)
	files := signed(t, k, map[string]string{
		"s390x/vmlinuz": string(kernel),
		"s390x/initrd":  "initrd",
		"tampered":      "original",
	})
	files["tampered"] = []byte("changed")
	files["unsigned"] = []byte("unsigned")
	sig, _ := other.Sign([]byte("x"), "other")
	files["otherkey"] = []byte("x")
	files["otherkey.minisig"] = sig.Encode()
	addr := testenv.TFTPServer{Open: testenv.TFTPFiles(files)}.Start(t)
	f := fetch.New(fetch.Options{Attempts: 1, TFTPStall: 2 * time.Second})
	url := func(n string) string { return fetch.TFTPURL(addr, n) }

	got, err := FetchAll(context.Background(), f, k.Public(), []string{url("s390x/vmlinuz"), url("s390x/initrd")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0].Data, kernel) || string(got[1].Data) != "initrd" {
		t.Fatalf("got %d and %q", len(got[0].Data), got[1].Data)
	}

	urls := []string{url("s390x/initrd"), url("unsigned"), url("tampered"), url("otherkey"), url("missing")}
	got, err = FetchAll(context.Background(), f, k.Public(), urls, nil)
	if got[0] == nil || got[1] != nil || got[2] != nil || got[3] != nil || got[4] != nil {
		t.Fatalf("files %v", got)
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	if len(list) != 4 {
		t.Fatalf("%d errors, want 4: %v", len(list), err)
	}
	for i, want := range []error{ErrUnsigned, ErrBadSignature, ErrBadSignature, fetch.ErrNotFound} {
		if !errors.Is(list[i], want) {
			t.Errorf("error %d %v, want %v", i, list[i], want)
		}
		if !strings.Contains(list[i].Error(), urls[i+1]) {
			t.Errorf("error %q does not name %s", list[i], urls[i+1])
		}
	}
	if errors.Is(list[0], fs.ErrNotExist) {
		t.Errorf("ErrUnsigned matches fs.ErrNotExist: %v", list[0])
	}
}

func TestCheck(t *testing.T) {
	k := newKey(t)
	if _, err := Check(k.Public(), "vmlinuz", []byte("x"), nil); !errors.Is(err, ErrUnsigned) || !strings.Contains(err.Error(), "vmlinuz.minisig") {
		t.Errorf("Check without signature: %v", err)
	}
	sig, _ := k.Sign([]byte("x"), "c")
	if s, err := Check(k.Public(), "vmlinuz", []byte("x"), sig.Encode()); err != nil || s.TrustedComment != "c" {
		t.Errorf("Check: %v", err)
	}
	var e *Error
	if _, err := Check(k.Public(), "vmlinuz", []byte("y"), sig.Encode()); !errors.As(err, &e) || e.Name != "vmlinuz" || e.Err != ErrBadSignature {
		t.Errorf("Check tampered: %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t)
	good := filepath.Join(dir, "trusted.pub")
	bad := filepath.Join(dir, "bad.pub")
	os.WriteFile(good, k.Public().Encode(), 0o644)
	os.WriteFile(bad, []byte("untrusted comment: x\nRWQ\n"), 0o644)
	if got, err := LoadKey(good); err != nil || !got.Equal(k.Public()) {
		t.Errorf("LoadKey(good) = %v, %v", got, err)
	}
	if _, err := LoadKey(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadKey(missing) = %v, want fs.ErrNotExist", err)
	}
	if _, err := LoadKey(bad); !errors.Is(err, minisign.ErrMalformed) || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadKey(bad) = %v", err)
	}
}
