package fetch

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRequestPacket(t *testing.T) {
	if got, want := requestPacket("pxelinux.cfg/default", 1468, 1), "\x00\x01pxelinux.cfg/default\x00octet\x00blksize\x001468\x00tsize\x000\x00"; string(got) != want {
		t.Errorf("with options: %q, want %q", got, want)
	}
	if got, want := requestPacket("f", 1428, 16), "\x00\x01f\x00octet\x00blksize\x001428\x00tsize\x000\x00windowsize\x0016\x00"; string(got) != want {
		t.Errorf("with a window: %q, want %q", got, want)
	}
	if got, want := requestPacket("a", 0, 16), "\x00\x01a\x00octet\x00"; string(got) != want {
		t.Errorf("without options: %q, want %q", got, want)
	}
	// The longest name URLs let through fits the 516-byte request.
	if n := len(requestPacket(strings.Repeat("n", maxTFTPName), maxBlockSize, maxWindowSize)); n > tftpRequestMax {
		t.Errorf("request with the longest name is %d bytes, more than %d", n, tftpRequestMax)
	}
}

func TestParseOACK(t *testing.T) {
	tests := []struct {
		body  string
		want  oack
		words string // error text; "" for none
	}{
		{"blksize\x001428\x00tsize\x0026222588\x00", oack{blksize: 1428, tsize: 26222588}, ""},
		{"TSIZE\x000\x00", oack{tsize: 0}, ""},
		{"BlkSize\x008\x00", oack{blksize: 8, tsize: -1}, ""},
		{"blksize\x001428\x00timeout\x001\x00", oack{blksize: 1428, tsize: -1}, ""},
		{"windowsize\x0016\x00blksize\x001468\x00", oack{blksize: 1468, tsize: -1, window: 16}, ""},
		{"windowsize\x000\x00", oack{}, `windowsize "0" is not a number in 1..65535`},
		{"", oack{}, "not NUL-terminated"},
		{"blksize\x001428", oack{}, "not NUL-terminated"},
		{"blksize\x00", oack{}, `option "blksize" has no value`},
		{"blksize\x007\x00", oack{}, `blksize "7" is not a number in 8..65464`},
		{"blksize\x0065465\x00", oack{}, "not a number"},
		{"blksize\x00\xff\x00", oack{}, `blksize "\xff"`},
		{"tsize\x00-1\x00", oack{}, `tsize "-1" is not a size`},
		{"tsize\x0099999999999999999999\x00", oack{}, "not a size"},
	}
	for _, tt := range tests {
		got, err := parseOACK([]byte(tt.body))
		if tt.words != "" {
			if !errors.Is(err, errMalformed) || !strings.Contains(err.Error(), tt.words) {
				t.Errorf("parseOACK(%q) = %v, want errMalformed saying %q", tt.body, err, tt.words)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseOACK(%q) = %+v, %v; want %+v", tt.body, got, err, tt.want)
		}
	}
}

func TestParseError(t *testing.T) {
	tests := []struct {
		body    string
		code    int
		msg     string
		matches error
	}{
		{"\x00\x01File not found\x00", 1, "File not found", ErrNotFound},
		{"\x00\x02Access violation\x00", 2, "Access violation", ErrAccess},
		{"\x00\x00", 0, "", ErrServer},
		{"\x00\x04no NUL", 4, "no NUL", ErrServer},
		{"\x00\x08bad\x1b[2J\x00", 8, `bad\x1b[2J`, ErrServer},
	}
	for _, tt := range tests {
		te, err := parseError([]byte(tt.body))
		if err != nil || te.Code != tt.code || te.Message != tt.msg || !errors.Is(te, tt.matches) {
			t.Errorf("parseError(%q) = %+v, %v; want code %d %q matching %v", tt.body, te, err, tt.code, tt.msg, tt.matches)
		}
	}
	if _, err := parseError([]byte{0}); !errors.Is(err, errMalformed) {
		t.Errorf("1-byte ERROR body: %v", err)
	}
	if got := printable(bytes.Repeat([]byte{'a'}, 300)); len(got) != 203 || !strings.HasSuffix(got, "...") {
		t.Errorf("printable of 300 bytes = %d bytes", len(got))
	}
}

func FuzzParseOACK(f *testing.F) {
	f.Add([]byte("blksize\x001428\x00tsize\x0026222588\x00"))
	f.Add([]byte("tsize\x00\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseOACK(body)
		if err != nil {
			return
		}
		if o.blksize != 0 && (o.blksize < 8 || o.blksize > maxBlockSize) || o.tsize < -1 || o.window < 0 || o.window > maxWindowSize {
			t.Fatalf("parseOACK(%q) = %+v", body, o)
		}
	})
}

func FuzzParseError(f *testing.F) {
	f.Add([]byte("\x00\x01File not found\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		te, err := parseError(body)
		if err != nil {
			return
		}
		for _, c := range []byte(te.Message) {
			if c < 0x20 || c >= 0x7f {
				t.Fatalf("message %q holds byte %#x", te.Message, c)
			}
		}
	})
}
