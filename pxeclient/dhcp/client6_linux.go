package dhcp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv6"
	"github.com/insomniacslk/dhcp/dhcpv6/nclient6"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/netconf"
)

// slaacWait bounds the wait for the kernel's SLAAC address once a
// stateless exchange is done (duplicate address detection takes 1 s).
const slaacWait = 3 * time.Second

// Run6 gets an IPv6 configuration on one of ifaces (all tried at once) as
// the package documentation's IPv6 section describes, and returns the
// best (Race). The interfaces must be up. Run6 returns when it has a
// lease or when ctx ends.
func Run6(ctx context.Context, log *slog.Logger, ifaces []string, opts Options) (*Lease6, error) {
	log = logging.Or(log)
	if len(ifaces) == 0 {
		return nil, ErrNoInterfaces
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	useNonblockingRand()
	var attempts []Attempt[*Lease6]
	for _, name := range ifaces {
		attempts = append(attempts, Attempt[*Lease6]{Name: "DHCPv6 on " + name, Get: func(ctx context.Context) (*Lease6, bool, error) {
			w := &worker6{name: name, log: log.With("interface", name), opts: opts, backoff: opts.MinBackoff}
			l, err := w.run(ctx)
			if err != nil {
				return nil, false, err
			}
			return l, l.HasBootInfo(), nil
		}})
	}
	l, _, err := Race(ctx, log, opts.Grace, attempts)
	if err != nil {
		return nil, fmt.Errorf("IPv6 on %v: %w", ifaces, err)
	}
	log.Info("IPv6 lease chosen", "interface", l.Interface, "mode", l.Mode.String(), "address", l.Facts.IP,
		"server", l.Facts.Server, "bootfile", l.Facts.BootFile)
	return l, nil
}

// worker6 runs IPv6 configuration on one interface.
type worker6 struct {
	name    string
	mac     net.HardwareAddr
	log     *slog.Logger
	opts    Options
	client  *nclient6.Client
	dest    *net.UDPAddr
	backoff time.Duration
}

func (w *worker6) run(ctx context.Context) (*Lease6, error) {
	ifc, err := net.InterfaceByName(w.name)
	if err != nil {
		return nil, fmt.Errorf("DHCPv6 on %s: %w", w.name, err)
	}
	if len(ifc.HardwareAddr) == 0 {
		return nil, fmt.Errorf("DHCPv6 on %s: interface has no hardware address", w.name)
	}
	w.mac = ifc.HardwareAddr
	if err := netconf.EnableIPv6(w.name); err != nil {
		w.log.Warn("IPv6 autoconfiguration not enabled", "err", err)
	}
	start := time.Now()
	ll, err := netconf.WaitAddr6(ctx, w.name, netconf.LinkLocal)
	if err != nil {
		return nil, fmt.Errorf("DHCPv6 on %s: no usable link-local address: %w", w.name, err)
	}
	w.log.Info("IPv6 link-local address", "address", ll.Prefix, "after", time.Since(start).Round(time.Millisecond))

	mode, ra := w.opts.Mode6, netconf.RA{}
	if mode == Mode6Auto {
		mode, ra = w.waitRA(ctx)
	}
	conn, err := net.ListenUDP("udp6", &net.UDPAddr{IP: ll.Prefix.Addr().AsSlice(), Port: dhcpv6.DefaultClientPort, Zone: w.name})
	if err != nil {
		return nil, fmt.Errorf("DHCPv6 on %s: %w", w.name, err)
	}
	w.dest = &net.UDPAddr{IP: nclient6.AllDHCPRelayAgentsAndServers.IP, Port: dhcpv6.DefaultServerPort, Zone: w.name}
	w.client, err = nclient6.NewWithConn(conn, w.mac, nclient6.WithTimeout(w.opts.Timeout), nclient6.WithRetry(w.opts.Tries))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("DHCPv6 on %s: %w", w.name, err)
	}
	defer w.client.Close()

	auto := w.opts.Mode6 == Mode6Auto
	var lastErr error
	for round := 1; ; round++ {
		if auto && !ra.Received {
			if r, err := netconf.RouterAdvert(w.name); err == nil && r.Received {
				ra, mode = r, modeOf(r)
				w.log.Info("late router advertisement", "managed", ra.Managed, "other", ra.Other, "mode", mode.String(), "round", round)
			}
		}
		try := mode
		switch {
		case try == Mode6SLAAC:
			// Firmware asks DHCPv6 whatever the flags say (QEMU's
			// user network answers Information-Request but
			// advertises neither flag): one stateless round, then
			// the SLAAC address alone.
			try = Mode6Stateless
		case auto && !ra.Received && round%2 == 0:
			// No advertisement: stateful and stateless in turn.
			try = Mode6Stateless
		}
		var l *Lease6
		var err error
		if try == Mode6Stateful {
			l, err = w.stateful(ctx)
		} else {
			l, err = w.stateless(ctx)
		}
		if err == nil {
			if mode == Mode6SLAAC {
				w.log.Info("DHCPv6 answered although the router advertisement has neither M nor O")
			}
			l.RA = ra
			return l, nil
		}
		if mode == Mode6SLAAC && ctx.Err() == nil {
			w.log.Warn(ErrNoIPv6Boot.Error(), "stateless_try", err)
			return w.slaac(ctx, ra)
		}
		if lastErr == nil || ctx.Err() == nil {
			lastErr = err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s on %s after %d rounds: %w", try, w.name, round, lastErr)
		}
		d := jitter(w.backoff)
		w.log.Info("no DHCPv6 answer; retrying", "mode", try.String(), "round", round, "err", err, "retry_in", d.Round(time.Millisecond))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, fmt.Errorf("%s on %s after %d rounds: %w", try, w.name, round, lastErr)
		}
		w.backoff = min(2*w.backoff, w.opts.MaxBackoff)
	}
}

// modeOf is the mode a router advertisement's flags choose.
func modeOf(ra netconf.RA) Mode6 {
	switch {
	case ra.Managed:
		return Mode6Stateful
	case ra.Other:
		return Mode6Stateless
	}
	return Mode6SLAAC
}

// waitRA waits up to RAWait for a router advertisement and returns the
// mode its flags choose.
func (w *worker6) waitRA(parent context.Context) (Mode6, netconf.RA) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, w.opts.RAWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ra, err := netconf.RouterAdvert(w.name)
		if err != nil {
			w.log.Warn("cannot read the router advertisement state", "err", err)
		}
		if ra.Received {
			mode := modeOf(ra)
			w.log.Info("router advertisement", "managed", ra.Managed, "other", ra.Other, "mode", mode.String(),
				"after", time.Since(start).Round(time.Millisecond))
			return mode, ra
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return Mode6Stateful, ra // the caller gave up
			}
			w.log.Warn("no router advertisement; trying stateful and stateless DHCPv6 in turn (no default route unless DHCPv6 or the settings give one)",
				"waited", w.opts.RAWait)
			return Mode6Stateful, ra
		case <-tick.C:
		}
	}
}

// slaac is the lease of an advertisement without M and O: the kernel's
// address, no boot information.
func (w *worker6) slaac(ctx context.Context, ra netconf.RA) (*Lease6, error) {
	l := &Lease6{Interface: w.name, Mode: Mode6SLAAC, RA: ra}
	l.Facts.RebootTime = -1
	l.Facts.HWType = 1
	l.Facts.MAC = w.mac
	l.Facts.UUID = w.opts.UUID
	w.slaacAddr(ctx, l)
	return l, nil
}

// slaacAddr puts the kernel's SLAAC address, once past DAD, into l.
func (w *worker6) slaacAddr(ctx context.Context, l *Lease6) {
	ctx, cancel := context.WithTimeout(ctx, slaacWait)
	defer cancel()
	a, err := netconf.WaitAddr6(ctx, w.name, netconf.Global)
	if err != nil {
		w.log.Info("no SLAAC address; the link-local address is all there is", "err", err)
		return
	}
	l.Facts.IP = a.Prefix.Addr()
	l.Facts.PrefixLen = a.Prefix.Bits()
}

// stateful does one Solicit-Advertise-Request-Reply exchange with IA_NA.
func (w *worker6) stateful(ctx context.Context) (*Lease6, error) {
	mods := w.opts.modifiers6(w.mac)
	sol, err := dhcpv6.NewSolicit(w.mac, mods...)
	if err != nil {
		return nil, fmt.Errorf("build SOLICIT: %w", err)
	}
	sol.TransactionID = newXID6(w.mac)
	var (
		first     *dhcpv6.Message
		firstSeen time.Time
	)
	match := func(m *dhcpv6.Message) bool {
		if m.MessageType != dhcpv6.MessageTypeAdvertise {
			return false
		}
		if m.GetOneOption(dhcpv6.OptionBootfileURL) != nil {
			return true
		}
		if first == nil {
			first, firstSeen = m, time.Now()
			w.log.Info("advertise without boot file URL; waiting for a better one", "grace", w.opts.Grace)
		}
		return time.Since(firstSeen) >= w.opts.Grace
	}
	adv, err := w.client.SendAndRead(ctx, w.dest, sol, match)
	if err != nil {
		if first == nil || ctx.Err() != nil {
			return nil, fmt.Errorf("SOLICIT (%d tries from %v): %w", w.opts.Tries, w.opts.Timeout, err)
		}
		adv = first
	}
	if st := adv.Options.Status(); st != nil && st.StatusCode != 0 {
		return nil, fmt.Errorf("ADVERTISE: status %v %q", st.StatusCode, printable(st.StatusMessage))
	}
	w.log.Info("DHCPv6 advertise", "server", adv.Options.ServerID())
	req, err := dhcpv6.NewRequestFromAdvertise(adv, mods...)
	if err != nil {
		return nil, fmt.Errorf("build REQUEST: %w", err)
	}
	req.TransactionID = newXID6(w.mac)
	reply, err := w.client.SendAndRead(ctx, w.dest, req, nclient6.IsMessageType(dhcpv6.MessageTypeReply))
	if err != nil {
		return nil, fmt.Errorf("REQUEST: %w", err)
	}
	return w.decode(reply)
}

// stateless does one Information-Request-Reply exchange and takes the
// kernel's SLAAC address.
func (w *worker6) stateless(ctx context.Context) (*Lease6, error) {
	m, err := dhcpv6.NewMessage(append([]dhcpv6.Modifier{
		func(d dhcpv6.DHCPv6) { d.(*dhcpv6.Message).MessageType = dhcpv6.MessageTypeInformationRequest },
		dhcpv6.WithOption(dhcpv6.OptElapsedTime(0)),
	}, w.opts.modifiers6(w.mac)...)...)
	if err != nil {
		return nil, fmt.Errorf("build INFORMATION-REQUEST: %w", err)
	}
	m.TransactionID = newXID6(w.mac)
	reply, err := w.client.SendAndRead(ctx, w.dest, m, nclient6.IsMessageType(dhcpv6.MessageTypeReply))
	if err != nil {
		return nil, fmt.Errorf("INFORMATION-REQUEST (%d tries from %v): %w", w.opts.Tries, w.opts.Timeout, err)
	}
	l, err := w.decode(reply)
	if err != nil {
		return nil, err
	}
	l.Mode = Mode6Stateless
	w.slaacAddr(ctx, l)
	return l, nil
}

// decode turns a Reply into the lease of this interface.
func (w *worker6) decode(reply *dhcpv6.Message) (*Lease6, error) {
	l, err := Decode6(reply.ToBytes())
	if err != nil {
		return nil, fmt.Errorf("REPLY: %w", err)
	}
	l.Interface = w.name
	l.Facts.MAC = w.mac
	l.Facts.UUID = w.opts.UUID
	if l.Facts.IP.IsValid() {
		l.Facts.PrefixLen = l.Net.Address.Bits()
	}
	l.withZone(w.name)
	for _, r := range l.Refused {
		w.log.Warn("refused DHCPv6 value", "server", l.ServerID, "why", r)
	}
	w.log.Info("DHCPv6 reply", "mode", l.Mode.String(), "address", l.Facts.IP, "bootfile", l.Facts.BootFile,
		"params", l.BootParams, "dns", l.Net.DNS, "boot_info", l.HasBootInfo())
	return l, nil
}

// newXID6 is newXID cut to the 3 bytes of a DHCPv6 transaction ID.
func newXID6(mac net.HardwareAddr) dhcpv6.TransactionID {
	x := newXID(mac)
	return dhcpv6.TransactionID{x[0], x[1], x[2]}
}
