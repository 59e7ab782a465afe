package platform

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/uuid"
)

func TestParseSysinfoUUID(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"sysinfo-kvm", "5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11"},
		{"sysinfo-zvm-lpar", "c0ffee00-1234-5678-9abc-def012345678"},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSysinfoUUID(b)
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.file, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "Manufacturer: IBM\n", "VM00 UUID: not-a-uuid\n", "LPAR UUID: 00000000-0000-0000-0000-000000000000"} {
		if u, err := ParseSysinfoUUID([]byte(in)); !errors.Is(err, ErrNoUUID) {
			t.Errorf("ParseSysinfoUUID(%q) = %q, %v; want ErrNoUUID", in, u, err)
		}
	}
	lpar := "LPAR UUID:  0A1B2C3D-0000-1111-2222-333344445555\n"
	if u, _ := ParseSysinfoUUID([]byte(lpar)); u != "0a1b2c3d-0000-1111-2222-333344445555" {
		t.Errorf("LPAR only: %q", u)
	}
}

func FuzzParseSysinfoUUID(f *testing.F) {
	for _, n := range []string{"sysinfo-kvm", "sysinfo-zvm-lpar"} {
		b, _ := os.ReadFile(filepath.Join("testdata", n))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseSysinfoUUID(b)
		if err == nil {
			if v, err := uuid.Parse(u); err != nil || v.String() != u {
				t.Fatalf("returned %q", u)
			}
		}
	})
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, data := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "/") {
			continue
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestProbe(t *testing.T) {
	sysinfo, _ := os.ReadFile("testdata/sysinfo-kvm")
	root := writeTree(t, map[string]string{
		SysinfoFile:                      string(sysinfo),
		DMIUUIDFile:                      "4C4C4544-0042-3510-8052-B4C04F4E4B32\n",
		DMIDir + "/sys_vendor":           "Dell Inc.\n",
		DMIDir + "/product_name":         "PowerEdge R640\n",
		DMIDir + "/product_serial":       "\n",
		DMIDir + "/board_serial":         "bad\x01value\n",
		DMIDir + "/bios_version":         "2.1.8\n",
		DMIDir + "/nosuch_not_read_attr": "x",
	})
	m := Probe(root, "amd64", nil)
	want := Machine{
		UUID: "4c4c4544-0042-3510-8052-b4c04f4e4b32",
		Sys: map[uint32]string{
			1 << 4:  "SYSVENDOR=Dell Inc.",
			1 << 5:  "SYSPRODUCT=PowerEdge R640",
			1 << 16: "BIOSVERSION=2.1.8",
		},
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Probe amd64 = %+v, want %+v", m, want)
	}
	m = Probe(root, "s390x", nil)
	if m.UUID != "5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11" || m.Sys != nil {
		t.Errorf("Probe s390x = %+v", m)
	}
	empty := t.TempDir()
	if m := Probe(empty, "s390x", nil); m.UUID != "" || m.Sys != nil {
		t.Errorf("Probe of nothing = %+v", m)
	}
	ones := writeTree(t, map[string]string{DMIUUIDFile: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"})
	if _, err := DMIUUID(ones); !errors.Is(err, ErrNoUUID) {
		t.Errorf("DMIUUID(all ones) = %v, want ErrNoUUID", err)
	}
}

// fakeCCW builds a sysfs tree with channel devices: id -> cutype, with
// "+g" appended when the device is already grouped.
func fakeCCW(t *testing.T, devs map[string]string) string {
	t.Helper()
	files := map[string]string{QethGroupFile: ""}
	for id, cu := range devs {
		grouped := strings.HasSuffix(cu, "+g")
		cu = strings.TrimSuffix(cu, "+g")
		files[CCWDevicesDir+"/"+id+"/cutype"] = cu + "\n"
		files[CCWDevicesDir+"/"+id+"/online"] = "0\n"
		if grouped {
			files[CCWDevicesDir+"/"+id+"/group_device"] = ""
		}
	}
	return writeTree(t, files)
}

func TestFindQethGroups(t *testing.T) {
	root := fakeCCW(t, map[string]string{
		"0.0.f500": "1731/01", "0.0.f501": "1731/01", "0.0.f502": "1731/01",
		"0.0.0009": "3215/00",                                               // console
		"0.0.f600": "1731/05", "0.0.f601": "1731/05", "0.0.f602": "1731/05", // HiperSockets
		"0.0.f700": "1731/01+g", "0.0.f701": "1731/01+g", "0.0.f702": "1731/01+g",
		"0.0.f800": "1731/01", "0.0.f802": "1731/01", "0.0.f803": "1731/01", "0.0.f804": "1731/01",
		"0.1.0000": "1731/01", "0.1.0001": "1731/01",
	})
	got, err := FindQethGroups(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []QethGroup{{"0.0.f500", "0.0.f501", "0.0.f502"}, {"0.0.f802", "0.0.f803", "0.0.f804"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FindQethGroups = %v, want %v", got, want)
	}
	if g, err := FindQethGroups(t.TempDir()); g != nil || err != nil {
		t.Errorf("no ccw bus: %v, %v", g, err)
	}
}

func TestSetupQeth(t *testing.T) {
	root := fakeCCW(t, map[string]string{"0.0.f500": "1731/01", "0.0.f501": "1731/01", "0.0.f502": "1731/01"})
	// The kernel creates the group device when the group file is written;
	// the fake tree has it already with its online attribute.
	online := filepath.Join(root, CCWGroupDevicesDir, "0.0.f500", "online")
	os.MkdirAll(filepath.Dir(online), 0o755)
	os.WriteFile(online, []byte("0\n"), 0o644)
	if err := SetupQeth(root, nil, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(online); string(b) != "1" {
		t.Errorf("online = %q, want 1", b)
	}
	// Not grouped yet: the group file gets the triple, then online fails
	// in the fake tree (no kernel to create the device) with an error
	// naming the group.
	root = fakeCCW(t, nil)
	g := QethGroup{"0.0.a000", "0.0.a001", "0.0.a002"}
	err := SetupQeth(root, []QethGroup{g}, nil)
	if err == nil || !strings.Contains(err.Error(), "0.0.a000,0.0.a001,0.0.a002") {
		t.Errorf("SetupQeth without device = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, QethGroupFile)); string(b) != "0.0.a000,0.0.a001,0.0.a002" {
		t.Errorf("group file = %q", b)
	}
}

func TestParseQethGroup(t *testing.T) {
	tests := []struct {
		in   string
		want QethGroup
		ok   bool
	}{
		{"0.0.f500,0.0.f501,0.0.f502", QethGroup{"0.0.f500", "0.0.f501", "0.0.f502"}, true},
		{"F500,f501,f502", QethGroup{"0.0.f500", "0.0.f501", "0.0.f502"}, true},
		{"0.1.0a,0.1.0b,0.1.0c", QethGroup{"0.1.000a", "0.1.000b", "0.1.000c"}, true},
		{"0.0.f500,0.0.f501", QethGroup{}, false},
		{"0.0.f500,0.0.f501,zz", QethGroup{}, false},
		{"0.4.f500,0.0.f501,0.0.f502", QethGroup{}, false}, // ssid 0..3
		{"0.0.10000,0.0.f501,0.0.f502", QethGroup{}, false},
	}
	for _, tt := range tests {
		got, err := ParseQethGroup(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseQethGroup(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, ErrBadQeth) {
			t.Errorf("ParseQethGroup(%q) error %v is not ErrBadQeth", tt.in, err)
		}
	}
}
