package testenv

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pin/tftp/v3"
)

// TestTFTPServer reads a file whose size is announced, one whose size is
// not, and one that is not there.
func TestTFTPServer(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	addr := TFTPServer{Open: func(name string) (io.Reader, int64, bool) {
		switch name {
		case "sized":
			return bytes.NewReader(data), int64(len(data)), true
		case "unsized":
			return io.MultiReader(bytes.NewReader(data)), -1, true // no Seek: pin/tftp cannot see the length
		}
		return nil, 0, false
	}}.Start(t)
	c, err := tftp.NewClient(addr)
	if err != nil {
		t.Fatal(err)
	}
	c.RequestTSize(true)
	for name, wantSize := range map[string]bool{"sized": true, "unsized": false} {
		wt, err := c.Receive(name, "octet")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n, ok := wt.(tftp.IncomingTransfer).Size(); (ok && n == int64(len(data))) != wantSize {
			t.Errorf("%s: size %d, %v", name, n, ok)
		}
		var got bytes.Buffer
		if _, err := wt.WriteTo(&got); err != nil || !bytes.Equal(got.Bytes(), data) {
			t.Errorf("%s: %d bytes, %v", name, got.Len(), err)
		}
	}
	if _, err := c.Receive("missing", "octet"); err == nil || !strings.Contains(err.Error(), "missing: file not found") {
		t.Errorf("missing file: %v", err)
	}
}

// TestTFTPDir serves a folder: a file in it arrives, a name that leaves
// it is not found. Run's stop ends the server, and a new one takes over
// its address.
func TestTFTPDir(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "pxelinux.cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "pxelinux.cfg", "default"), []byte("DEFAULT a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(root), "outside"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(filepath.Join(filepath.Dir(root), "outside"))
	addr, stop := TFTPServer{Open: TFTPDir(root)}.Run(t)
	get := func(addr, name string) (string, error) {
		c, err := tftp.NewClient(addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetTimeout(200 * time.Millisecond)
		c.SetRetries(2)
		wt, err := c.Receive(name, "octet")
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		_, err = wt.WriteTo(&b)
		return b.String(), err
	}
	if got, err := get(addr, "/pxelinux.cfg/default"); err != nil || got != "DEFAULT a\n" {
		t.Errorf("pxelinux.cfg/default: %q, %v", got, err)
	}
	if got, err := get(addr, "../outside"); err == nil || !strings.Contains(err.Error(), "file not found") {
		t.Errorf("../outside: %q, %v, want file not found", got, err)
	}
	stop()
	if _, err := get(addr, "pxelinux.cfg/default"); err == nil {
		t.Error("the stopped server still answers")
	}
	TFTPServer{Open: TFTPDir(root), Addr: addr}.Start(t)
	if got, err := get(addr, "pxelinux.cfg/default"); err != nil || got != "DEFAULT a\n" {
		t.Errorf("the new server on %s: %q, %v", addr, got, err)
	}
}
