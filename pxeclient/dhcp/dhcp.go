// Package dhcp gets a DHCPv4 lease (Run) or an IPv6 configuration from
// router advertisements and DHCPv6 (Run6, see the IPv6 section) for the
// netboot client and decodes it into the boot facts a config lookup needs
// (Facts) and the network configuration netconf applies.
//
// Run asks on several interfaces at once with insomniacslk/dhcp's nclient4
// (a raw packet socket per interface, so the interfaces need no address),
// identifies the client as a PXE client of its architecture (options 60,
// 93, 94, 97) and prefers a lease that carries boot information:
//
//	lease, err := dhcp.Run(ctx, log, []string{"eth0", "eth1"}, dhcp.Options{
//		UUID: "4c4c4544-0042-3510-8052-b7c04f4e3232",
//	})
//	if err != nil {
//		return err
//	}
//	log.Info("boot server", "addr", lease.Facts.Server, "from", lease.ServerSource)
//	err = netconf.Apply(ctx, log, lease.Interface, lease.Net, netconf.ApplyOptions{})
//
// # Choosing a lease
//
// A lease "carries boot information" when it has a boot file (option 67 or
// the BOOTP file field), a PXELINUX config file (209) or path prefix
// (210). On one link, the client takes the first offer with boot
// information; an offer without it is taken when no better one came
// within Options.Grace of the first offer, or when the DISCOVER's tries
// are used up, whichever comes first (offers are looked at as they
// arrive, so the wait can stretch to the next retransmission's answers).
// Across interfaces, the first lease with
// boot information wins at once; a lease without it is returned when no
// interface brought a better one within Options.Grace.
//
// When nobody answers, each interface keeps trying until ctx ends: one
// DISCOVER round is Options.Tries transmissions with a timeout that starts
// at Options.Timeout and doubles each time (nclient4's behaviour), then a
// pause that starts at Options.MinBackoff and doubles up to
// Options.MaxBackoff, with ±25 % jitter. A NAK restarts with a DISCOVER.
// Leases that lose are released (DHCPRELEASE).
//
// # Boot server
//
// Facts.Server is, in this order: option 66 when it is an IPv4 address in
// dotted form; BOOTP siaddr (next-server) when not 0.0.0.0; option 54 (the
// DHCP server itself). Lease.ServerSource says which one was used. A host
// name in option 66 is kept in Lease.ServerName but not resolved (there is
// no resolver before the lease is applied): the next source applies, and a
// caller may call Lease.ResolveServer once DNS works. PXELINUX itself
// ignores option 66; petitboot and QEMU's firmware prefer it, as this
// package does.
//
// # IPv6
//
// Run6 is Run for IPv6, with insomniacslk/dhcp's nclient6 on the
// link-local address of each interface. Per interface:
//
//  1. enable autoconfiguration (netconf.EnableIPv6) and wait until the
//     link-local address passed duplicate address detection;
//  2. wait up to Options.RAWait for a router advertisement, which the
//     kernel receives (and with it configures SLAAC addresses and the
//     default route); its M and O flags choose the mode (Mode6Auto):
//     M: stateful DHCPv6 (Solicit, Advertise, Request, Reply with IA_NA);
//     O only: stateless (Information-Request, Reply) plus the kernel's
//     SLAAC address; neither: one stateless round all the same, as
//     firmware does (QEMU's user network answers Information-Request
//     with option 59 but advertises neither flag), and without an
//     answer the SLAAC address alone (no boot information; the log
//     says why); no advertisement at all: stateful and stateless in
//     turn, one round each, as on a link without a router, and the
//     advertisement's mode once one arrives;
//  3. every message carries the DUID-LL made of the MAC (RFC 8415
//     11.4: the identifier of a machine whose link-layer address does
//     not change; servers map it back to the MAC for reservations),
//     option 61 (the same client architecture as option 93 of DHCPv4:
//     DefaultArch), option 16 with the same "PXEClient:Arch:..." string
//     as option 60 of DHCPv4, option 62 (UNDI 3.16), and requests
//     options 59 (boot file URL, RFC 5970), 60 (boot file parameters),
//     23 (DNS) and 24 (domain search list).
//
// The boot file URL names the server and the path prefix, as option 67
// does for DHCPv4: pxelinux.Prefix of "tftp://[2001:db8::1]/s390x/pxelinux.0"
// is "tftp://[2001:db8::1]/s390x/". A link-local server in the URL gets
// the zone of the interface the answer came on.
//
// # Security
//
// DHCP answers are unauthenticated: anybody on the link may send them.
// Decode bounds-checks every field, never panics, and refuses (drops,
// and records in Lease.Refused) any value that could escape its purpose:
//
//   - boot file (67 / file), config file (209) and path prefix (210): at
//     most 255 bytes of printable ASCII without spaces (0x21–0x7e), after
//     trailing NUL bytes are trimmed; no path element may be "..". Such a
//     value cannot add words to a kernel command line or climb out of the
//     TFTP/HTTP prefix. Names may still be absolute or URLs, as in
//     PXELINUX.
//   - option 66: an IPv4 literal or a DNS name (netconf.ValidDomain).
//   - host name (12): netconf.ValidHostname; domain (15): ValidDomain.
//   - netmask (1): a contiguous mask; addresses: 4-byte IPv4 values.
//   - option 52 overload: the file and sname fields are decoded as option
//     space (RFC 2131 4.1 and RFC 3396 concatenation) only when option 52
//     says so, and never as names at the same time.
//   - options 208–211 inside option 43 are used only when the top-level
//     option is missing, and pass the same checks.
//   - DHCPv6 (Decode6, records in Lease6.Refused): option 59 passes the
//     checks of option 67 and must be a tftp, http or https URL with a
//     host and no user name, without ".." even percent-encoded in its
//     path; option 60's parameters are printable ASCII of at most 255
//     bytes; DNS servers (23) are global unicast IPv6 addresses; the
//     search list (24) holds ValidDomain names; an IA_NA address must be
//     global unicast; a status other than Success is no lease.
package dhcp

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/iana"

	"github.com/s390netboot/s390netboot/internal/positive"
	"github.com/s390netboot/s390netboot/internal/uuid"
)

var (
	// ErrNoArch is returned when GOARCH has no default client
	// architecture (option 93) and Options.Arch is not set.
	ErrNoArch = errors.New("no PXE client architecture (option 93) for this GOARCH")
	// ErrBadUUID is returned for an Options.UUID not in 8-4-4-4-12 form.
	ErrBadUUID = uuid.ErrSyntax
	// ErrNoInterfaces is returned by Run when given no interface.
	ErrNoInterfaces = errors.New("no network interface to run DHCP on")
	// ErrBadLease is returned by Decode for packets that are not a usable
	// DHCP answer (wrong op code, no address, malformed).
	ErrBadLease = errors.New("unusable DHCP answer")
)

// Client architecture types for option 93, from the IANA "Processor
// Architecture Types" registry (RFC 4578 2.1 and its updates).
const (
	// ArchS390Basic (0x001F) is what the s390-tools netboot scripts and
	// QEMU's s390-ccw firmware send; dnsmasq and ISC dhcpd configs match
	// it to hand out s390x boot files.
	ArchS390Basic uint16 = 0x001F
	// ArchX64UEFI (0x0007) is the code x86-64 UEFI firmware sends. The
	// client kexecs a Linux bzImage rather than running an EFI binary,
	// but server configs for 64-bit PCs match 7 (and sometimes 9); 0x0000
	// would select BIOS pxelinux.0, whose config tree is the same
	// pxelinux.cfg anyway. Override with Options.Arch.
	ArchX64UEFI uint16 = 0x0007
	// ArchARM64UEFI (0x000B) is what arm64 UEFI firmware sends.
	ArchARM64UEFI uint16 = 0x000B
	// ArchRISCV64UEFI (0x001B): 64-bit RISC-V UEFI.
	ArchRISCV64UEFI uint16 = 0x001B
	// ArchPPCOPAL (0x000E): PowerPC OPAL v3, petitboot's kexec world.
	ArchPPCOPAL uint16 = 0x000E
)

// defaultArch maps GOARCH to the option 93 value sent by default.
var defaultArch = map[string]uint16{
	"s390x":   ArchS390Basic,
	"amd64":   ArchX64UEFI,
	"arm64":   ArchARM64UEFI,
	"riscv64": ArchRISCV64UEFI,
	"ppc64le": ArchPPCOPAL,
}

// DefaultArch returns the option 93 value for goarch, and false when there
// is none.
func DefaultArch(goarch string) (uint16, bool) {
	a, ok := defaultArch[goarch]
	return a, ok
}

// Defaults for Options fields left zero.
const (
	// DefaultTimeout is the first retransmission timeout; nclient4
	// doubles it on each try (1, 2, 4 s with DefaultTries: a round
	// lasts 7 s).
	DefaultTimeout = 1 * time.Second
	// DefaultTries is the number of transmissions of one DISCOVER or
	// REQUEST (nclient4's WithRetry counts tries, not retries).
	DefaultTries = 3
	// DefaultMinBackoff and DefaultMaxBackoff bound the pause between
	// DISCOVER rounds that got no lease. With the defaults no two
	// DISCOVERs are more than 4 s + 5 s (backoff with jitter) apart, so
	// a server that appears late is found within about 9 s; RFC 2131
	// 4.1 would allow 64 s, too slow for a boot.
	DefaultMinBackoff = 1 * time.Second
	DefaultMaxBackoff = 4 * time.Second
	// DefaultGrace is how long a lease (or offer) without boot
	// information waits for a better one.
	DefaultGrace = 3 * time.Second
	// undiVersion is the "UNDI:003016" part of option 60: UNDI 3.16, the
	// PXE 2.1 version every PXE client announces.
	undiVersion = "003016"
	// optionClientNDI is option 94's value: type 1 (UNDI), version 3.16
	// (RFC 4578 2.2).
	ndiType, ndiMajor, ndiMinor = 1, 3, 16
	// uuidType is option 97's type byte: 0 = the 16-byte GUID follows
	// (RFC 4578 2.5).
	uuidType = 0
)

// RequestedOptions are the options the client asks for (option 55).
var RequestedOptions = []dhcpv4.OptionCode{
	dhcpv4.OptionSubnetMask,                // 1
	dhcpv4.OptionRouter,                    // 3
	dhcpv4.OptionDomainNameServer,          // 6
	dhcpv4.OptionHostName,                  // 12
	dhcpv4.OptionDomainName,                // 15
	dhcpv4.OptionBroadcastAddress,          // 28
	dhcpv4.OptionVendorSpecificInformation, // 43
	dhcpv4.OptionTFTPServerName,            // 66
	dhcpv4.OptionBootfileName,              // 67
	dhcpv4.OptionPXELinuxMagicString,       // 208
	dhcpv4.OptionPXELinuxConfigFile,        // 209
	dhcpv4.OptionPXELinuxPathPrefix,        // 210
	dhcpv4.OptionPXELinuxRebootTime,        // 211
}

// Options tune Run. The zero value is usable on s390x, amd64, arm64,
// riscv64 and ppc64le.
type Options struct {
	// Arch, when not nil, is sent as option 93 instead of DefaultArch.
	Arch *uint16
	// UUID is the client UUID (8-4-4-4-12 hex), sent as option 97 in
	// RFC 4122 byte order and copied into Lease.Facts.UUID; "" sends
	// no option 97.
	UUID string
	// ClientID, when not empty, is sent as option 61.
	ClientID []byte
	// Timeout and Tries shape one DISCOVER or REQUEST; see
	// DefaultTimeout and DefaultTries.
	Timeout time.Duration
	Tries   int
	// MinBackoff and MaxBackoff bound the pause between rounds.
	MinBackoff, MaxBackoff time.Duration
	// Grace is how long a lease without boot information waits for a
	// better one; see DefaultGrace. Negative means not at all.
	Grace time.Duration
	// Mode6 chooses how Run6 configures IPv6 (Mode6Auto: as the router
	// advertisement says).
	Mode6 Mode6
	// RAWait bounds Run6's wait for a router advertisement; see
	// DefaultRAWait.
	RAWait time.Duration
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Arch == nil {
		a, ok := DefaultArch(runtime.GOARCH)
		if !ok {
			return o, fmt.Errorf("GOARCH=%s: %w (set Options.Arch)", runtime.GOARCH, ErrNoArch)
		}
		o.Arch = &a
	}
	if o.UUID != "" {
		u, err := uuid.Parse(o.UUID)
		if err != nil {
			return o, err
		}
		o.UUID = u.String()
	}
	o.Timeout = positive.Or(o.Timeout, DefaultTimeout)
	o.Tries = positive.Or(o.Tries, DefaultTries)
	o.MinBackoff = positive.Or(o.MinBackoff, DefaultMinBackoff)
	o.MaxBackoff = max(positive.Or(o.MaxBackoff, DefaultMaxBackoff), o.MinBackoff)
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.Grace < 0 {
		o.Grace = 0
	}
	o.RAWait = positive.Or(o.RAWait, DefaultRAWait)
	return o, nil
}

// ClassIdentifier returns option 60 for arch:
// "PXEClient:Arch:NNNNN:UNDI:003016" (PXE 2.1 specification, table 2-1),
// NNNNN being arch in decimal.
func ClassIdentifier(arch uint16) string {
	return fmt.Sprintf("PXEClient:Arch:%05d:UNDI:%s", arch, undiVersion)
}

// Modifiers returns what every DISCOVER and REQUEST carries for o: the
// parameter request list, options 60, 93, 94, and 97 and 61 when set.
// o must have gone through withDefaults (Run does that).
func (o Options) modifiers() []dhcpv4.Modifier {
	arch := *o.Arch
	mods := []dhcpv4.Modifier{
		dhcpv4.WithRequestedOptions(RequestedOptions...),
		dhcpv4.WithOption(dhcpv4.OptClassIdentifier(ClassIdentifier(arch))),
		dhcpv4.WithOption(dhcpv4.OptClientArch(iana.Arch(arch))),
		dhcpv4.WithGeneric(dhcpv4.OptionClientNetworkInterfaceIdentifier, []byte{ndiType, ndiMajor, ndiMinor}),
	}
	if o.UUID != "" {
		u, _ := uuid.Parse(o.UUID)
		mods = append(mods, dhcpv4.WithGeneric(dhcpv4.OptionClientMachineIdentifier, append([]byte{uuidType}, u[:]...)))
	}
	if len(o.ClientID) > 0 {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptClientIdentifier(o.ClientID)))
	}
	return mods
}
