package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// captureRing is how many recent raw answers an interface keeps to find
// the bytes of the ACK nclient4 returns (see captureConn).
const captureRing = 16

// Run gets a lease on one of ifaces (all tried at once) and returns the
// best one, as described in the package documentation. The interfaces
// must be up; they need no address. Run returns when it has a lease or
// when ctx ends (then with ctx's error and the last failure of each
// interface).
func Run(ctx context.Context, log *slog.Logger, ifaces []string, opts Options) (*Lease, error) {
	log = logging.Or(log)
	if len(ifaces) == 0 {
		return nil, ErrNoInterfaces
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		lease *Lease
		w     *worker
		nl    *nclient4.Lease
		err   error
	}
	results := make(chan result, len(ifaces))
	var wg sync.WaitGroup
	var clients []*nclient4.Client
	var mu sync.Mutex
	for _, name := range ifaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := newWorker(name, log, opts)
			if err != nil {
				results <- result{err: err}
				return
			}
			mu.Lock()
			clients = append(clients, w.client)
			mu.Unlock()
			lease, nl, err := w.run(ctx)
			results <- result{lease: lease, w: w, nl: nl, err: err}
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
		for _, c := range clients {
			c.Close()
		}
	}()

	var (
		best     *result
		losers   []result
		errs     []error
		grace    <-chan time.Time
		pending  = len(ifaces)
		decision *result
	)
	for decision == nil && pending > 0 {
		select {
		case r := <-results:
			pending--
			if r.err != nil {
				errs = append(errs, r.err)
				continue
			}
			switch {
			case r.lease.HasBootInfo():
				decision = &r
			case best == nil:
				best = &r
				log.Info("lease without boot information; waiting for a better one",
					"interface", r.lease.Interface, "grace", opts.Grace)
				grace = time.After(opts.Grace)
			default:
				losers = append(losers, r)
			}
		case <-grace:
			decision = best
		case <-ctx.Done():
			pending = 0
		}
	}
	if decision == nil {
		decision = best
	}
	if best != nil && best != decision {
		losers = append(losers, *best)
	}
	cancel()
	// Collect leases that arrive while the other workers stop.
	go func() { wg.Wait(); close(results) }()
	for r := range results {
		if r.err == nil {
			losers = append(losers, r)
		}
	}
	for _, r := range losers {
		log.Info("releasing unused lease", "interface", r.lease.Interface, "address", r.lease.Facts.IP)
		if err := r.w.release(r.nl); err != nil {
			log.Warn("release failed", "interface", r.lease.Interface, "err", err)
		}
	}
	if decision == nil {
		return nil, fmt.Errorf("DHCP on %v: %w", ifaces, errors.Join(append([]error{context.Cause(ctx)}, errs...)...))
	}
	l := decision.lease
	log.Info("lease chosen", "interface", l.Interface, "address", l.Net.Address, "gateway", l.Net.Gateway,
		"server", l.Facts.Server, "server_from", l.ServerSource.String(), "bootfile", l.Facts.BootFile,
		"configfile", l.Facts.ConfigFile, "pathprefix", l.Facts.PathPrefix)
	return l, nil
}

// worker runs DHCP on one interface.
type worker struct {
	name    string
	mac     net.HardwareAddr
	log     *slog.Logger
	opts    Options
	conn    *captureConn
	client  *nclient4.Client
	backoff time.Duration
}

func newWorker(name string, log *slog.Logger, opts Options) (*worker, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("DHCP on %s: %w", name, err)
	}
	if len(ifc.HardwareAddr) == 0 {
		return nil, fmt.Errorf("DHCP on %s: interface has no hardware address", name)
	}
	raw, err := nclient4.NewRawUDPConn(name, nclient4.ClientPort)
	if err != nil {
		return nil, fmt.Errorf("DHCP on %s: raw socket: %w", name, err)
	}
	conn := &captureConn{PacketConn: raw}
	c, err := nclient4.NewWithConn(conn, ifc.HardwareAddr,
		nclient4.WithTimeout(opts.Timeout), nclient4.WithRetry(opts.Tries))
	if err != nil {
		raw.Close()
		return nil, fmt.Errorf("DHCP on %s: %w", name, err)
	}
	return &worker{
		name: name, mac: ifc.HardwareAddr, log: log.With("interface", name), opts: opts,
		conn: conn, client: c, backoff: opts.MinBackoff,
	}, nil
}

// run loops DISCOVER rounds until it has a lease or ctx ends.
func (w *worker) run(ctx context.Context) (*Lease, *nclient4.Lease, error) {
	var lastErr error
	for round := 1; ; round++ {
		lease, nl, err := w.round(ctx, round)
		if err == nil {
			return lease, nl, nil
		}
		if ctx.Err() != nil {
			if lastErr == nil {
				lastErr = err
			}
			return nil, nil, fmt.Errorf("DHCP on %s after %d rounds: %w", w.name, round, lastErr)
		}
		lastErr = err
		var nak *nclient4.ErrNak
		if errors.As(err, &nak) {
			// RFC 2131 3.1 step 5: on DHCPNAK restart with DISCOVER.
			w.log.Warn("DHCP NAK; restarting", "server", nak.Nak.ServerIdentifier(), "message", nak.Nak.Message())
			w.backoff = w.opts.MinBackoff
		}
		d := jitter(w.backoff)
		w.log.Info("no DHCP lease; retrying", "round", round, "err", err, "retry_in", d.Round(time.Millisecond))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("DHCP on %s after %d rounds: %w", w.name, round, lastErr)
		}
		w.backoff = min(2*w.backoff, w.opts.MaxBackoff)
	}
}

// release sends DHCPRELEASE for a lease not taken. RFC 2131 4.4.6 wants
// it unicast from the leased address, which the unconfigured interface
// does not have (the kernel drops unicast from 0.0.0.0 as martian), so it
// goes out as a broadcast that names the server in option 54.
func (w *worker) release(nl *nclient4.Lease) error {
	req, err := dhcpv4.NewReleaseFromACK(nl.ACK)
	if err != nil {
		return fmt.Errorf("build RELEASE: %w", err)
	}
	if _, err := w.conn.WriteTo(req.ToBytes(), nclient4.DefaultServers); err != nil {
		return fmt.Errorf("send RELEASE to %v: %w", nl.ACK.ServerIdentifier(), err)
	}
	return nil
}

// jitter spreads d by ±25 % so that many clients booting together do not
// retransmit in step.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}

// round does one DISCOVER-OFFER-REQUEST-ACK exchange.
func (w *worker) round(ctx context.Context, n int) (*Lease, *nclient4.Lease, error) {
	mods := w.opts.modifiers()
	w.log.Debug("DHCP discover", "round", n)
	offer, err := w.discover(ctx, mods)
	if err != nil {
		return nil, nil, err
	}
	w.log.Info("DHCP offer", "server", offer.ServerIdentifier(), "address", offer.YourIPAddr)
	nl, err := w.client.RequestFromOffer(ctx, offer, mods...)
	if err != nil {
		return nil, nil, err
	}
	raw := w.conn.find(nl.ACK)
	if raw == nil {
		raw = nl.ACK.ToBytes() // not expected: the capture ring missed it
	}
	lease, err := Decode(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("ACK from %v: %w", nl.ACK.ServerIdentifier(), err)
	}
	lease.Interface = w.name
	lease.Facts.MAC = w.mac
	lease.Facts.UUID = w.opts.UUID
	for _, r := range lease.Refused {
		w.log.Warn("refused DHCP value", "server", lease.ServerID, "why", r)
	}
	w.log.Info("DHCP lease", "address", lease.Net.Address, "server", lease.Facts.Server,
		"server_from", lease.ServerSource.String(), "boot_info", lease.HasBootInfo())
	return lease, nl, nil
}

// discover sends DISCOVER and picks an offer: the first with boot
// information, or the first without when none better came within the
// grace period.
func (w *worker) discover(ctx context.Context, mods []dhcpv4.Modifier) (*dhcpv4.DHCPv4, error) {
	disc, err := dhcpv4.NewDiscovery(w.mac, dhcpv4.PrependModifiers(mods,
		dhcpv4.WithOption(dhcpv4.OptMaxMessageSize(nclient4.MaxMessageSize)))...)
	if err != nil {
		return nil, fmt.Errorf("build DISCOVER: %w", err)
	}
	var (
		first     *dhcpv4.DHCPv4
		firstSeen time.Time
	)
	match := func(p *dhcpv4.DHCPv4) bool {
		if p.MessageType() != dhcpv4.MessageTypeOffer {
			return false
		}
		if offerHasBootInfo(p) {
			return true
		}
		if first == nil {
			first, firstSeen = p, time.Now()
			w.log.Info("offer without boot information; waiting for a better one",
				"server", p.ServerIdentifier(), "grace", w.opts.Grace)
		}
		return time.Since(firstSeen) >= w.opts.Grace
	}
	offer, err := w.client.SendAndRead(ctx, w.client.RemoteAddr(), disc, match)
	if err != nil {
		if first != nil && ctx.Err() == nil {
			return first, nil
		}
		return nil, fmt.Errorf("DISCOVER (%d tries from %v): %w", w.opts.Tries, w.opts.Timeout, err)
	}
	return offer, nil
}

// offerHasBootInfo is a cheap look at an offer: options 67, 209, 210,
// PXELINUX sub-options of 43, a non-empty file field or an overload.
func offerHasBootInfo(p *dhcpv4.DHCPv4) bool {
	for _, c := range []uint8{67, optConfigFile, optPathPrefix, 52} {
		if p.Options.Has(dhcpv4.GenericOptionCode(c)) {
			return true
		}
	}
	if v := p.Options.Get(dhcpv4.OptionVendorSpecificInformation); v != nil {
		o := make(dhcpv4.Options)
		if appendOptions(o, v) == nil && (o.Has(dhcpv4.GenericOptionCode(optConfigFile)) || o.Has(dhcpv4.GenericOptionCode(optPathPrefix))) {
			return true
		}
	}
	return p.BootFileName != ""
}

// captureConn keeps the raw bytes of the last answers read, because
// nclient4 hands out only parsed messages (which lose overloaded options).
type captureConn struct {
	net.PacketConn
	mu   sync.Mutex
	ring [captureRing][]byte
	next int
}

func (c *captureConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	if err == nil && n >= optionsStart {
		c.mu.Lock()
		c.ring[c.next%captureRing] = append([]byte(nil), b[:n]...)
		c.next++
		c.mu.Unlock()
	}
	return n, addr, err
}

// find returns the newest captured packet that decodes to m's transaction,
// type, server and address.
func (c *captureConn) find(m *dhcpv4.DHCPv4) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 1; i <= captureRing; i++ {
		raw := c.ring[(c.next-i+2*captureRing)%captureRing]
		if raw == nil {
			continue
		}
		p, err := dhcpv4.FromBytes(raw)
		if err != nil {
			continue
		}
		if p.TransactionID == m.TransactionID && p.MessageType() == m.MessageType() &&
			p.YourIPAddr.Equal(m.YourIPAddr) && p.ServerIdentifier().Equal(m.ServerIdentifier()) {
			return raw
		}
	}
	return nil
}
