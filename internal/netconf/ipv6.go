package netconf

import (
	"net/netip"
	"time"
)

// IPv6 link state bits of IFLA_INET6_FLAGS (IF_RA_RCVD, IF_RA_MANAGED,
// IF_RA_OTHERCONF in include/net/if_inet6.h): the kernel keeps the M and
// O flags of the last router advertisement it accepted on the link.
const (
	ifRARcvd     = 0x20
	ifRAManaged  = 0x40
	ifRAOtherCon = 0x80
)

// IFA_F_* address flags, include/uapi/linux/if_addr.h.
const (
	ifaFOptimistic = 0x04
	ifaFDADFailed  = 0x08
	ifaFTentative  = 0x40
)

// addrPoll is how often the IPv6 waits ask the kernel for the link's
// addresses and router advertisement state.
const addrPoll = 50 * time.Millisecond

// sysctl6Dir is the per-link IPv6 sysctl directory below /proc's mount.
const sysctl6Dir = "/proc/sys/net/ipv6/conf"

// RA is what the kernel learnt from the router advertisements on a link.
type RA struct {
	// Received is true once an advertisement was accepted.
	Received bool
	// Managed (M) says addresses come from stateful DHCPv6; Other (O)
	// says other configuration (DNS, the boot file URL) comes from
	// DHCPv6 (RFC 4861 4.2).
	Managed, Other bool
}

// Addr6 is one IPv6 address of a link.
type Addr6 struct {
	Prefix netip.Prefix
	// Flags are the IFA_F_* flags (include/uapi/linux/if_addr.h).
	Flags uint32
}

// Tentative reports whether duplicate address detection still runs.
func (a Addr6) Tentative() bool { return a.Flags&ifaFTentative != 0 }

// Usable reports whether sockets may use the address: past duplicate
// address detection, or optimistic (RFC 4429) while it runs.
func (a Addr6) Usable() bool {
	return !a.DADFailed() && (!a.Tentative() || a.Flags&ifaFOptimistic != 0)
}

// DADFailed reports whether duplicate address detection found the
// address in use by another node.
func (a Addr6) DADFailed() bool { return a.Flags&ifaFDADFailed != 0 }

// LinkLocal picks the link-local unicast address (fe80::/10).
func LinkLocal(a Addr6) bool { return a.Prefix.Addr().IsLinkLocalUnicast() }

// Global picks a global unicast address (SLAAC or DHCPv6 or static).
func Global(a Addr6) bool {
	return a.Prefix.Addr().IsGlobalUnicast() && !a.Prefix.Addr().IsLinkLocalUnicast()
}
