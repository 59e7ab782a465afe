package pxelinux

import (
	"net"
	"net/netip"
)

// Facts are what the network told the client about itself and its boot
// server: the inputs of the config lookup and of IPAPPEND/SYSAPPEND. The
// DHCP client fills them from a lease; `pxeboot plan` fills them from flags.
type Facts struct {
	// MAC is the hardware address of the interface that got the lease.
	MAC net.HardwareAddr
	// HWType is the ARP hardware type (1 = Ethernet), as in the BOOTIF=
	// and 01-MAC names. Zero means Ethernet.
	HWType uint8
	// IP, Netmask and Gateway are the client's address, its netmask
	// (option 1) and its first router (option 3); invalid when unknown.
	IP      netip.Addr
	Netmask netip.Addr
	Gateway netip.Addr
	// PrefixLen is the prefix length of an IPv6 IP (the ip= of
	// IPAPPEND 1 needs it; 128 when unknown), 0 for IPv4.
	PrefixLen int
	// Server is the boot server the client fetches from (the chosen one of
	// option 66, siaddr and option 54, or the host of DHCPv6 option 59);
	// invalid when unknown.
	Server netip.Addr
	// UUID is the client UUID in lower-case 8-4-4-4-12 form, or "".
	UUID string
	// BootFile is the boot file name (option 67 or the BOOTP file field),
	// or the boot file URL of DHCPv6 option 59.
	BootFile string
	// ConfigFile is option 209 (PXELINUX config file), or "".
	ConfigFile string
	// PathPrefix is option 210 (PXELINUX path prefix), or "".
	PathPrefix string
	// RebootTime is option 211 in seconds; -1 when not given.
	RebootTime int
	// Sys holds the SYSAPPEND strings beyond bits 1, 2 and 4 that the
	// platform knows (DMI fields on PCs), keyed by the bit that selects
	// them, value already in "NAME=value" form with spaces replaced.
	Sys map[uint32]string
	// VLAN is the 802.1Q link the lease came over; the zero value when
	// it came untagged. IPAPPEND passes it on (see SysAppend).
	VLAN VLAN
}

// VLAN is an 802.1Q link: Name carries VLAN ID over the link Parent,
// whose MAC address it shares.
type VLAN struct {
	Name, Parent string
	ID           uint16
}
