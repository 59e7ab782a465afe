package netconf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// AddAddress assigns the IPv4 address and prefix length in p to the link
// called name, with the subnet's broadcast address, like `ip addr replace
// P brd + dev NAME`; an IPv6 p is added without one, and the kernel runs
// duplicate address detection on it (WaitAddr6 waits for the end). The
// address is permanent (no lifetime): the netboot client hands over to
// another kernel long before any lease expires.
func AddAddress(name string, p netip.Prefix) error {
	if p.IsValid() && p.Addr().Is6() && !p.Addr().Is4In6() {
		return addAddress6(name, p)
	}
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("address %v for %s: %w", p, name, ErrNotIPv4)
	}
	what := fmt.Sprintf("add address %v to %s", p, name)
	return linkRequest(name, what, unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, func(l Link) []byte {
		body := make([]byte, unix.SizeofIfAddrmsg)
		body[0] = unix.AF_INET
		body[1] = uint8(p.Bits())
		body[3] = unix.RT_SCOPE_UNIVERSE
		ne.PutUint32(body[4:8], uint32(l.Index))
		addr := p.Addr().AsSlice()
		body = appendAttr(body, unix.IFA_LOCAL, addr)
		body = appendAttr(body, unix.IFA_ADDRESS, addr)
		if p.Bits() < 31 { // RFC 3021: /31 and /32 have no broadcast address
			body = appendAttr(body, unix.IFA_BROADCAST, Broadcast(p).AsSlice())
		}
		return body
	})
}

// AddDefaultRoute installs (or replaces) the IPv4 default route via gw out
// of the link called name, in the main table, like `ip route replace
// default via GW dev NAME`. A gateway outside the link's subnet is
// accepted as on-link (RTNH_F_ONLINK), as some DHCP servers hand out such
// gateways (e.g. /32 leases in clouds). An IPv6 gateway gets an IPv6
// default route (onLink does not apply: IPv6 routers are reached by their
// link-local address).
func AddDefaultRoute(name string, gw netip.Addr, onLink bool) error {
	if gw.Is6() && !gw.Is4In6() {
		return addDefaultRoute6(name, gw)
	}
	if !gw.Is4() {
		return fmt.Errorf("gateway %v for %s: %w", gw, name, ErrNotIPv4)
	}
	what := fmt.Sprintf("add default route via %v dev %s", gw, name)
	return linkRequest(name, what, unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, func(l Link) []byte {
		body := make([]byte, unix.SizeofRtMsg)
		body[0] = unix.AF_INET
		// dst_len, src_len, tos 0: the default route.
		body[4] = unix.RT_TABLE_MAIN
		body[5] = unix.RTPROT_BOOT
		body[6] = unix.RT_SCOPE_UNIVERSE
		body[7] = unix.RTN_UNICAST
		if onLink {
			ne.PutUint32(body[8:12], unix.RTNH_F_ONLINK)
		}
		body = appendAttr(body, unix.RTA_GATEWAY, gw.AsSlice())
		return appendAttrU32(body, unix.RTA_OIF, uint32(l.Index))
	})
}

// Apply configures the link called name from cfg, in this order:
//
//  1. set the link up (SetUp);
//  2. assign cfg.Address (AddAddress) and, for IPv6, wait until
//     duplicate address detection is over (WaitAddr6);
//  3. if cfg.Gateway is valid, install the default route through it
//     (on-link when it lies outside cfg.Address's subnet);
//  4. if cfg has DNS servers, a domain or a search list, write
//     opts.ResolvConf (default /etc/resolv.conf);
//  5. if opts.SetHostname and cfg.Hostname is set, set the host name.
//
// Apply validates cfg first (Config.Validate) and changes nothing when it
// is invalid. Steps 4 and 5 are not needed to fetch by IP address: their
// failures are logged and joined into the returned error after all steps
// ran, so a caller may go on.
func Apply(ctx context.Context, log *slog.Logger, name string, cfg Config, opts ApplyOptions) error {
	log = logging.Or(log)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configure %s: %w", name, err)
	}
	if err := SetUp(name); err != nil {
		return err
	}
	if opts.CarrierTimeout > 0 {
		if err := WaitCarrier(ctx, log, name, opts.CarrierTimeout); err != nil {
			return err
		}
	}
	if err := AddAddress(name, cfg.Address); err != nil {
		return err
	}
	if cfg.Address.Addr().Is6() {
		same := func(a Addr6) bool { return a.Prefix.Addr() == cfg.Address.Addr() }
		if _, err := WaitAddr6(ctx, name, same); err != nil {
			return fmt.Errorf("configure %s: %w", name, err)
		}
	}
	log.Info("address configured", "link", name, "address", cfg.Address)
	if cfg.Gateway.IsValid() {
		onLink := cfg.Address.Addr().Is4() && !cfg.Address.Masked().Contains(cfg.Gateway)
		if err := AddDefaultRoute(name, cfg.Gateway, onLink); err != nil {
			return err
		}
		log.Info("default route configured", "link", name, "gateway", cfg.Gateway, "onlink", onLink)
	}
	var soft []error
	if len(cfg.DNS) > 0 || cfg.Domain != "" || len(cfg.Search) > 0 {
		path := opts.ResolvConf
		if path == "" {
			path = DefaultResolvConf
		}
		if err := WriteResolvConf(path, cfg); err != nil {
			log.Warn("resolver not configured", "err", err)
			soft = append(soft, err)
		} else {
			log.Info("resolver configured", "path", path, "dns", cfg.DNS, "domain", cfg.Domain, "search", cfg.Search)
		}
	}
	if opts.SetHostname && cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			err = fmt.Errorf("sethostname(%q): %w", cfg.Hostname, err)
			log.Warn("host name not set", "err", err)
			soft = append(soft, err)
		} else {
			log.Info("host name set", "hostname", cfg.Hostname)
		}
	}
	return errors.Join(soft...)
}
