package dhcp

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

var testMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}

// ack builds a raw DHCPACK for 192.0.2.10 from server 192.0.2.1 with the
// given options (code → value) and modifiers.
func ack(t testing.TB, opts map[uint8]string, mods ...dhcpv4.Modifier) []byte {
	t.Helper()
	base := []dhcpv4.Modifier{
		dhcpv4.WithReply(&dhcpv4.DHCPv4{OpCode: dhcpv4.OpcodeBootRequest, ClientHWAddr: testMAC, HWType: 1}),
		dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.IPv4(192, 0, 2, 10)),
		dhcpv4.WithServerIP(net.IPv4zero),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(192, 0, 2, 1))),
	}
	for code, v := range opts {
		base = append(base, dhcpv4.WithGeneric(dhcpv4.GenericOptionCode(code), []byte(v)))
	}
	m, err := dhcpv4.New(append(base, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.ToBytes()
}

// subopts encodes option 43 sub-options.
func subopts(kv ...any) string {
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		v := kv[i+1].(string)
		b = append(b, byte(kv[i].(int)), byte(len(v)))
		b = append(b, v...)
	}
	return string(append(b, 255))
}

func be32(v uint32) string { return string(binary.BigEndian.AppendUint32(nil, v)) }

// overloaded builds an ACK whose file (and maybe sname) field carries
// options, as option 52 says.
func overloaded(t testing.TB, which byte, file, sname []byte, opts map[uint8]string) []byte {
	t.Helper()
	if opts == nil {
		opts = map[uint8]string{}
	}
	opts[52] = string([]byte{which})
	raw := ack(t, opts)
	copy(raw[fileOffset:fileOffset+fileLen], file)
	copy(raw[snameOffset:snameOffset+snameLen], sname)
	return raw
}

func TestDecode(t *testing.T) {
	addr := netip.MustParseAddr
	longName := strings.Repeat("a", 200)
	for _, tc := range []struct {
		name string
		raw  []byte
		// what to check; zero fields are checked too
		server     netip.Addr
		source     ServerSource
		serverName string
		bootFile   string
		configFile string
		pathPrefix string
		rebootTime int
		bits       int
		refused    []string // substrings, one per refused value, in order
		hostname   string
		domain     string
		bootInfo   bool
	}{
		{
			name: "full PXE answer",
			raw: ack(t, map[uint8]string{
				1: "\xff\xff\xff\x00", 3: "\xc0\x00\x02\x01", 6: "\xc0\x00\x02\x35\xc0\x00\x02\x36",
				12: "node7", 15: "lab.example", 66: "192.0.2.5", 67: "s390x/pxelinux.0\x00",
				209: "pxelinux.cfg/special", 210: "s390x/", 211: be32(30),
			}),
			server: addr("192.0.2.5"), source: ServerOption66, bits: 24, rebootTime: 30,
			bootFile: "s390x/pxelinux.0", configFile: "pxelinux.cfg/special", pathPrefix: "s390x/",
			hostname: "node7", domain: "lab.example", bootInfo: true,
		},
		{
			name:   "siaddr when option 66 is a host name",
			raw:    ack(t, map[uint8]string{1: "\xff\xff\x00\x00", 66: "tftp.lab.example"}, dhcpv4.WithServerIP(net.IPv4(192, 0, 2, 6))),
			server: addr("192.0.2.6"), source: ServerSiaddr, serverName: "tftp.lab.example", bits: 16, rebootTime: -1,
		},
		{
			name:   "option 54 when there is no 66 and no siaddr",
			raw:    ack(t, nil),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
		},
		{
			name:   "BOOTP file field",
			raw:    ack(t, nil, dhcpv4.WithServerIP(net.IPv4(192, 0, 2, 7)), func(d *dhcpv4.DHCPv4) { d.BootFileName = "boot/kernel" }),
			server: addr("192.0.2.7"), source: ServerSiaddr, bits: 24, rebootTime: -1,
			bootFile: "boot/kernel", bootInfo: true,
		},
		{
			name:   "option 67 wins over the file field",
			raw:    ack(t, map[uint8]string{67: "opt67"}, func(d *dhcpv4.DHCPv4) { d.BootFileName = "field" }),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			bootFile: "opt67", bootInfo: true,
		},
		{
			name:   "PXELINUX options in option 43",
			raw:    ack(t, map[uint8]string{43: subopts(208, "\xf1\x00\x74\x7e", 209, "cfg/x", 210, "tftp://h/p/", 211, be32(5))}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: 5,
			configFile: "cfg/x", pathPrefix: "tftp://h/p/", bootInfo: true,
		},
		{
			name:   "top-level 209 wins over option 43's",
			raw:    ack(t, map[uint8]string{43: subopts(209, "inner"), 209: "outer"}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			configFile: "outer", bootInfo: true,
		},
		{
			name:   "option 52 = 1: options in the file field",
			raw:    overloaded(t, 1, []byte("\x43\x09s390x/ipl\x00\xd1\x04a.cf\xff"), nil, nil),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			bootFile: "s390x/ipl", configFile: "a.cf", bootInfo: true,
		},
		{
			name:   "option 52 = 3: file then sname, concatenated (RFC 3396)",
			raw:    overloaded(t, 3, []byte("\xd2\x03ab/\xff"), []byte("\xd2\x02c/\x42\x09192.0.2.9\xff"), nil),
			server: addr("192.0.2.9"), source: ServerOption66, bits: 24, rebootTime: -1,
			pathPrefix: "ab/c/", bootInfo: true,
		},
		{
			name: "option 52 = 2: the file field is still a name",
			raw: func() []byte {
				r := overloaded(t, 2, nil, []byte("\xd1\x03x.c\xff"), nil)
				copy(r[fileOffset:], "pxelinux.0")
				return r
			}(),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			bootFile: "pxelinux.0", configFile: "x.c", bootInfo: true,
		},
		{
			name: "hostile names refused",
			raw: ack(t, map[uint8]string{
				67: "../../etc/shadow", 209: "pxelinux.cfg/a\x00b", 210: "x/ y",
				12: "evil host", 15: "ex.org\nnameserver 6.6.6.6", 66: "not a host!",
			}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			refused: []string{"option 12", "option 15", "option 66", "option 67", "option 209", "option 210"},
		},
		{
			name:   "dot-dot in the middle, overlong by concatenation",
			raw:    ack(t, map[uint8]string{67: "a/../b", 209: longName + "/" + longName}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			refused: []string{`option 67`, "option 209"},
		},
		{
			name:   "dots that are not dot-dot are fine",
			raw:    ack(t, map[uint8]string{67: "./a..b/.../c.0"}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			bootFile: "./a..b/.../c.0", bootInfo: true,
		},
		{
			name:   "bad netmask and router list fall back",
			raw:    ack(t, map[uint8]string{1: "\xff\x00\xff\x00", 3: "\x01\x02\x03", 211: "\x01"}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			refused: []string{"option 1", "option 3", "option 211"},
		},
		{
			name:   "malformed option 43 and overload area",
			raw:    overloaded(t, 1, []byte("\x43\x7f"), nil, map[uint8]string{43: "\xd1\x09short"}),
			server: addr("192.0.2.1"), source: ServerOption54, bits: 24, rebootTime: -1,
			refused: []string{"option 52", "option 43"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Decode(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			f := l.Facts
			if f.Server != tc.server || l.ServerSource != tc.source || l.ServerName != tc.serverName {
				t.Errorf("server %v from %v (name %q), want %v from %v (name %q)", f.Server, l.ServerSource, l.ServerName, tc.server, tc.source, tc.serverName)
			}
			if f.BootFile != tc.bootFile || f.ConfigFile != tc.configFile || f.PathPrefix != tc.pathPrefix || f.RebootTime != tc.rebootTime {
				t.Errorf("boot file %q, config %q, prefix %q, reboot %d; want %q, %q, %q, %d",
					f.BootFile, f.ConfigFile, f.PathPrefix, f.RebootTime, tc.bootFile, tc.configFile, tc.pathPrefix, tc.rebootTime)
			}
			if f.IP != netip.MustParseAddr("192.0.2.10") || l.Net.Address.Bits() != tc.bits || l.Net.Address.Addr() != f.IP {
				t.Errorf("address %v (facts %v netmask %v), want 192.0.2.10/%d", l.Net.Address, f.IP, f.Netmask, tc.bits)
			}
			if l.Net.Hostname != tc.hostname || l.Net.Domain != tc.domain {
				t.Errorf("host %q domain %q, want %q %q", l.Net.Hostname, l.Net.Domain, tc.hostname, tc.domain)
			}
			if l.HasBootInfo() != tc.bootInfo {
				t.Errorf("HasBootInfo() = %v, want %v", l.HasBootInfo(), tc.bootInfo)
			}
			if len(l.Refused) != len(tc.refused) {
				t.Fatalf("refused %q, want %d entries %q", l.Refused, len(tc.refused), tc.refused)
			}
			for i, r := range tc.refused {
				if !strings.HasPrefix(l.Refused[i], r) {
					t.Errorf("refused[%d] = %q, want it to start with %q", i, l.Refused[i], r)
				}
			}
			if err := l.Net.Validate(); err != nil {
				t.Errorf("decoded network configuration does not validate: %v", err)
			}
		})
	}
}

func TestDecodeFullFacts(t *testing.T) {
	l, err := Decode(ack(t, map[uint8]string{1: "\xff\xff\xff\x00", 3: "\xc0\x00\x02\x01\xc0\x00\x02\x02", 6: "\xc0\x00\x02\x35"}))
	if err != nil {
		t.Fatal(err)
	}
	if l.Facts.Netmask.String() != "255.255.255.0" || l.Facts.Gateway.String() != "192.0.2.1" || l.Net.Gateway != l.Facts.Gateway ||
		len(l.Net.DNS) != 1 || l.Net.DNS[0].String() != "192.0.2.53" || l.ServerID.String() != "192.0.2.1" || l.Facts.HWType != 1 {
		t.Errorf("lease = %+v", l)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := ack(t, nil)
	req := append([]byte(nil), good...)
	req[0] = 1 // BOOTREQUEST
	noAddr := ack(t, nil, dhcpv4.WithYourIP(net.IPv4zero))
	bcast := ack(t, nil, dhcpv4.WithYourIP(net.IPv4bcast))
	for name, raw := range map[string][]byte{
		"empty":       nil,
		"truncated":   good[:100],
		"bad cookie":  append(append([]byte(nil), good[:236]...), 1, 2, 3, 4, 255),
		"BOOTREQUEST": req,
		"no yiaddr":   noAddr,
		"broadcast":   bcast,
	} {
		if _, err := Decode(raw); !errors.Is(err, ErrBadLease) {
			t.Errorf("%s: Decode = %v, want ErrBadLease", name, err)
		}
	}
}

// FuzzDecode checks Decode against hostile packets: no panics, and
// whatever it returns keeps the promises of the package's Security
// section.
func FuzzDecode(f *testing.F) {
	f.Add(ack(f, map[uint8]string{67: "s390x/pxelinux.0", 209: "a", 210: "b/", 43: subopts(209, "c")}))
	f.Add(overloaded(f, 3, []byte("\x43\x03a/b\xff"), []byte("\xd1\x01x\xff"), nil))
	f.Add(ack(f, map[uint8]string{67: "../x", 66: "h.example", 12: "x y"}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		l, err := Decode(raw)
		if testenv.Refused(t, err, ErrBadLease) {
			return
		}
		for _, s := range []string{l.Facts.BootFile, l.Facts.ConfigFile, l.Facts.PathPrefix} {
			if err := checkName(s); err != nil {
				t.Fatalf("decoded name %q: %v", s, err)
			}
		}
		if err := l.Net.Validate(); err != nil {
			t.Fatalf("decoded configuration %+v: %v", l.Net, err)
		}
		if l.ServerName != "" && strings.ContainsAny(l.ServerName, " \n\x00/") {
			t.Fatalf("server name %q", l.ServerName)
		}
	})
}
