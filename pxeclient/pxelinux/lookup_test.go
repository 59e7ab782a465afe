package pxelinux

import (
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func TestPrefix(t *testing.T) {
	for _, tc := range []struct {
		f    Facts
		want string
	}{
		{Facts{BootFile: "pxelinux.0"}, ""},
		{Facts{BootFile: "s390x/pxelinux.0"}, "s390x/"},
		{Facts{BootFile: "a/b/lpxelinux.0"}, "a/b/"},
		{Facts{BootFile: `boot\pxelinux.0`}, `boot\`},
		{Facts{BootFile: "my_pxelinux.0"}, "my_"}, // '_' ends the name, as in get_prefix()
		{Facts{BootFile: "s390x/pxelinux.0", PathPrefix: "other/"}, "other/"},
		{Facts{PathPrefix: "http://h/x/"}, "http://h/x/"},
		{Facts{}, ""},
	} {
		if got := Prefix(tc.f); got != tc.want {
			t.Errorf("Prefix(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestConfigNames(t *testing.T) {
	all := Facts{
		MAC: mac("88:99:AA:BB:CC:DD"), IP: netip.MustParseAddr("192.0.2.91"),
		UUID: "B8945908-D6A6-41A9-611D-74A6AB80B83D", BootFile: "s390x/pxelinux.0",
		ConfigFile: "special.cfg",
	}
	for _, tc := range []struct {
		name string
		f    Facts
		want string
	}{
		{"all steps in order", all, "s390x/special.cfg s390x/pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d s390x/pxelinux.cfg/01-88-99-aa-bb-cc-dd " +
			"s390x/pxelinux.cfg/C000025B s390x/pxelinux.cfg/C000025 s390x/pxelinux.cfg/C00002 s390x/pxelinux.cfg/C0000 " +
			"s390x/pxelinux.cfg/C000 s390x/pxelinux.cfg/C00 s390x/pxelinux.cfg/C0 s390x/pxelinux.cfg/C s390x/pxelinux.cfg/default"},
		{"nothing known", Facts{}, "pxelinux.cfg/default"},
		{"bad uuid skipped", Facts{UUID: "not-a-uuid"}, "pxelinux.cfg/default"},
		{"hw type", Facts{MAC: mac("00:11:22:33:44:55"), HWType: 6}, "pxelinux.cfg/06-00-11-22-33-44-55 pxelinux.cfg/default"},
		{"ipv6 has no hex step", Facts{IP: netip.MustParseAddr("2001:db8::1")}, "pxelinux.cfg/default"},
		{"210 wins over bootfile", Facts{BootFile: "a/pxelinux.0", PathPrefix: "b/"}, "b/pxelinux.cfg/default"},
		{"209 as URL", Facts{ConfigFile: "http://h/c.cfg"}, "http://h/c.cfg pxelinux.cfg/default"},
		{"209 from root", Facts{ConfigFile: "::c.cfg", BootFile: "x/p.0"}, "c.cfg x/pxelinux.cfg/default"},
		{"210 as URL", Facts{PathPrefix: "http://h/p/"}, "http://h/p/pxelinux.cfg/default"},
		{"DHCPv6 boot file URL", Facts{BootFile: "tftp://[2001:db8::1]/s390x/pxelinux.0", IP: netip.MustParseAddr("2001:db8::50"),
			MAC: mac("52:54:00:12:34:56"), UUID: "b8945908-d6a6-41a9-611d-74a6ab80b83d"},
			"tftp://[2001:db8::1]/s390x/pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d tftp://[2001:db8::1]/s390x/pxelinux.cfg/01-52-54-00-12-34-56 " +
				"tftp://[2001:db8::1]/s390x/pxelinux.cfg/default"},
		{"link-local server with zone", Facts{BootFile: "http://[fe80::1%25eth0]:8080/pxelinux.0"}, "http://[fe80::1%25eth0]:8080/pxelinux.cfg/default"},
		{"210 on other host", Facts{PathPrefix: "10.0.0.9::p/"}, "10.0.0.9::p/pxelinux.cfg/default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range ConfigNames(tc.f) {
				got = append(got, p.String())
			}
			if want := strings.Fields(tc.want); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		dir, name string
		want      Path
	}{
		{"::s390x/", "vmlinuz", Path{Name: "s390x/vmlinuz"}},
		{"::s390x/", "/vmlinuz", Path{Name: "s390x//vmlinuz"}}, // '/' does not make it absolute
		{"::s390x/", "::vmlinuz", Path{Name: "vmlinuz"}},
		{"::s390x/", "10.0.0.5::boot/vmlinuz", Path{Host: "10.0.0.5", Name: "boot/vmlinuz"}},
		{"::s390x/", "http://h/v", Path{URL: "http://h/v"}},
		{"::s390x/", "https://h:8443/v", Path{URL: "https://h:8443/v"}},
		{"::s390x/", "tftp://h/v", Path{URL: "tftp://h/v"}},
		{"http://h/d/", "v", Path{URL: "http://h/d/v"}},
		{"", "a:b", Path{Name: "a:b"}}, // one colon: still relative
		{"", "", Path{}},
	} {
		if got := Resolve(tc.dir, tc.name); got != tc.want {
			t.Errorf("Resolve(%q, %q) = %+v, want %+v", tc.dir, tc.name, got, tc.want)
		}
	}
}

func TestSysAppend(t *testing.T) {
	f := Facts{
		MAC: mac("52:54:00:12:34:56"), IP: netip.MustParseAddr("10.0.2.15"),
		Netmask: netip.MustParseAddr("255.255.255.0"), Gateway: netip.MustParseAddr("10.0.2.2"),
		Server: netip.MustParseAddr("10.0.2.3"), UUID: "B8945908-D6A6-41A9-611D-74A6AB80B83D",
		Sys: map[uint32]string{0x10: "SYSVENDOR=IBM   Corp ", 0x20000: "SYSFF=Rack"},
	}
	vf := f
	vf.VLAN = VLAN{Name: "enc8000.42", Parent: "enc8000", ID: 42}
	noGW := vf
	noGW.Gateway = netip.Addr{}
	noGW.VLAN = VLAN{Name: "eth0.7", Parent: "eth0", ID: 7}
	badVLAN := vf
	badVLAN.VLAN.Name = "eth0.42 init=/bin/sh"
	for _, tc := range []struct {
		mask uint32
		f    Facts
		want string
	}{
		{1, f, "ip=10.0.2.15:10.0.2.3:10.0.2.2:255.255.255.0"},
		{2, f, "BOOTIF=01-52-54-00-12-34-56"},
		{4, f, "SYSUUID=b8945908-d6a6-41a9-611d-74a6ab80b83d"},
		{7, f, "ip=10.0.2.15:10.0.2.3:10.0.2.2:255.255.255.0 BOOTIF=01-52-54-00-12-34-56 SYSUUID=b8945908-d6a6-41a9-611d-74a6ab80b83d"},
		{0x10, f, "SYSVENDOR=IBM_Corp"},
		{0x20008, f, "SYSFF=Rack"}, // CPU (8) unknown: nothing
		{1, Facts{}, "ip=0.0.0.0:0.0.0.0:0.0.0.0:0.0.0.0"},
		{6, Facts{}, ""},
		{1, Facts{IP: netip.MustParseAddr("2001:db8::50"), PrefixLen: 128, Gateway: netip.MustParseAddr("fe80::1%eth0"),
			Server: netip.MustParseAddr("2001:db8::1")}, "ip=[2001:db8::50]::[fe80::1]:128:::none"},
		{3, Facts{IP: netip.MustParseAddr("fec0::5054:ff:fe12:3456"), PrefixLen: 64, MAC: mac("52:54:00:12:34:56")},
			"ip=[fec0::5054:ff:fe12:3456]:::64:::none BOOTIF=01-52-54-00-12-34-56"},
		{0, f, ""},
		{1, vf, "ip=10.0.2.15::10.0.2.2:255.255.255.0::enc8000.42:none vlan=enc8000.42:enc8000"},
		{2, vf, "BOOTIF=01-52-54-00-12-34-56 vlan=enc8000.42:enc8000"},
		{7, vf, "ip=10.0.2.15::10.0.2.2:255.255.255.0::enc8000.42:none BOOTIF=01-52-54-00-12-34-56 vlan=enc8000.42:enc8000 " +
			"SYSUUID=b8945908-d6a6-41a9-611d-74a6ab80b83d"},
		{4, vf, "SYSUUID=b8945908-d6a6-41a9-611d-74a6ab80b83d"}, // neither ip= nor BOOTIF=: no vlan= either
		{0x10, vf, "SYSVENDOR=IBM_Corp"},
		{1, noGW, "ip=10.0.2.15:::255.255.255.0::eth0.7:none vlan=eth0.7:eth0"},
		{3, badVLAN, "ip=10.0.2.15:10.0.2.3:10.0.2.2:255.255.255.0 BOOTIF=01-52-54-00-12-34-56"}, // a name unsafe on a command line: left out
	} {
		if got := strings.Join(tc.f.SysAppend(tc.mask), " "); got != tc.want {
			t.Errorf("SysAppend(%#x) = %q, want %q", tc.mask, got, tc.want)
		}
	}
}
