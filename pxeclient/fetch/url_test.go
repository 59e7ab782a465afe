package fetch

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in     string
		server string
		name   string // TFTP file name, or the HTTP URL
		err    string
	}{
		{"tftp://10.0.0.1/pxelinux.cfg/default", "10.0.0.1:69", "pxelinux.cfg/default", ""},
		{"tftp://10.0.0.1:6969/a", "10.0.0.1:6969", "a", ""},
		{"TFTP://[fd00::1]/s390x/vmlinuz", "[fd00::1]:69", "s390x/vmlinuz", ""},
		{"tftp://boot//srv/tftp/x", "boot:69", "/srv/tftp/x", ""},
		{"tftp://boot/a%20b%3Fc%23d", "boot:69", "a b?c#d", ""},
		{"tftp://boot/initrd;mode=octet", "boot:69", "initrd", ""},
		{"tftp://boot/initrd%3Bmode=octet", "boot:69", "initrd;mode=octet", ""},
		{"http://10.0.0.1/boot/vmlinuz", "10.0.0.1:80", "http://10.0.0.1/boot/vmlinuz", ""},
		{"https://boot.example.com:8443/k?arch=s390x", "boot.example.com:8443", "https://boot.example.com:8443/k?arch=s390x", ""},
		{"tftp://boot/initrd;mode=netascii", "", "", "mode \"netascii\" is not supported"},
		{"tftp://boot/", "", "", "names no file"},
		{"tftp://boot/a%00b", "", "", "NUL byte"},
		{"tftp://boot/a?b", "", "", "no ?query"},
		{"tftp://boot/" + strings.Repeat("a", maxTFTPName+1), "", "", "a request holds at most 468"},
		{"ftp://boot/x", "", "", "scheme \"ftp\" is not supported"},
		{"pxelinux.cfg/default", "", "", "has no server"},
		{"http://user:pw@boot/x", "", "", "user names"},
		{"http://:80/x", "", "", "has no server"},
		{"http://boot/%zz", "", "", "invalid URL escape"},
	}
	for _, tt := range tests {
		loc, err := parseLocation(tt.in)
		if tt.err != "" {
			if !errors.Is(err, ErrBadURL) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseLocation(%q) = %v, want ErrBadURL saying %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseLocation(%q): %v", tt.in, err)
			continue
		}
		name := loc.name
		if loc.url != nil {
			name = loc.url.String()
		}
		if loc.server != tt.server || name != tt.name {
			t.Errorf("parseLocation(%q) = %s %q, want %s %q", tt.in, loc.server, name, tt.server, tt.name)
		}
	}
}

func TestTFTPURL(t *testing.T) {
	tests := []struct{ server, name, want string }{
		{"10.0.0.1", "pxelinux.cfg/default", "tftp://10.0.0.1/pxelinux.cfg/default"},
		{"10.0.0.1:6969", "a b", "tftp://10.0.0.1:6969/a%20b"},
		{"fd00::1", "x", "tftp://[fd00::1]/x"},
		{"[fd00::1]:69", "x", "tftp://[fd00::1]:69/x"},
		{"[fd00::1]", "x", "tftp://[fd00::1]/x"},
		{"fe80::1%eth0", "s390x/pxelinux.cfg/default", "tftp://[fe80::1%25eth0]/s390x/pxelinux.cfg/default"},
		{"[fe80::1%eth0]:69", "x", "tftp://[fe80::1%25eth0]:69/x"},
		{"boot", "/abs/k;mode=octet?#", "tftp://boot//abs/k%3Bmode=octet%3F%23"},
	}
	for _, tt := range tests {
		got := TFTPURL(tt.server, tt.name)
		if got != tt.want {
			t.Errorf("TFTPURL(%q, %q) = %q, want %q", tt.server, tt.name, got, tt.want)
		}
		loc, err := parseLocation(got)
		if err != nil || loc.name != tt.name {
			t.Errorf("parseLocation(%q) = %v, %v: want name %q back", got, loc, err, tt.name)
		} else if h, _, _ := net.SplitHostPort(loc.server); strings.Contains(tt.server, "%") && !strings.Contains(h, "%eth0") {
			t.Errorf("parseLocation(%q): server %q lost the zone", got, loc.server)
		}
	}
}

// FuzzParseLocation: no panics; a TFTP name that is accepted fits a
// request packet and has no NUL; an accepted local file is absolute.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"tftp://10.0.0.1/pxelinux.cfg/default", "https://b/x?y", "tftp://b/a;mode=octet", "tftp://[::1]:69/%41", "http://b/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := parseLocation(s)
		if testenv.Refused(t, err, ErrBadURL) {
			return
		}
		if loc.scheme == schemeTFTP && (loc.name == "" || len(loc.name) > maxTFTPName || strings.IndexByte(loc.name, 0) >= 0) {
			t.Fatalf("accepted TFTP name %q", loc.name)
		}
		if loc.scheme == schemeFile && (!strings.HasPrefix(loc.path, "/") || strings.IndexByte(loc.path, 0) >= 0) {
			t.Fatalf("accepted local file %q", loc.path)
		}
	})
}

// FuzzTFTPURL: any usable name survives TFTPURL and parseLocation.
func FuzzTFTPURL(f *testing.F) {
	for _, s := range []string{"pxelinux.cfg/default", "/abs", "a;mode=octet", "%41", "a b?c#d", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || len(name) > maxTFTPName || strings.IndexByte(name, 0) >= 0 {
			return
		}
		u := TFTPURL("10.0.0.1", name)
		loc, err := parseLocation(u)
		if err != nil {
			t.Fatalf("parseLocation(%q) for name %q: %v", u, name, err)
		}
		if loc.name != name || loc.server != "10.0.0.1:69" {
			t.Fatalf("%q came back as %q on %s", name, loc.name, loc.server)
		}
	})
}
