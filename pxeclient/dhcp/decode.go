package dhcp

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strings"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/s390netboot/s390netboot/internal/netconf"
)

// ServerSource says where Facts.Server came from.
type ServerSource int

const (
	// ServerUnknown: no boot server (no 66, siaddr 0.0.0.0, no 54).
	ServerUnknown ServerSource = iota
	// ServerOption66 is the TFTP server name option (an IPv4 literal).
	ServerOption66
	// ServerOption66Name is option 66 as a host name, resolved by
	// Lease.ResolveServer.
	ServerOption66Name
	// ServerSiaddr is the BOOTP next-server field.
	ServerSiaddr
	// ServerOption54 is the DHCP server identifier.
	ServerOption54
)

func (s ServerSource) String() string {
	switch s {
	case ServerOption66:
		return "option 66"
	case ServerOption66Name:
		return "option 66 (resolved name)"
	case ServerSiaddr:
		return "siaddr"
	case ServerOption54:
		return "option 54"
	}
	return "none"
}

// BOOTP/DHCP packet layout (RFC 2131 section 2, figure 1).
const (
	snameOffset  = 44
	snameLen     = 64
	fileOffset   = snameOffset + snameLen // 108
	fileLen      = 128
	optionsStart = fileOffset + fileLen + 4 // after the magic cookie
	// Option 52 values (RFC 2132 9.3).
	overloadFile  = 1
	overloadSname = 2
	// maxName is the longest boot file, config file or path prefix
	// accepted: one option's worth (RFC 2132 2: length is one byte).
	maxName = 255
	// PXELINUX options (syslinux doc/pxelinux.txt), also allowed as
	// option 43 sub-options.
	optMagic, optConfigFile, optPathPrefix, optRebootTime = 208, 209, 210, 211
)

// Facts are the boot facts of a lease: the client's addresses, its boot
// server and the PXE options, the inputs of a boot source's config lookup
// (the client copies them into pxelinux.Facts).
type Facts struct {
	// MAC is the hardware address of the interface that got the lease;
	// HWType its ARP hardware type (1 = Ethernet).
	MAC    net.HardwareAddr
	HWType uint8
	// IP, Netmask and Gateway are the client's address, option 1 and the
	// first router of option 3; invalid when not given.
	IP, Netmask, Gateway netip.Addr
	// PrefixLen is the prefix length of an IPv6 IP (128 for a DHCPv6
	// IA_NA address, the SLAAC prefix's otherwise); 0 for IPv4.
	PrefixLen int
	// Server is the boot server (see ServerSource); invalid when none.
	Server netip.Addr
	// UUID is the client UUID sent in option 97 (Options.UUID), or "".
	UUID string
	// BootFile is option 67 or the BOOTP file field.
	BootFile string
	// ConfigFile and PathPrefix are options 209 and 210, or "".
	ConfigFile, PathPrefix string
	// RebootTime is option 211 in seconds; -1 when not given.
	RebootTime int
}

// Lease is a decoded DHCP answer.
type Lease struct {
	// Interface is the link the lease was got on (set by Run).
	Interface string
	// Facts are what the answer says about the client and its boot
	// server. MAC and UUID are set by Run; Decode fills the rest.
	Facts Facts
	// ServerSource says which field Facts.Server came from.
	ServerSource ServerSource
	// ServerName is option 66 when it is a host name, else "".
	ServerName string
	// ServerID is option 54, the DHCP server that answered.
	ServerID netip.Addr
	// Net is the network configuration for netconf.Apply.
	Net netconf.Config
	// Refused lists the values Decode dropped and why, for the log.
	Refused []string
	// Message is the decoded answer, options from overloaded fields
	// included.
	Message *dhcpv4.DHCPv4
}

// HasBootInfo reports whether the lease names a boot file, config file or
// path prefix.
func (l *Lease) HasBootInfo() bool { return l.Facts.hasBootInfo() }

func (f Facts) hasBootInfo() bool {
	return f.BootFile != "" || f.ConfigFile != "" || f.PathPrefix != ""
}

// ResolveServer looks up ServerName with r (nil: net.DefaultResolver) and,
// when it has an IPv4 address, makes it Facts.Server with ServerSource
// ServerOption66Name. Call it after the lease's DNS servers are configured.
// Without a ServerName it does nothing.
func (l *Lease) ResolveServer(ctx context.Context, r *net.Resolver) error {
	if l.ServerName == "" {
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip4", l.ServerName)
	if err != nil {
		return fmt.Errorf("resolve boot server %q (option 66): %w", l.ServerName, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("resolve boot server %q (option 66): no IPv4 address", l.ServerName)
	}
	l.Facts.Server = addrs[0].Unmap()
	l.ServerSource = ServerOption66Name
	return nil
}

// Decode decodes a raw DHCPv4 answer (the UDP payload of an ACK, or an
// OFFER) into a Lease. It needs the raw bytes rather than a parsed
// dhcpv4.DHCPv4 because that one cuts the file and sname fields at their
// first NUL, which loses options carried there under option 52. See the
// package documentation for what is refused.
func Decode(raw []byte) (*Lease, error) {
	m, err := dhcpv4.FromBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %d-byte packet: %w", ErrBadLease, len(raw), err)
	}
	if m.OpCode != dhcpv4.OpcodeBootReply {
		return nil, fmt.Errorf("%w: op code %d, want BOOTREPLY", ErrBadLease, m.OpCode)
	}
	l := &Lease{Message: m}
	l.Facts.RebootTime = -1
	l.Facts.HWType = uint8(m.HWType)

	fileIsOptions, snameIsOptions := false, false
	if ov := m.Options.Get(dhcpv4.OptionOptionOverload); len(ov) == 1 {
		fileIsOptions = ov[0]&overloadFile != 0
		snameIsOptions = ov[0]&overloadSname != 0
		// RFC 3396: the file field's options follow the options field,
		// then come sname's.
		if fileIsOptions && len(raw) >= fileOffset+fileLen {
			if err := appendOptions(m.Options, raw[fileOffset:fileOffset+fileLen]); err != nil {
				l.refuse("option 52: file field: %v", err)
			}
		}
		if snameIsOptions && len(raw) >= snameOffset+snameLen {
			if err := appendOptions(m.Options, raw[snameOffset:snameOffset+snameLen]); err != nil {
				l.refuse("option 52: sname field: %v", err)
			}
		}
	} else if ov != nil {
		l.refuse("option 52: length %d, want 1", len(ov))
	}

	ip, ok := netip.AddrFromSlice(m.YourIPAddr.To4())
	if !ok || ip.IsUnspecified() || ip.IsMulticast() || ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return nil, fmt.Errorf("%w: yiaddr %v is not a usable address", ErrBadLease, m.YourIPAddr)
	}
	l.Facts.IP = ip

	bits := -1
	if mask := m.Options.Get(dhcpv4.OptionSubnetMask); mask != nil {
		if b, ok := maskBits(mask); ok {
			bits = b
		} else {
			l.refuse("option 1: %x is not a contiguous IPv4 netmask", mask)
		}
	}
	if bits < 0 {
		bits = classfulBits(ip)
	}
	l.Facts.Netmask = bitsToMask(bits)
	l.Net.Address = netip.PrefixFrom(ip, bits)

	if routers := l.addrs(m, dhcpv4.OptionRouter); len(routers) > 0 {
		l.Facts.Gateway = routers[0]
		l.Net.Gateway = routers[0]
	}
	l.Net.DNS = l.addrs(m, dhcpv4.OptionDomainNameServer)
	if h := m.Options.Get(dhcpv4.OptionHostName); h != nil {
		if s := trimNUL(h); netconf.ValidHostname(s) {
			l.Net.Hostname = s
		} else {
			l.refuse("option 12: host name %q", s)
		}
	}
	if d := m.Options.Get(dhcpv4.OptionDomainName); d != nil {
		if s := trimNUL(d); netconf.ValidDomain(s) {
			l.Net.Domain = s
		} else {
			l.refuse("option 15: domain %q", s)
		}
	}

	if id, ok := addr4(m.Options.Get(dhcpv4.OptionServerIdentifier)); ok {
		l.ServerID = id
	}
	l.chooseServer(m)

	// Boot file: option 67, else the file field (unless it holds options).
	if b := m.Options.Get(dhcpv4.OptionBootfileName); b != nil {
		l.Facts.BootFile = l.name("option 67 (boot file)", b)
	} else if !fileIsOptions && len(raw) >= fileOffset+fileLen {
		l.Facts.BootFile = l.name("BOOTP file field", raw[fileOffset:fileOffset+fileLen])
	}

	// PXELINUX options: top level, else encapsulated in option 43.
	var vendor dhcpv4.Options
	if v := m.Options.Get(dhcpv4.OptionVendorSpecificInformation); v != nil {
		vendor = make(dhcpv4.Options)
		if err := appendOptions(vendor, v); err != nil {
			l.refuse("option 43: %v", err)
		}
	}
	pxe := func(code uint8) []byte {
		if v := m.Options.Get(dhcpv4.GenericOptionCode(code)); v != nil {
			return v
		}
		return vendor.Get(dhcpv4.GenericOptionCode(code))
	}
	if v := pxe(optConfigFile); v != nil {
		l.Facts.ConfigFile = l.name("option 209 (config file)", v)
	}
	if v := pxe(optPathPrefix); v != nil {
		l.Facts.PathPrefix = l.name("option 210 (path prefix)", v)
	}
	if v := pxe(optRebootTime); v != nil {
		if len(v) == 4 {
			l.Facts.RebootTime = int(min(binary.BigEndian.Uint32(v), math.MaxInt32))
		} else {
			l.refuse("option 211: length %d, want 4", len(v))
		}
	}
	return l, nil
}

// chooseServer applies the precedence 66 (IPv4 literal), siaddr, 54.
func (l *Lease) chooseServer(m *dhcpv4.DHCPv4) {
	if v := m.Options.Get(dhcpv4.OptionTFTPServerName); v != nil {
		s := trimNUL(v)
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() && !a.IsUnspecified() {
			l.Facts.Server, l.ServerSource = a, ServerOption66
			return
		}
		if netconf.ValidDomain(s) {
			l.ServerName = s
		} else {
			l.refuse("option 66: %q is neither an IPv4 address nor a host name", s)
		}
	}
	if a, ok := addr4(m.ServerIPAddr); ok && !a.IsUnspecified() {
		l.Facts.Server, l.ServerSource = a, ServerSiaddr
		return
	}
	if l.ServerID.IsValid() && !l.ServerID.IsUnspecified() {
		l.Facts.Server, l.ServerSource = l.ServerID, ServerOption54
	}
}

func (l *Lease) refuse(format string, args ...any) {
	l.Refused = append(l.Refused, fmt.Sprintf(format, args...))
}

// name checks a file name from the network; see the package's Security
// section. It returns "" (and records why) for refused values.
func (l *Lease) name(what string, b []byte) string {
	s := trimNUL(b)
	if err := checkName(s); err != nil {
		l.refuse("%s %q: %v", what, truncate(s, 80), err)
		return ""
	}
	return s
}

func checkName(s string) error {
	if len(s) > maxName {
		return fmt.Errorf("%d bytes, longer than %d", len(s), maxName)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("byte %#02x at offset %d is not printable ASCII", c, i)
		}
	}
	for elem := range strings.SplitSeq(s, "/") {
		if elem == ".." {
			return fmt.Errorf(`".." path element`)
		}
	}
	return nil
}

// trimNUL removes trailing NUL bytes (many servers NUL-terminate strings);
// NULs inside the value are kept for checkName to refuse.
func trimNUL(b []byte) string { return string(bytes.TrimRight(b, "\x00")) }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// addrs decodes a list of IPv4 addresses (options 3 and 6).
func (l *Lease) addrs(m *dhcpv4.DHCPv4, code dhcpv4.OptionCode) []netip.Addr {
	v := m.Options.Get(code)
	if v == nil {
		return nil
	}
	if len(v)%4 != 0 {
		l.refuse("option %d: length %d is not a multiple of 4", code.Code(), len(v))
		return nil
	}
	var out []netip.Addr
	for i := 0; i+4 <= len(v); i += 4 {
		a := netip.AddrFrom4([4]byte(v[i : i+4]))
		if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			l.refuse("option %d: address %v", code.Code(), a)
			continue
		}
		out = append(out, a)
	}
	return out
}

func addr4(b []byte) (netip.Addr, bool) {
	if len(b) == 16 {
		b = net.IP(b).To4()
	}
	if len(b) != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(b)), true
}

// maskBits returns the prefix length of a contiguous 4-byte netmask.
func maskBits(b []byte) (int, bool) {
	if len(b) != 4 {
		return 0, false
	}
	ones, bits := net.IPMask(b).Size()
	if bits != 32 || ones == 0 {
		return 0, false
	}
	return ones, true
}

// classfulBits is the netmask RFC 1122 3.3.1.3's era clients assumed
// without option 1: class A /8, B /16, C /24.
func classfulBits(a netip.Addr) int {
	switch b := a.As4()[0]; {
	case b < 128:
		return 8
	case b < 192:
		return 16
	}
	return 24
}

func bitsToMask(bits int) netip.Addr {
	m := net.CIDRMask(bits, 32)
	return netip.AddrFrom4([4]byte(m))
}

// appendOptions parses one option area (pad 0, end 255, code-length-value)
// and appends each value to o, concatenating repeats (RFC 3396).
func appendOptions(o dhcpv4.Options, b []byte) error {
	for i := 0; i < len(b); {
		code := b[i]
		switch code {
		case 0:
			i++
			continue
		case 255:
			return nil
		}
		if i+2 > len(b) {
			return fmt.Errorf("option %d at offset %d: no length byte", code, i)
		}
		n := int(b[i+1])
		if i+2+n > len(b) {
			return fmt.Errorf("option %d at offset %d: length %d runs past the end (%d bytes)", code, i, n, len(b))
		}
		o[code] = append(o[code], b[i+2:i+2+n]...)
		i += 2 + n
	}
	return nil
}
