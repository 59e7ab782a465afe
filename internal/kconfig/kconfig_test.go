package kconfig

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

const fixtures = "../../testdata/kconfig"

func TestReadFileDebian(t *testing.T) {
	for _, tc := range []struct {
		file                  string
		kexec, kexecFile, rdz bool
	}{
		{"config-6.1.0-50-s390x", true, false, true},
		{"config-6.12.107+deb13-s390x", false, false, true},
		{"config-6.1.0-57-amd64", true, true, true},
		{"config-6.12.118+deb13-amd64", true, true, true},
		{"config-6.1.0-57-arm64", true, false, true},
		{"config-6.12.118+deb13-arm64", true, false, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := ReadFile(filepath.Join(fixtures, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if c.Enabled("CONFIG_KEXEC") != tc.kexec || c.Enabled("CONFIG_KEXEC_FILE") != tc.kexecFile || c.Enabled("CONFIG_RD_ZSTD") != tc.rdz {
				t.Errorf("KEXEC %q, KEXEC_FILE %q, RD_ZSTD %q", c.Value("CONFIG_KEXEC"), c.Value("CONFIG_KEXEC_FILE"), c.Value("CONFIG_RD_ZSTD"))
			}
			if c.Enabled("CONFIG_IKCONFIG") {
				t.Error("Debian kernels do not embed their configuration")
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
		err      string
	}{
		{"values", "#\n# Linux\n#\nCONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_S=\"a b=c\"\nCONFIG_N=0x10\n\n",
			map[string]string{"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_C": "", "CONFIG_S": `"a b=c"`, "CONFIG_N": "0x10"}, ""},
		{"only unset", "# CONFIG_KEXEC is not set\n", map[string]string{"CONFIG_KEXEC": ""}, ""},
		{"empty", "", nil, "no CONFIG_ option"},
		{"a pxelinux config", "DEFAULT linux\n", nil, `line 1 "DEFAULT linux"`},
		{"no name", "CONFIG_=y\n", nil, "line 1"},
		{"html", "<html>\n", nil, "not a kernel configuration line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tc.in), "f")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse: %v, want an error mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if c.Value(k) != v {
					t.Errorf("%s = %q, want %q", k, c.Value(k), v)
				}
			}
		})
	}
}

// ikconfigBlob is what CONFIG_IKCONFIG puts in a kernel: the markers
// around the gzip-compressed configuration.
func ikconfigBlob(t testing.TB, config string) []byte {
	var b bytes.Buffer
	b.WriteString(ikconfigStart)
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(config))
	zw.Close()
	b.WriteString(ikconfigEnd)
	return b.Bytes()
}

// fakeKernel is a self-decompressing kernel: a loader, then the
// compressed kernel proper, which holds the embedded configuration.
func fakeKernel(t testing.TB, compress string, blob []byte) []byte {
	inner := append(append(bytes.Repeat([]byte("kernel text "), 5000), blob...), bytes.Repeat([]byte{0xaa}, 4096)...)
	var payload bytes.Buffer
	switch compress {
	case "none":
		payload.Write(inner)
	case "gzip":
		zw := gzip.NewWriter(&payload)
		zw.Write(inner)
		zw.Close()
	case "xz":
		zw, err := xz.NewWriter(&payload)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(inner)
		zw.Close()
	case "zstd":
		zw, _ := zstd.NewWriter(nil)
		payload.Write(zw.EncodeAll(inner, nil))
		zw.Close()
	}
	// A false gzip magic in the loader comes before the payload.
	loader := append([]byte("decompressor \x1f\x8b\x08 not a stream"), make([]byte, 4000)...)
	return append(loader, payload.Bytes()...)
}

func TestFromImage(t *testing.T) {
	const config = "# CONFIG_KEXEC is not set\nCONFIG_KEXEC_FILE=y\nCONFIG_IKCONFIG=y\n"
	blob := ikconfigBlob(t, config)
	for _, compress := range []string{"none", "gzip", "xz", "zstd"} {
		t.Run(compress, func(t *testing.T) {
			c, err := FromImage(fakeKernel(t, compress, blob), "vmlinuz")
			if err != nil {
				t.Fatal(err)
			}
			if !c.Enabled("CONFIG_KEXEC_FILE") || c.Enabled("CONFIG_KEXEC") || c.Source != "the IKCONFIG of vmlinuz" {
				t.Errorf("config from %s: %+v", c.Source, c.options)
			}
		})
	}
	if _, err := FromImage(fakeKernel(t, "gzip", nil), "vmlinuz"); !errors.Is(err, ErrNoIKConfig) {
		t.Errorf("kernel without IKCONFIG: %v, want ErrNoIKConfig", err)
	}
	if _, err := FromImage(append([]byte(ikconfigStart), "not gzip"...), "k"); err == nil || errors.Is(err, ErrNoIKConfig) {
		t.Errorf("corrupt IKCONFIG: %v, want a gzip error", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"config-6.1.0-50-s390x", "config-6.12.107+deb13-s390x"} {
		b, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("CONFIG_A=y\n# CONFIG_B is not set\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(bytes.NewReader(in), "f")
		if err == nil && c.Len() == 0 && !bytes.Contains(in, []byte("is not set")) {
			t.Fatalf("accepted %q without an option", in)
		}
	})
}

func FuzzFromImage(f *testing.F) {
	f.Add(ikconfigBlob(f, "CONFIG_A=y\n"))
	f.Add([]byte("\x1f\x8b\x08\x00IKCFG_ST\x1f\x8bIKCFG_ED"))
	f.Add([]byte("\xfd7zXZ\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, in []byte) {
		FromImage(in, "k")
	})
}
