package netconf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestParseStatic(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Config
		wantErr bool
	}{
		{in: "192.0.2.10/24", want: Config{Address: netip.MustParsePrefix("192.0.2.10/24")}},
		{in: "192.0.2.10/24,192.0.2.1", want: Config{Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1")}},
		{in: "192.0.2.10/24,,192.0.2.53", want: Config{Address: netip.MustParsePrefix("192.0.2.10/24"), DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}}},
		{in: "10.0.0.2/8, 10.0.0.1 ,1.1.1.1,8.8.8.8", want: Config{
			Address: netip.MustParsePrefix("10.0.0.2/8"), Gateway: netip.MustParseAddr("10.0.0.1"),
			DNS: []netip.Addr{netip.MustParseAddr("1.1.1.1"), netip.MustParseAddr("8.8.8.8")},
		}},
		{in: "", wantErr: true},
		{in: "192.0.2.10", wantErr: true},
		{in: "192.0.2.10/33", wantErr: true},
		{in: "192.0.2.10/0", wantErr: true},
		{in: "224.0.0.1/4", wantErr: true},
		{in: "2001:db8::1/64", want: Config{Address: netip.MustParsePrefix("2001:db8::1/64")}},
		{in: "2001:db8::10/64,fe80::1,2001:db8::53", want: Config{
			Address: netip.MustParsePrefix("2001:db8::10/64"), Gateway: netip.MustParseAddr("fe80::1"),
			DNS: []netip.Addr{netip.MustParseAddr("2001:db8::53")},
		}},
		{in: "192.0.2.10/24,192.0.2.1,2001:db8::53", want: Config{
			Address: netip.MustParsePrefix("192.0.2.10/24"), Gateway: netip.MustParseAddr("192.0.2.1"),
			DNS: []netip.Addr{netip.MustParseAddr("2001:db8::53")},
		}},
		{in: "2001:db8::1/129", wantErr: true},
		{in: "fe80::5/64", wantErr: true},
		{in: "ff02::1/64", wantErr: true},
		{in: "::ffff:192.0.2.1/120", wantErr: true},
		{in: "2001:db8::1/64,192.0.2.1", wantErr: true},
		{in: "192.0.2.10/24,2001:db8::1", wantErr: true},
		{in: "2001:db8::1/64,,ff02::1", wantErr: true},
		{in: "192.0.2.10/24,gateway", wantErr: true},
		{in: "192.0.2.10/24,192.0.2.1,", wantErr: true},
		{in: "192.0.2.10/24,0.0.0.0", wantErr: true},
	} {
		got, err := ParseStatic(tc.in)
		if tc.wantErr {
			if !errors.Is(err, ErrBadConfig) {
				t.Errorf("ParseStatic(%q) = %+v, %v; want ErrBadConfig", tc.in, got, err)
			} else if !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.in)) {
				t.Errorf("ParseStatic(%q) error %q does not name the input", tc.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseStatic(%q): %v", tc.in, err)
			continue
		}
		if got.Address != tc.want.Address || got.Gateway != tc.want.Gateway || !slices.Equal(got.DNS, tc.want.DNS) {
			t.Errorf("ParseStatic(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestValidNames(t *testing.T) {
	for _, tc := range []struct {
		s            string
		domain, host bool
	}{
		{"example.org", true, true},
		{"example.org.", true, false},
		{"node-7", true, true},
		{"_srv.example.org", true, false},
		{"a" + strings.Repeat(".b", 40), true, false}, // 81 bytes: too long for a host name
		{strings.Repeat("a", 63), true, true},
		{strings.Repeat("a", 64), false, false},
		{"", false, false},
		{"-lead.example", false, false},
		{"trail-.example", false, false},
		{"a..b", false, false},
		{"evil\nnameserver 1.2.3.4", false, false},
		{"sp ace", false, false},
		{"nul\x00", false, false},
		{"ünïcode", false, false},
		{"../etc", false, false},
	} {
		if got := ValidDomain(tc.s); got != tc.domain {
			t.Errorf("ValidDomain(%q) = %v, want %v", tc.s, got, tc.domain)
		}
		if got := ValidHostname(tc.s); got != tc.host {
			t.Errorf("ValidHostname(%q) = %v, want %v", tc.s, got, tc.host)
		}
	}
}

func TestResolvConf(t *testing.T) {
	dns := func(s ...string) (out []netip.Addr) {
		for _, a := range s {
			out = append(out, netip.MustParseAddr(a))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"four servers, three written", Config{DNS: dns("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")},
			"nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n"},
		{"domain becomes search", Config{DNS: dns("10.0.0.1"), Domain: "lab.example"},
			"nameserver 10.0.0.1\nsearch lab.example\n"},
		{"IPv6 and a link-local server with its zone", Config{DNS: dns("2001:db8::53", "fe80::53%eth0")},
			"nameserver 2001:db8::53\nnameserver fe80::53%eth0\n"},
		{"search list wins", Config{Domain: "lab.example", Search: []string{"a.example", "b.example"}},
			"search a.example b.example\n"},
	} {
		got, err := ResolvConf(tc.cfg)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if want := "# written by s390netboot netconf\n" + tc.want; string(got) != want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, want)
		}
	}
	if _, err := ResolvConf(Config{Search: []string{"x\nnameserver 1.2.3.4"}}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("ResolvConf(search with newline) = %v, want ErrBadConfig", err)
	}
}

func TestBroadcast(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.10/24": "192.0.2.255",
		"10.1.2.3/8":    "10.255.255.255",
		"10.1.2.3/32":   "10.1.2.3",
		"10.1.2.3/0":    "255.255.255.255",
		"172.16.5.4/20": "172.16.15.255",
	} {
		if got := Broadcast(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("Broadcast(%s) = %v, want %s", in, got, want)
		}
	}
}

// FuzzParseStatic checks that whatever ParseStatic accepts validates and
// renders into resolv.conf lines that carry nothing but what was parsed.
func FuzzParseStatic(f *testing.F) {
	for _, s := range []string{"192.0.2.10/24,192.0.2.1,192.0.2.53", "10.0.0.2/8,,1.1.1.1", "1.2.3.4/32", ",,,", "1.2.3.4/24,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseStatic(s)
		if testenv.Refused(t, err, ErrBadConfig) {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseStatic(%q) accepted %+v that Validate refuses: %v", s, c, err)
		}
		out, err := ResolvConf(c)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(out), "\n"); n != 1+min(len(c.DNS), MaxNameservers) {
			t.Fatalf("ResolvConf(%+v) has %d lines:\n%s", c, n, out)
		}
	})
}

// TestWriteResolvConf replaces the file whole, and a refused config
// leaves the old one and no temporary file.
func TestWriteResolvConf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc")
	path := filepath.Join(dir, "resolv.conf")
	good := Config{DNS: []netip.Addr{netip.MustParseAddr("192.0.2.53")}, Domain: "example.org"}
	if err := WriteResolvConf(path, good); err != nil {
		t.Fatal(err)
	}
	want := "# written by s390netboot netconf\nnameserver 192.0.2.53\nsearch example.org\n"
	bad := Config{Search: []string{"bad domain"}}
	if err := WriteResolvConf(path, bad); !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteResolvConf(bad search) = %v, want ErrBadConfig naming %s", err, path)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != want {
		t.Errorf("%s = %q, %v; want %q", path, b, err, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode of %s: %v, %v; want 0644", path, fi, err)
	}
	if es, err := os.ReadDir(dir); err != nil || len(es) != 1 {
		t.Errorf("%s holds %v, %v; want resolv.conf alone", dir, es, err)
	}
}
