package dhcp

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"
	"github.com/insomniacslk/dhcp/rfc1035label"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// reply6 builds a raw DHCPv6 Reply with the given options.
func reply6(t testing.TB, typ dhcpv6.MessageType, opts ...dhcpv6.Option) []byte {
	t.Helper()
	m, err := dhcpv6.NewMessage()
	if err != nil {
		t.Fatal(err)
	}
	m.MessageType = typ
	m.TransactionID = dhcpv6.TransactionID{1, 2, 3} // reproducible seeds
	m.AddOption(dhcpv6.OptServerID(DUID(net.HardwareAddr{2, 0, 0, 0, 0, 1})))
	for _, o := range opts {
		m.AddOption(o)
	}
	return m.ToBytes()
}

func iaNA(addr string, status ...dhcpv6.Option) dhcpv6.Option {
	ia := &dhcpv6.OptIANA{IaId: [4]byte{1, 2, 3, 4}}
	if addr != "" {
		ia.Options.Add(&dhcpv6.OptIAAddress{IPv6Addr: net.ParseIP(addr), PreferredLifetime: time.Hour, ValidLifetime: time.Hour})
	}
	for _, s := range status {
		ia.Options.Add(s)
	}
	return ia
}

func TestDecode6(t *testing.T) {
	dns := dhcpv6.OptDNS(net.ParseIP("2001:db8::53"), net.ParseIP("fe80::53"), net.ParseIP("ff02::1"))
	search := dhcpv6.OptDomainSearchList(&rfc1035label.Labels{Labels: []string{"lab.example", "bad_label-.example"}})
	for _, tc := range []struct {
		name     string
		raw      []byte
		ip       string
		boot     string
		server   string
		params   []string
		mode     Mode6
		refused  []string
		wantErr  error
		wantText string
	}{
		{name: "stateful with TFTP URL", raw: reply6(t, dhcpv6.MessageTypeReply, iaNA("2001:db8::50"),
			dhcpv6.OptBootFileURL("tftp://[2001:db8::1]/s390x/pxelinux.0"), dhcpv6.OptBootFileParam("a=1", "b"), dns, search),
			ip: "2001:db8::50", boot: "tftp://[2001:db8::1]/s390x/pxelinux.0", server: "2001:db8::1", params: []string{"a=1", "b"},
			mode: Mode6Stateful, refused: []string{"option 23: DNS server fe80::53", "option 23: DNS server ff02::1", `option 24: domain "bad_label-.example"`}},
		{name: "stateless with HTTP URL by name", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("http://boot.example:8080/s390x/pxelinux.0")),
			boot: "http://boot.example:8080/s390x/pxelinux.0", mode: Mode6Stateless},
		{name: "dot-dot", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("tftp://[2001:db8::1]/s390x/../../etc/shadow")),
			mode: Mode6Stateless, refused: []string{`option 59 (boot file URL) "tftp://[2001:db8::1]/s390x/../../etc/shadow": ".." path element`}},
		{name: "encoded dot-dot", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("http://h/a/%2e%2E/b")),
			mode: Mode6Stateless, refused: []string{`(percent-encoded)`}},
		{name: "huge", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("tftp://h/"+strings.Repeat("a", 4000))),
			mode: Mode6Stateless, refused: []string{"4009 bytes, longer than 255"}},
		{name: "not UTF-8", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("tftp://h/\xff\xfe"), dhcpv6.OptBootFileParam("x\ny")),
			mode: Mode6Stateless, refused: []string{`"tftp://h/??": byte 0xff at offset 9`, "option 60: parameter"}},
		{name: "other scheme", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("file:///etc/shadow")),
			mode: Mode6Stateless, refused: []string{`scheme "file" is not tftp, http or https`}},
		{name: "QEMU without bootfile=", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("tftp://[fec0::2]/(null)")),
			mode: Mode6Stateless, refused: []string{"QEMU's user network names no boot file"}},
		{name: "user name", raw: reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("http://u@h/x")),
			mode: Mode6Stateless, refused: []string{"not scheme://host/path"}},
		{name: "no address available", raw: reply6(t, dhcpv6.MessageTypeReply, iaNA("", &dhcpv6.OptStatusCode{StatusCode: iana.StatusNoAddrsAvail, StatusMessage: "pool\nempty"})),
			wantErr: ErrBadLease, wantText: `NoAddrsAvail: "pool?empty"`},
		{name: "top-level failure", raw: reply6(t, dhcpv6.MessageTypeReply, &dhcpv6.OptStatusCode{StatusCode: iana.StatusUnspecFail}),
			wantErr: ErrBadLease, wantText: "UnspecFail"},
		{name: "link-local IA_NA", raw: reply6(t, dhcpv6.MessageTypeReply, iaNA("fe80::9")), wantErr: ErrBadLease, wantText: "fe80::9"},
		{name: "solicit", raw: reply6(t, dhcpv6.MessageTypeSolicit), wantErr: ErrBadLease, wantText: "want REPLY"},
		{name: "truncated", raw: []byte{7, 1, 2}, wantErr: ErrBadLease, wantText: "3-byte"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Decode6(tc.raw)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantText) {
					t.Fatalf("Decode6 = %v, want %v containing %q", err, tc.wantErr, tc.wantText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := l.Facts
			if ip := f.IP.String(); tc.ip != "" && ip != tc.ip || tc.ip == "" && f.IP.IsValid() {
				t.Errorf("IP %v, want %q", f.IP, tc.ip)
			}
			if f.BootFile != tc.boot || l.HasBootInfo() != (tc.boot != "") || l.Mode != tc.mode {
				t.Errorf("boot file %q (boot info %v), mode %v; want %q, %v", f.BootFile, l.HasBootInfo(), l.Mode, tc.boot, tc.mode)
			}
			if s := f.Server.String(); tc.server != "" && s != tc.server || tc.server == "" && f.Server.IsValid() {
				t.Errorf("server %v, want %q", f.Server, tc.server)
			}
			if strings.Join(l.BootParams, " ") != strings.Join(tc.params, " ") {
				t.Errorf("params %q, want %q", l.BootParams, tc.params)
			}
			if len(l.Refused) != len(tc.refused) {
				t.Fatalf("refused %q, want %d like %q", l.Refused, len(tc.refused), tc.refused)
			}
			for i, r := range tc.refused {
				if !strings.Contains(l.Refused[i], r) {
					t.Errorf("refused[%d] = %q, want it to contain %q", i, l.Refused[i], r)
				}
			}
			if l.Net.Address.IsValid() || len(l.Net.DNS) > 0 {
				if err := l.Net.Validate(); err != nil && l.Net.Address.IsValid() {
					t.Errorf("network configuration %+v: %v", l.Net, err)
				}
			}
		})
	}
}

func TestWithZone(t *testing.T) {
	for _, tc := range []struct{ url, iface, want, server string }{
		{"tftp://[fe80::1]/s390x/pxelinux.0", "eth0", "tftp://[fe80::1%25eth0]/s390x/pxelinux.0", "fe80::1%eth0"},
		{"http://[fe80::1]:8080/x", "enc1", "http://[fe80::1%25enc1]:8080/x", "fe80::1%enc1"},
		{"tftp://[2001:db8::1]/x", "eth0", "tftp://[2001:db8::1]/x", "2001:db8::1"},
	} {
		l, err := Decode6(reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL(tc.url)))
		if err != nil {
			t.Fatal(err)
		}
		l.withZone(tc.iface)
		if l.Facts.BootFile != tc.want || l.Facts.Server.String() != tc.server {
			t.Errorf("withZone(%q, %s) = %q, server %v; want %q, %s", tc.url, tc.iface, l.Facts.BootFile, l.Facts.Server, tc.want, tc.server)
		}
	}
}

// seeds6 are FuzzDecode6's seed corpus (TestSeedCorpus6 writes them).
func seeds6(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"stateful": reply6(t, dhcpv6.MessageTypeReply, iaNA("2001:db8::50"), dhcpv6.OptBootFileURL("tftp://[2001:db8::1]/s390x/pxelinux.0"),
			dhcpv6.OptBootFileParam("a=1"), dhcpv6.OptDNS(net.ParseIP("2001:db8::53")),
			dhcpv6.OptDomainSearchList(&rfc1035label.Labels{Labels: []string{"lab.example"}})),
		"hostile": reply6(t, dhcpv6.MessageTypeReply, dhcpv6.OptBootFileURL("http://[fe80::1]/%2e%2e/\xff"), dhcpv6.OptBootFileParam("\x00")),
		"status":  reply6(t, dhcpv6.MessageTypeAdvertise, iaNA("", &dhcpv6.OptStatusCode{StatusCode: iana.StatusNoAddrsAvail})),
	}
}

// TestSeedCorpus6 keeps testdata/fuzz/FuzzDecode6 in step with seeds6:
// go test -run TestSeedCorpus6 -update.
func TestSeedCorpus6(t *testing.T) { testenv.FuzzSeeds(t, "FuzzDecode6", seeds6(t)) }

// FuzzDecode6: no panics; whatever is accepted passes the checks again.
func FuzzDecode6(f *testing.F) {
	for _, s := range seeds6(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		l, err := Decode6(raw)
		if testenv.Refused(t, err, ErrBadLease) {
			return
		}
		if b := l.Facts.BootFile; b != "" {
			if err := checkBootURL(b); err != nil {
				t.Fatalf("decoded boot file URL %q: %v", b, err)
			}
		}
		for _, p := range l.BootParams {
			if err := checkParam(p); err != nil {
				t.Fatalf("decoded parameter %q: %v", p, err)
			}
		}
		if l.Net.Address.IsValid() {
			if err := l.Net.Validate(); err != nil {
				t.Fatalf("decoded configuration %+v: %v", l.Net, err)
			}
		}
	})
}
