package initramfs

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseModinfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    ModInfo
		wantErr bool
	}{
		{name: "empty"},
		{name: "padding only", in: "\x00\x00\x00"},
		{
			name: "fields",
			in:   "license=GPL\x00depends=net_failover\x00\x00\x00alias=virtio:d00000001v*\x00alias=x\x00name=virtio_net\x00vermagic=6.1.0 SMP\x00",
			want: ModInfo{
				{"license", "GPL"}, {"depends", "net_failover"}, {"alias", "virtio:d00000001v*"},
				{"alias", "x"}, {"name", "virtio_net"}, {"vermagic", "6.1.0 SMP"},
			},
		},
		{name: "empty value", in: "depends=\x00", want: ModInfo{{"depends", ""}}},
		{name: "value with equals", in: "parm=a:x=y\x00", want: ModInfo{{"parm", "a:x=y"}}},
		{name: "no terminator", in: "name=a", want: ModInfo{{"name", "a"}}},
		{name: "no equals", in: "name=a\x00garbage\x00", wantErr: true},
		{name: "empty key", in: "=a\x00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseModinfo([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseModinfo() error = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseModinfo() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModInfoDepends(t *testing.T) {
	m := ModInfo{{"depends", "dca,i2c-algo-bit"}, {"softdep", "pre: crc32c post: a b"}, {"softdep", "pre: c"}}
	if got, want := m.Depends(), []string{"dca", "i2c-algo-bit"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Depends() = %q, want %q", got, want)
	}
	pre, post := m.Softdeps()
	if want := []string{"crc32c", "c"}; !reflect.DeepEqual(pre, want) {
		t.Errorf("Softdeps() pre = %q, want %q", pre, want)
	}
	if want := []string{"a", "b"}; !reflect.DeepEqual(post, want) {
		t.Errorf("Softdeps() post = %q, want %q", post, want)
	}
	if got := (ModInfo{{"depends", ""}}).Depends(); got != nil {
		t.Errorf("empty depends = %q, want none", got)
	}
}

func TestReadModinfoErrors(t *testing.T) {
	noModinfo := fakeELF(t, elf.ET_REL, elf.EM_S390, map[string][]byte{".text": {1}}, false)
	if _, err := ReadModinfo(bytes.NewReader(noModinfo)); !errors.Is(err, ErrNoModinfo) {
		t.Errorf("ELF without .modinfo: %v, want ErrNoModinfo", err)
	}
	if _, err := ReadModinfo(bytes.NewReader([]byte("not elf at all"))); err == nil {
		t.Error("non-ELF input: no error")
	}
}

// TestReadModinfoDebian reads a real module of each architecture (big- and
// little-endian) from the Debian trees scripts/fetch-kernels.sh unpacks.
func TestReadModinfoDebian(t *testing.T) {
	for arch, deps := range map[string][]string{
		"s390x": {"net_failover"}, // virtio and virtio_ring are built in (CONFIG_VIRTIO=y)
		"amd64": {"virtio_ring", "virtio", "net_failover"},
	} {
		p := filepath.Join(cacheDir(t, arch), "modules/kernel/drivers/net/virtio_net.ko")
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		info, err := ReadModinfo(f)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if info.Name() != "virtio_net" || !reflect.DeepEqual(info.Depends(), deps) {
			t.Errorf("%s: name %q depends %q, want virtio_net needing %q", p, info.Name(), info.Depends(), deps)
		}
	}
}

func FuzzParseModinfo(f *testing.F) {
	f.Add([]byte("name=a\x00depends=b,c\x00softdep=pre: x post: y\x00"))
	f.Add([]byte("\x00\x00=\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModinfo(data)
		if err != nil {
			return
		}
		// Re-encoding and parsing again gives the same fields.
		var enc []byte
		for _, fld := range m {
			enc = append(append(append(append(enc, fld.Key...), '='), fld.Value...), 0)
		}
		again, err := ParseModinfo(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %q: %q, %v", m, again, err)
		}
		m.Depends()
		m.Softdeps()
	})
}

func FuzzReadModinfo(f *testing.F) {
	f.Add(fakeModule(f, elf.EM_S390, "name=a", "depends=b"))
	f.Add(fakeModule(f, elf.EM_X86_64, "name=a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModinfo(bytes.NewReader(data))
		if err == nil {
			m.Depends()
		}
	})
}
