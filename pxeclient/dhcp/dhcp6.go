package dhcp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/s390netboot/s390netboot/internal/netconf"
)

// Mode6 says how Run6 gets its IPv6 configuration.
type Mode6 int

const (
	// Mode6Auto follows the router advertisement (see the IPv6 section).
	Mode6Auto Mode6 = iota
	// Mode6Stateful asks for an address (IA_NA) without waiting for a
	// router advertisement.
	Mode6Stateful
	// Mode6Stateless sends Information-Request without waiting for a
	// router advertisement.
	Mode6Stateless
	// Mode6SLAAC is what an advertisement without M and O flags gives:
	// the kernel's address, and DHCPv6 only when one Information-Request
	// is answered.
	Mode6SLAAC
)

func (m Mode6) String() string {
	switch m {
	case Mode6Stateful:
		return "stateful DHCPv6"
	case Mode6Stateless:
		return "stateless DHCPv6"
	case Mode6SLAAC:
		return "SLAAC only"
	}
	return "auto"
}

// DHCPv6 defaults and protocol constants.
const (
	// DefaultRAWait bounds the wait for a router advertisement. The
	// kernel solicits one as the link-local address becomes usable and
	// retransmits after 4 s (rtr_solicit_interval); 5 s cover the first
	// retransmission.
	DefaultRAWait = 5 * time.Second
	// pxeEnterprise is the enterprise number of option 16's "PXEClient"
	// vendor class: 343 (Intel), as UEFI PXE clients send it.
	pxeEnterprise = 343
	// maxParam is the longest boot file parameter accepted (option 60).
	maxParam = 255
)

// RequestedOptions6 are the options the client asks for (option 6, ORO).
var RequestedOptions6 = []dhcpv6.OptionCode{
	dhcpv6.OptionBootfileURL,            // 59
	dhcpv6.OptionBootfileParam,          // 60
	dhcpv6.OptionDNSRecursiveNameServer, // 23
	dhcpv6.OptionDomainSearchList,       // 24
}

// ErrNoIPv6Boot is what Run6 logs when a router advertisement says
// DHCPv6 is not used (no M and no O flag) and an Information-Request got
// no answer: there is no boot file URL.
var ErrNoIPv6Boot = errors.New("the router advertisement has neither the managed (M) nor the other-configuration (O) flag, and no DHCPv6 server answered: no boot file URL")

// Lease6 is a decoded DHCPv6 Reply (or a SLAAC-only configuration).
type Lease6 struct {
	// Interface is the link the lease was got on (set by Run6).
	Interface string
	// Facts: IP is the IA_NA address (stateful) or the kernel's SLAAC
	// address; Netmask is invalid; Server is the host of the boot file
	// URL when it is an IP literal; BootFile is the boot file URL.
	Facts Facts
	// Mode is how the lease was got.
	Mode Mode6
	// RA is what the router advertisement said (Received false: none).
	RA netconf.RA
	// ServerID is the DHCPv6 server's DUID in hex.
	ServerID string
	// Net is the network configuration for netconf.Apply: the IA_NA
	// address as a /128 (the on-link prefix comes from the router
	// advertisement, RFC 5942), or no address when the kernel's SLAAC
	// address is used; DNS and the search list.
	Net netconf.Config
	// BootParams are option 60's parameters.
	BootParams []string
	// Refused lists the values Decode6 dropped and why.
	Refused []string
	// Message is the decoded Reply; nil for SLAAC only.
	Message *dhcpv6.Message
}

// HasBootInfo reports whether the lease has a boot file URL.
func (l *Lease6) HasBootInfo() bool { return l.Facts.hasBootInfo() }

func (l *Lease6) refuse(format string, args ...any) {
	l.Refused = append(l.Refused, fmt.Sprintf(format, args...))
}

// DUID returns the DUID-LL (RFC 8415 11.4) of an Ethernet MAC.
func DUID(mac net.HardwareAddr) dhcpv6.DUID {
	return &dhcpv6.DUIDLL{HWType: iana.HWTypeEthernet, LinkLayerAddr: mac}
}

// modifiers6 is what every DHCPv6 message of the client carries; see the
// IPv6 section. o must have gone through withDefaults.
func (o Options) modifiers6(mac net.HardwareAddr) []dhcpv6.Modifier {
	arch := *o.Arch
	return []dhcpv6.Modifier{
		dhcpv6.WithClientID(DUID(mac)),
		dhcpv6.WithRequestedOptions(RequestedOptions6...),
		dhcpv6.WithArchType(iana.Arch(arch)),
		dhcpv6.WithOption(&dhcpv6.OptVendorClass{EnterpriseNumber: pxeEnterprise, Data: [][]byte{[]byte(ClassIdentifier(arch))}}),
		dhcpv6.WithOption(&dhcpv6.OptNetworkInterfaceID{Typ: dhcpv6.NII_PXE_GEN_I, Major: ndiMajor, Minor: ndiMinor}),
	}
}

// Decode6 decodes a raw DHCPv6 Reply (or Advertise) into a Lease6. An
// answer with a status code other than Success, at top level or in its
// IA_NA, is an error wrapping ErrBadLease. See the IPv6 section for what
// is refused.
func Decode6(raw []byte) (*Lease6, error) {
	m, err := dhcpv6.MessageFromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %d-byte DHCPv6 message: %w", ErrBadLease, len(raw), err)
	}
	if t := m.MessageType; t != dhcpv6.MessageTypeReply && t != dhcpv6.MessageTypeAdvertise {
		return nil, fmt.Errorf("%w: DHCPv6 message type %v, want REPLY or ADVERTISE", ErrBadLease, t)
	}
	if st := m.Options.Status(); st != nil && st.StatusCode != iana.StatusSuccess {
		return nil, fmt.Errorf("%w: DHCPv6 status %v: %q", ErrBadLease, st.StatusCode, printable(st.StatusMessage))
	}
	l := &Lease6{Message: m, Mode: Mode6Stateless}
	l.Facts.RebootTime = -1
	l.Facts.HWType = uint8(iana.HWTypeEthernet)
	if sid := m.Options.ServerID(); sid != nil {
		l.ServerID = hex.EncodeToString(sid.ToBytes())
	}
	if ia := m.Options.OneIANA(); ia != nil {
		if st := ia.Options.Status(); st != nil && st.StatusCode != iana.StatusSuccess {
			return nil, fmt.Errorf("%w: DHCPv6 IA_NA status %v: %q", ErrBadLease, st.StatusCode, printable(st.StatusMessage))
		}
		l.Mode = Mode6Stateful
		if a := ia.Options.OneAddress(); a != nil {
			ip, ok := netip.AddrFromSlice(a.IPv6Addr)
			if !ok || !ip.Is6() || ip.Is4In6() || !ip.IsGlobalUnicast() {
				return nil, fmt.Errorf("%w: IA_NA address %v is not a usable address", ErrBadLease, a.IPv6Addr)
			}
			l.Facts.IP = ip
			l.Net.Address = netip.PrefixFrom(ip, 128)
		}
	}
	for _, d := range m.Options.DNS() {
		a, ok := netip.AddrFromSlice(d)
		if !ok || !a.Is6() || a.IsUnspecified() || a.IsMulticast() || a.IsLinkLocalUnicast() {
			l.refuse("option 23: DNS server %v", d)
			continue
		}
		l.Net.DNS = append(l.Net.DNS, a)
	}
	if sl := m.Options.DomainSearchList(); sl != nil {
		for _, d := range sl.Labels {
			if netconf.ValidDomain(d) {
				l.Net.Search = append(l.Net.Search, d)
			} else {
				l.refuse("option 24: domain %q", truncate(d, 80))
			}
		}
	}
	if o := m.GetOneOption(dhcpv6.OptionBootfileURL); o != nil {
		l.Facts.BootFile = l.bootURL(string(o.ToBytes()))
		if u, err := url.Parse(l.Facts.BootFile); err == nil && l.Facts.BootFile != "" {
			if a, err := netip.ParseAddr(u.Hostname()); err == nil {
				l.Facts.Server = a
			}
		}
	}
	for _, p := range m.Options.BootFileParam() {
		if err := checkParam(p); err != nil {
			l.refuse("option 60: parameter %q: %v", truncate(p, 80), err)
			continue
		}
		l.BootParams = append(l.BootParams, p)
	}
	return l, nil
}

// bootURL checks option 59; it returns "" (and records why) for refused
// values.
func (l *Lease6) bootURL(s string) string {
	what := "option 59 (boot file URL)"
	s = strings.TrimRight(s, "\x00")
	if err := checkBootURL(s); err != nil {
		l.refuse("%s %q: %v", what, truncate(printable(s), 80), err)
		return ""
	}
	return s
}

// qemuNoBootfile is the path of the boot file URL QEMU's user network
// (libslirp's DHCPv6 server, which formats a NULL name with "%s")
// answers with when it was started without bootfile=: "tftp://[fec0::2]/(null)".
// It is no boot file, and must not win the race against a DHCPv4 lease
// that has one.
const qemuNoBootfile = "/(null)"

// checkBootURL is the check of option 59.
func checkBootURL(s string) error {
	if err := checkName(s); err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "tftp", "http", "https":
	default:
		return fmt.Errorf("scheme %q is not tftp, http or https", u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil || u.Opaque != "" {
		return fmt.Errorf("not scheme://host/path")
	}
	if u.Path == qemuNoBootfile {
		return fmt.Errorf("QEMU's user network names no boot file this way (it was given no bootfile=)")
	}
	for elem := range strings.SplitSeq(u.Path, "/") {
		if elem == ".." {
			return fmt.Errorf(`".." path element (percent-encoded)`)
		}
	}
	return nil
}

func checkParam(p string) error {
	if len(p) > maxParam {
		return fmt.Errorf("%d bytes, longer than %d", len(p), maxParam)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("byte %#02x at offset %d is not printable ASCII", c, i)
		}
	}
	return nil
}

// printable replaces what is not printable ASCII by '?', for messages.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// withZone gives the link-local boot server in the boot file URL and in
// Facts.Server the zone of iface, so that sockets reach it through that
// link.
func (l *Lease6) withZone(iface string) {
	if l.Facts.Server.IsLinkLocalUnicast() && l.Facts.Server.Zone() == "" {
		l.Facts.Server = l.Facts.Server.WithZone(iface)
		if u, err := url.Parse(l.Facts.BootFile); err == nil {
			port := u.Port()
			u.Host = "[" + l.Facts.Server.String() + "]"
			if port != "" {
				u.Host += ":" + port
			}
			l.Facts.BootFile = u.String()
		}
	}
}
