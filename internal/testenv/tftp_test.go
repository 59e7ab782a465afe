package testenv

import (
	"bytes"
	"io"
	"strings"
	"testing"

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
