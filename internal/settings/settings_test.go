package settings

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf"
)

func TestParse(t *testing.T) {
	s, warn, err := Parse(`console=ttyS0 pxeinit.iface=eth0,eth1 pxeinit.debug pxeinit.timeout=15 ` +
		`pxeinit.retry=0 pxeinit.label="my entry" pxeinit.config=http://10.0.0.1/x.cfg pxeinit.qeth=f500,f501,f502 ` +
		`pxeinit.server=10.0.0.1 pxeinit.prefix=s390x/ pxeinit.ip=10.0.0.5/24,10.0.0.1,10.0.0.53 pxeinit.colour=blue` + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(warn) != 1 || !strings.Contains(warn[0], "pxeinit.colour") {
		t.Errorf("warnings = %q", warn)
	}
	if !reflect.DeepEqual(s.Ifaces, []string{"eth0", "eth1"}) || !s.Debug || s.NetTimeout != 15*time.Second ||
		!s.RetrySet || s.Retry != 0 || s.Label != "my entry" || s.ConfigURL != "http://10.0.0.1/x.cfg" ||
		len(s.Qeth) != 1 || s.Server.String() != "10.0.0.1" || s.Prefix != "s390x/" ||
		s.Static == nil || s.Static.Address.String() != "10.0.0.5/24" {
		t.Errorf("settings = %+v", s)
	}
	bad := []string{
		"pxeinit.timeout=abc", "pxeinit.timeout=0", "pxeinit.iface=", "pxeinit.server=host.example",
		"pxeinit.config=/x.cfg", "pxeinit.qeth=1,2", "pxeinit.ip=10.0.0.5", "pxeinit.ip=10.0.0.5/24",
		"pxeinit.retry", "pxeinit.label=", "pxeinit.vlan=0", "pxeinit.vlan=4095", "pxeinit.vlan=abc",
		"pxeinit.vlan=", "pxeinit.vlan=eth0.", "pxeinit.vlan=eth0.0", "pxeinit.vlan=enP1p0s0f0np0.42",
		"pxeinit.boot=usb", "pxeinit.boot=net,net", "pxeinit.boot=", "pxeinit.boot=disk,",
		"pxeinit.diskwait=-1", "pxeinit.diskwait=x",
		"pxeinit.retry", "pxeinit.label=", "pxeinit.ipv=5", "pxeinit.ipv=46", "pxeinit.server=ff02::1",
		"pxeinit.server=2001:db8::1%eth0", "pxeinit.ip=fe80::5/64",
	}
	for _, in := range bad {
		_, _, err := Parse(in)
		if !errors.Is(err, ErrBadSetting) || !strings.Contains(err.Error(), strings.SplitN(in, "=", 2)[0]) {
			t.Errorf("Parse(%q) = %v, want ErrBadSetting naming the key", in, err)
		}
	}
	s, _, err = Parse("pxeinit.ipv=6 pxeinit.ip=2001:db8::5/64,fe80::1,2001:db8::53 pxeinit.server=fe80::2%enc1")
	if err != nil || s.IPVersion != 6 || s.Static.Address.String() != "2001:db8::5/64" || s.Static.Gateway.String() != "fe80::1" ||
		s.Server.String() != "fe80::2%enc1" {
		t.Errorf("IPv6 settings = %+v, %v", s, err)
	}
	if s, _, err := Parse("quiet root=/dev/sda1"); err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Errorf("no settings: %+v, %v", s, err)
	}
	for in, want := range map[string]bool{"pxeinit.debug": true, "pxeinit.debug=1": true, "pxeinit.debug=yes": true,
		"pxeinit.debug=0": false, "pxeinit.debug=": false, "pxeinit.debug=no": false} {
		if s, _, err := Parse(in); err != nil || s.Debug != want {
			t.Errorf("Parse(%q): Debug %v, %v; want %v", in, s.Debug, err, want)
		}
	}
}

// TestBootSources: the boot order and the wait for disks, given and
// defaulted.
func TestBootSources(t *testing.T) {
	for in, want := range map[string][]string{"": {"net", "disk"}, "pxeinit.boot=disk": {"disk"},
		"pxeinit.boot=disk,net": {"disk", "net"}, "pxeinit.boot=net": {"net"}} {
		s, _, err := Parse(in)
		if err != nil || !reflect.DeepEqual(s.Sources(), want) {
			t.Errorf("Parse(%q): Sources %v, %v; want %v", in, s.Sources(), err, want)
		}
	}
	for in, want := range map[string]time.Duration{"": DefaultDiskWait, "pxeinit.diskwait=0": 0, "pxeinit.diskwait=10": 10 * time.Second} {
		s, _, err := Parse(in)
		if err != nil || s.DiskWaitOr() != want {
			t.Errorf("Parse(%q): DiskWaitOr %v, %v; want %v", in, s.DiskWaitOr(), err, want)
		}
	}
}

// TestTableComplete: every row of Table has a parser and a description,
// and names are unique.
func TestTableComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Table {
		if s.set == nil || len(s.Doc) == 0 || s.Name == "" || seen[s.Name] {
			t.Errorf("row %+v: incomplete or repeated", s)
		}
		seen[s.Name] = true
	}
}

// TestREADME holds the README's list of settings to Doc, the one place
// the list is written: edit Table, then paste Doc's output (go test
// ./internal/settings -run README -v prints it on a mismatch).
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\n```\n"+Doc()+"```\n") {
		t.Errorf("README.md does not hold the settings as Doc gives them; the block should read:\n%s", Doc())
	}
}

func TestParseVLAN(t *testing.T) {
	for _, tc := range []struct {
		cmdline string
		want    []netconf.VLAN
	}{
		{"pxeinit.vlan=42", []netconf.VLAN{{ID: 42}}},
		{"pxeinit.vlan=enc8000.100", []netconf.VLAN{{Parent: "enc8000", ID: 100}}},
		{"pxeinit.vlan=eth0.42,eth1.43", []netconf.VLAN{{Parent: "eth0", ID: 42}, {Parent: "eth1", ID: 43}}},
		{"pxeinit.vlan=eth0.42 pxeinit.vlan=7 pxeinit.vlan=eth0.42", []netconf.VLAN{{Parent: "eth0", ID: 42}, {ID: 7}}},
		{`pxeinit.vlan="4094"`, []netconf.VLAN{{ID: 4094}}},
		{"pxeinit.iface=eth0", nil},
	} {
		s, _, err := Parse(tc.cmdline)
		if err != nil || !reflect.DeepEqual(s.VLANs, tc.want) {
			t.Errorf("Parse(%q): VLANs %+v, %v; want %+v", tc.cmdline, s.VLANs, err, tc.want)
		}
	}
	// One bad value spoils only its own setting, and the error says
	// which key and why.
	s, _, err := Parse("pxeinit.vlan=42 pxeinit.vlan=4095 pxeinit.label=x")
	if !errors.Is(err, ErrBadSetting) || !errors.Is(err, netconf.ErrBadConfig) || !strings.Contains(err.Error(), `pxeinit.vlan="4095"`) ||
		!strings.Contains(err.Error(), "1 to 4094") || !reflect.DeepEqual(s.VLANs, []netconf.VLAN{{ID: 42}}) || s.Label != "x" {
		t.Errorf("Parse(bad VLAN) = %+v, %v", s, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`pxeinit.iface=eth0 pxeinit.label="a b" pxeinit.qeth=f500,f501,f502`)
	f.Add(`pxeinit.ip=10.0.0.5/24,10.0.0.1 pxeinit.server=10.0.0.1 "pxeinit.debug`)
	f.Fuzz(func(t *testing.T, s string) {
		Parse(s)
	})
}
