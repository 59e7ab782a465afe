// Package netconf configures IPv4 and IPv6 networking for the netboot
// client: it lists and raises links, waits for carrier, assigns an
// address (for IPv6: waits for duplicate address detection, reads what
// router advertisements said), installs a default route and writes
// /etc/resolv.conf. It talks rtnetlink
// (NETLINK_ROUTE) directly through golang.org/x/sys/unix, without a netlink
// library, and runs only on Linux (other systems get ErrUnsupported).
//
// Usage, with a configuration from DHCP or from the kernel command line:
//
//	cfg, err := netconf.ParseStatic("192.0.2.10/24,192.0.2.1,192.0.2.53")
//	if err != nil {
//		return err
//	}
//	if err := netconf.Apply(ctx, log, "eth0", cfg, netconf.ApplyOptions{
//		CarrierTimeout: 10 * time.Second,
//	}); err != nil {
//		return err
//	}
//
// # Security
//
// ParseStatic and Config.Validate accept only IPv4 and IPv6 addresses
// (no zones but on link-local name servers), host names
// and domains made of letters, digits, '-' (and '_' in domains) in labels
// of 1 to 63 bytes, so nothing written to resolv.conf or passed to
// sethostname can carry spaces, newlines, NUL bytes or extra directives.
// Netlink answers are bounds-checked before use; a malformed answer is an
// error, never a panic.
package netconf

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
)

var (
	// ErrNoSuchLink is returned when no link has the given name.
	ErrNoSuchLink = errors.New("no such network link")
	// ErrNoCarrier is returned by WaitCarrier when the link did not
	// report carrier in time.
	ErrNoCarrier = errors.New("no carrier")
	// ErrNotIPv4 is returned for addresses that are not IPv4.
	ErrNotIPv4 = errors.New("not an IPv4 address")
	// ErrBadConfig wraps every reason Config.Validate and ParseStatic
	// refuse a configuration for.
	ErrBadConfig = errors.New("invalid network configuration")
	// ErrDAD is returned when duplicate address detection found an IPv6
	// address in use by another node.
	ErrDAD = errors.New("IPv6 duplicate address detection failed")
	// ErrUnsupported is returned on systems other than Linux.
	ErrUnsupported = errors.New("network configuration needs Linux rtnetlink")
)

const (
	// DefaultResolvConf is where Apply writes the resolver configuration
	// unless ApplyOptions.ResolvConf says otherwise.
	DefaultResolvConf = "/etc/resolv.conf"
	// MaxNameservers is MAXNS from glibc's and musl's resolv.h: resolvers
	// read only the first three nameserver lines, so Apply writes at
	// most three.
	MaxNameservers = 3
	// maxHostname is HOST_NAME_MAX (include/uapi/linux/utsname.h
	// __NEW_UTS_LEN = 64).
	maxHostname = 64
	// maxDomain is the longest DNS name in text form (RFC 1035 2.3.4:
	// 255 octets on the wire, 253 characters written out).
	maxDomain = 253
	// maxLabel is the longest DNS label (RFC 1035 2.3.4).
	maxLabel = 63
)

// Link is one network link as rtnetlink reports it.
type Link struct {
	Index int
	Name  string
	// Type is the ARP hardware type (ARPHRD_ETHER = 1, loopback 772).
	Type uint16
	// Kind is the IFLA_INFO_KIND of a software link ("veth", "bridge",
	// "dummy", ...); "" for links backed by a device driver.
	Kind string
	// MAC is the hardware address (nil for links without one).
	MAC net.HardwareAddr
	MTU int
	// Flags are the IFF_* flags (IFF_UP = 1, IFF_LOWER_UP = 1<<16).
	Flags uint32
}

// Flag bits from include/uapi/linux/if.h, repeated here so the portable
// part of the package builds everywhere.
const (
	iffUp      = 0x1
	iffLowerUp = 0x10000
)

// Up reports whether the link is administratively up (IFF_UP).
func (l Link) Up() bool { return l.Flags&iffUp != 0 }

// Carrier reports whether the driver sees a carrier (IFF_LOWER_UP).
func (l Link) Carrier() bool { return l.Flags&iffLowerUp != 0 }

// Config is one IPv4 configuration for a link.
type Config struct {
	// Address is the client address with its prefix length.
	Address netip.Prefix
	// Gateway is the default router; invalid for none.
	Gateway netip.Addr
	// DNS are the name servers, in order of preference.
	DNS []netip.Addr
	// Domain is the DNS domain (DHCP option 15); "" for none.
	Domain string
	// Search is the DNS search list; when empty and Domain is set, the
	// resolver searches Domain.
	Search []string
	// Hostname is the host name (DHCP option 12); "" for none.
	Hostname string
}

// ApplyOptions tune Apply. The zero value is usable.
type ApplyOptions struct {
	// CarrierTimeout, when positive, makes Apply wait that long for
	// carrier after setting the link up.
	CarrierTimeout time.Duration
	// ResolvConf is the file to write; default DefaultResolvConf.
	ResolvConf string
	// SetHostname lets Apply call sethostname with Config.Hostname.
	SetHostname bool
}

// Validate checks that c can be applied safely: an IPv4 address with a
// prefix length of 1 to 32, or an IPv6 address with a prefix length of 1
// to 128, that is not the network, a multicast or a link-local address;
// a gateway of the same family if any (IPv6 gateways may be link-local);
// IPv4 or IPv6 name servers; and host name, domain and search entries in
// the character set described in the package documentation. Errors wrap
// ErrBadConfig.
func (c Config) Validate() error {
	a := c.Address.Addr()
	if !c.Address.IsValid() || !a.Is4() && !a.Is6() || a.Is4In6() {
		return fmt.Errorf("%w: address %v: %w", ErrBadConfig, c.Address, ErrNotIPv4)
	}
	if c.Address.Bits() == 0 || a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.Zone() != "" ||
		a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return fmt.Errorf("%w: address %v is not a usable host address", ErrBadConfig, c.Address)
	}
	if g := c.Gateway; g.IsValid() && (g.Is4() != a.Is4() || g.IsUnspecified() || g.IsMulticast()) {
		return fmt.Errorf("%w: gateway %v is not a usable address for %v", ErrBadConfig, c.Gateway, c.Address)
	}
	for _, d := range c.DNS {
		if !usableDNS(d) {
			return fmt.Errorf("%w: name server %v is not a usable IP address", ErrBadConfig, d)
		}
	}
	if c.Domain != "" && !ValidDomain(c.Domain) {
		return fmt.Errorf("%w: domain %q", ErrBadConfig, c.Domain)
	}
	for _, s := range c.Search {
		if !ValidDomain(s) {
			return fmt.Errorf("%w: search domain %q", ErrBadConfig, s)
		}
	}
	if c.Hostname != "" && !ValidHostname(c.Hostname) {
		return fmt.Errorf("%w: host name %q", ErrBadConfig, c.Hostname)
	}
	return nil
}

// ValidDomain reports whether s is a DNS name this package writes to
// resolv.conf: at most 253 bytes, dot-separated labels of 1 to 63 letters,
// digits, '-' or '_', not starting or ending with '-'; one trailing dot is
// allowed.
func ValidDomain(s string) bool { return validName(strings.TrimSuffix(s, "."), maxDomain, true) }

// ValidHostname reports whether s is a host name for sethostname: at most
// 64 bytes of dot-separated labels of letters, digits and '-' (RFC 1123
// 2.1), not starting or ending with '-'.
func ValidHostname(s string) bool { return validName(s, maxHostname, false) }

func validName(s string, maxLen int, underscore bool) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > maxLabel || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || underscore && c == '_'
			if !ok {
				return false
			}
		}
	}
	return true
}

// usableDNS reports whether d may be a nameserver line: IPv4, or IPv6
// (with a zone only when link-local, which resolv.conf allows).
func usableDNS(d netip.Addr) bool {
	if !d.IsValid() || d.IsUnspecified() || d.IsMulticast() || d.Is4In6() {
		return false
	}
	return d.Zone() == "" || d.IsLinkLocalUnicast() && ValidHostname(d.Zone())
}

// Broadcast returns the broadcast address of the IPv4 subnet p.
func Broadcast(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= ^uint32(0) >> p.Bits()
	if p.Bits() == 0 {
		v = ^uint32(0)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// ParseStatic parses a static configuration in the form
//
//	ADDR/PREFIX[,GATEWAY[,DNS[,DNS...]]]
//
// for example "192.0.2.10/24,192.0.2.1,192.0.2.53" or
// "2001:db8::10/64,fe80::1,2001:db8::53". GATEWAY may be empty
// ("192.0.2.10/24,,192.0.2.53") for a network without a router. Errors
// name the field and wrap ErrBadConfig.
func ParseStatic(s string) (Config, error) {
	c, err := parseStatic(s)
	if err != nil {
		return Config{}, fmt.Errorf("static configuration %q: %w", s, err)
	}
	return c, nil
}

func parseStatic(s string) (Config, error) {
	fields := strings.Split(s, ",")
	var c Config
	p, err := netip.ParsePrefix(strings.TrimSpace(fields[0]))
	if err != nil {
		return Config{}, fmt.Errorf("%w: address %q: want ADDR/PREFIX: %w", ErrBadConfig, fields[0], err)
	}
	c.Address = p
	if len(fields) > 1 && strings.TrimSpace(fields[1]) != "" {
		gw, err := netip.ParseAddr(strings.TrimSpace(fields[1]))
		if err != nil {
			return Config{}, fmt.Errorf("%w: gateway %q: %w", ErrBadConfig, fields[1], err)
		}
		c.Gateway = gw
	}
	for _, f := range fields[min(2, len(fields)):] {
		d, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return Config{}, fmt.Errorf("%w: name server %q: %w", ErrBadConfig, f, err)
		}
		c.DNS = append(c.DNS, d)
	}
	return c, c.Validate()
}

// ResolvConf renders the resolv.conf(5) text for c: up to MaxNameservers
// nameserver lines, then "search" with c.Search, or with c.Domain when the
// search list is empty. It returns an error wrapping ErrBadConfig for
// values Validate refuses.
func ResolvConf(c Config) ([]byte, error) {
	for _, d := range c.DNS {
		if !usableDNS(d) {
			return nil, fmt.Errorf("%w: name server %v is not a usable IP address", ErrBadConfig, d)
		}
	}
	search := c.Search
	if len(search) == 0 && c.Domain != "" {
		search = []string{c.Domain}
	}
	for _, s := range search {
		if !ValidDomain(s) {
			return nil, fmt.Errorf("%w: search domain %q", ErrBadConfig, s)
		}
	}
	var b strings.Builder
	b.WriteString("# written by s390netboot netconf\n")
	for i, d := range c.DNS {
		if i == MaxNameservers {
			break
		}
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	return []byte(b.String()), nil
}

// WriteResolvConf writes ResolvConf(c) to path atomically: into a
// temporary file in the same directory (created if missing, mode 0755),
// then renamed over path, so readers never see half a file.
func WriteResolvConf(path string, c Config) error {
	data, err := ResolvConf(c)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data, 0o644)
}
