package pxeclient

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/internal/positive"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/pxeclient/dhcp"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// Bounds of the link step.
const (
	// CarrierTimeout bounds the wait for carrier on the links. Virtual
	// NICs have carrier at once; a real port may take a few seconds of
	// autonegotiation. Links without carrier by then are still tried.
	CarrierTimeout = 10 * time.Second
	// CarrierGrace is how long the other links get once one has carrier:
	// DHCP runs on all links with carrier at once, so a slow second port
	// must not hold up a fast first one for long.
	CarrierGrace = 1 * time.Second
	// LinkPoll is how often the client looks for links to appear (the
	// NIC driver probes after the module loads).
	LinkPoll = 50 * time.Millisecond
)

// errNoBootURL is the IPv6 attempt's result, in a dual-stack race, for a
// configuration without a boot file URL (option 59).
var errNoBootURL = errors.New("IPv6 configured, but no boot file URL (DHCPv6 option 59): DHCPv4 decides")

// ErrNoLinks is returned when no Ethernet link appears in time.
var ErrNoLinks = errors.New("no Ethernet link")

// LinkNetwork is the real network step: OSA grouping on s390x, links up,
// carrier, the 802.1Q links of pxeinit.vlan= over them (vlanLinks), then
// DHCPv4 and IPv6 (router advertisements, DHCPv6) on all links at once
// (or the static pxeinit.ip=) and the configuration of the winning link.
// Of the two protocols the first lease with boot information wins
// (dhcp.Race; the log says which and why); pxeinit.ipv= runs only one.
// The whole step is bounded by
// pxeinit.timeout= (settings.DefaultNetTimeout).
func (c *Client) LinkNetwork(ctx context.Context) (*Lease, error) {
	c.init()
	timeout := positive.Or(c.Settings.NetTimeout, settings.DefaultNetTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	if runtime.GOARCH == "s390x" {
		if err := platform.SetupQeth(c.Root, c.Settings.Qeth, c.Log); err != nil {
			c.Log.Warn(err.Error())
		}
	}
	names, err := c.waitLinks(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if c.Settings.IPVersion != 4 {
			if err := netconf.EnableIPv6(n); err != nil {
				c.Log.Warn("IPv6 autoconfiguration not enabled", "link", n, "err", err)
			}
		}
		if err := netconf.SetUp(n); err != nil {
			c.Log.Warn("cannot set link up", "link", n, "err", err)
		}
	}
	carrier := c.waitCarrier(ctx, names)
	c.stages.mark("link", "links", strings.Join(names, ","), "carrier", strings.Join(carrier, ","))
	use := carrier
	if len(use) == 0 {
		c.Log.Warn("no link has carrier; trying all", "links", strings.Join(names, ","))
		use = names
	}
	if len(c.Settings.VLANs) > 0 {
		if use, err = c.vlanLinks(use); err != nil {
			return nil, err
		}
	}
	if s := c.Settings.Static; s != nil {
		return c.static(ctx, use[0], *s)
	}
	opts := c.DHCP
	if opts.UUID == "" {
		opts.UUID = c.Machine.UUID
	}
	// The protocols run under bg, which the race does not end: the one
	// that loses goes on in the background (see background), no longer
	// than this step's time bound, and, when it gets its lease,
	// configures its address and route as well.
	deadline, _ := ctx.Deadline()
	bg, bgCancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	var running sync.WaitGroup
	var attempts []dhcp.Attempt[*Lease]
	if c.Settings.IPVersion != 6 {
		attempts = append(attempts, c.background(bg, &running, "DHCPv4", func(ctx context.Context, lost func() bool) (*Lease, bool, error) {
			return c.dhcp4(ctx, use, opts, lost)
		}))
	}
	if c.Settings.IPVersion != 4 {
		dual := c.Settings.IPVersion == 0
		attempts = append(attempts, c.background(bg, &running, "IPv6", func(ctx context.Context, lost func() bool) (*Lease, bool, error) {
			l, boot, err := c.dhcp6(ctx, use, opts, lost)
			if err == nil && !boot && dual && !c.Settings.Server.IsValid() {
				// Its address is configured, but without a boot file URL
				// an IPv6 lease names no boot server, where a DHCPv4
				// lease without a boot file still has its siaddr or
				// option 54 (QEMU's user network: no bootfile=, a TFTP
				// root on 10.0.2.2). It must not win the race.
				return nil, false, errNoBootURL
			}
			return l, boot, err
		}))
	}
	go func() { running.Wait(); bgCancel() }()
	grace := opts.Grace
	if grace == 0 {
		grace = dhcp.DefaultGrace
	}
	lease, from, err := dhcp.Race(ctx, c.Log, max(grace, 0), attempts)
	if err != nil {
		return nil, fmt.Errorf("DHCP on %s: no lease within %s (pxeinit.timeout): %w", strings.Join(use, ","), timeout, err)
	}
	c.stages.mark("lease", "iface", lease.Interface, "proto", from, "addr", lease.Facts.IP, "server", lease.Facts.Server,
		"bootfile", lease.Facts.BootFile)
	return lease, nil
}

// background is the race's attempt name: get runs under bg, so that
// when the other protocol wins, this one goes on (until bg's time is up)
// and, with its lease, configures the link's address and route too, as a
// dual-stack host has both: a config found over one protocol may name
// servers of the other (http://10.0.2.2/ in a config fetched over
// IPv6). lost tells get that it lost, so that it leaves the resolver to
// the winner.
func (c *Client) background(bg context.Context, running *sync.WaitGroup, name string,
	get func(ctx context.Context, lost func() bool) (*Lease, bool, error)) dhcp.Attempt[*Lease] {
	running.Add(1) // here, not in Get: bg ends when running is done
	return dhcp.Attempt[*Lease]{Name: name, Get: func(race context.Context) (*Lease, bool, error) {
		type result struct {
			l    *Lease
			boot bool
			err  error
		}
		done := make(chan result, 1)
		go func() {
			defer running.Done()
			l, boot, err := get(bg, func() bool { return race.Err() != nil })
			done <- result{l, boot, err}
		}()
		select {
		case r := <-done:
			return r.l, r.boot, r.err
		case <-race.Done():
			go func() {
				if r := <-done; r.err == nil {
					c.Log.Info("the other protocol's lease, configured as well", "proto", name, "iface", r.l.Interface, "addr", r.l.Facts.IP)
				}
			}()
			return nil, false, race.Err()
		}
	}}
}

// dhcp4 gets a DHCPv4 lease on links and configures its link; the bool
// says whether the lease carries boot information. Once lost says the
// other protocol won, the resolver is left alone.
func (c *Client) dhcp4(ctx context.Context, links []string, opts dhcp.Options, lost func() bool) (*Lease, bool, error) {
	lease, err := dhcp.Run(ctx, c.Log, links, opts)
	if err != nil {
		return nil, false, err
	}
	if lost() {
		lease.Net.DNS, lease.Net.Domain, lease.Net.Search, lease.Net.Hostname = nil, "", nil, ""
	}
	for _, r := range lease.Refused {
		c.Log.Warn("DHCP value refused", "why", r)
	}
	if err := netconf.Apply(ctx, c.Log, lease.Interface, lease.Net, c.NetApply); err != nil {
		c.Log.Warn("network configuration incomplete", "link", lease.Interface, "err", err)
	}
	if lease.ServerName != "" {
		if err := lease.ResolveServer(ctx, nil); err != nil {
			c.Log.Warn("cannot resolve option 66", "name", lease.ServerName, "err", err)
		}
	}
	c.Log.Info("DHCPv4 lease", "iface", lease.Interface, "addr", lease.Net.Address, "server", lease.Facts.Server,
		"via", lease.ServerSource, "dhcp", lease.ServerID, "bootfile", lease.Facts.BootFile)
	f := factsOf(lease.Facts)
	f.VLAN = c.vlanOf(lease.Interface)
	return &Lease{Interface: lease.Interface, Facts: f}, lease.HasBootInfo(), nil
}

// dhcp6 gets an IPv6 configuration on links (router advertisement,
// DHCPv6) and applies it: the IA_NA address (the kernel keeps its SLAAC
// address and the advertised default route), the DNS servers unless lost
// says the other protocol won; the bool says whether it carries boot
// information.
func (c *Client) dhcp6(ctx context.Context, links []string, opts dhcp.Options, lost func() bool) (*Lease, bool, error) {
	lease, err := dhcp.Run6(ctx, c.Log, links, opts)
	if err != nil {
		return nil, false, err
	}
	if lost() {
		lease.Net.DNS, lease.Net.Search = nil, nil
	}
	switch {
	case lease.Net.Address.IsValid():
		if err := netconf.Apply(ctx, c.Log, lease.Interface, lease.Net, c.NetApply); err != nil {
			c.Log.Warn("IPv6 configuration incomplete", "link", lease.Interface, "err", err)
		}
	case len(lease.Net.DNS) > 0 || len(lease.Net.Search) > 0:
		path := c.NetApply.ResolvConf
		if path == "" {
			path = netconf.DefaultResolvConf
		}
		if err := netconf.WriteResolvConf(path, lease.Net); err != nil {
			c.Log.Warn("resolver not configured", "err", err)
		}
	}
	l := &Lease{Interface: lease.Interface, Facts: factsOf(lease.Facts)}
	l.Facts.VLAN = c.vlanOf(lease.Interface)
	if u, err := url.Parse(lease.Facts.BootFile); err == nil && u.Host != "" {
		// Names outside the boot file's directory ("::name") are on
		// the boot file URL's server, by the URL's scheme.
		l.Source = Source{Base: u.Scheme + "://" + u.Host + "/"}
	}
	c.Log.Info("IPv6 lease", "iface", lease.Interface, "mode", lease.Mode.String(), "addr", lease.Facts.IP,
		"server", lease.Facts.Server, "bootfile", lease.Facts.BootFile, "params", lease.BootParams)
	return l, lease.HasBootInfo(), nil
}

// factsOf is what a DHCPv4 lease or an IPv6 configuration tells the
// PXELINUX config engine.
func factsOf(f dhcp.Facts) pxelinux.Facts {
	return pxelinux.Facts{
		MAC: f.MAC, HWType: f.HWType, IP: f.IP, Netmask: f.Netmask, Gateway: f.Gateway, PrefixLen: f.PrefixLen, Server: f.Server,
		UUID: f.UUID, BootFile: f.BootFile, ConfigFile: f.ConfigFile, PathPrefix: f.PathPrefix, RebootTime: f.RebootTime,
	}
}

// waitLinks returns the pxeinit.iface= links, or every Ethernet link once
// at least one exists.
func (c *Client) waitLinks(ctx context.Context) ([]string, error) {
	for {
		var names []string
		var err error
		if len(c.Settings.Ifaces) > 0 {
			for _, n := range c.Settings.Ifaces {
				if _, lerr := netconf.LinkByName(n); lerr == nil {
					names = append(names, n)
				} else {
					err = lerr
				}
			}
			if len(names) == len(c.Settings.Ifaces) {
				return names, nil
			}
		} else {
			var links []netconf.Link
			links, err = netconf.EthernetLinks()
			for _, l := range links {
				names = append(names, l.Name)
			}
			if len(names) > 0 {
				return names, nil
			}
		}
		select {
		case <-ctx.Done():
			if len(names) > 0 {
				return names, nil
			}
			want := "any"
			if len(c.Settings.Ifaces) > 0 {
				want = strings.Join(c.Settings.Ifaces, ",")
			}
			return nil, fmt.Errorf("%w (%s) appeared (last error: %v): is the NIC driver in the ramdisk?", ErrNoLinks, want, err)
		case <-time.After(LinkPoll):
		}
	}
}

// waitCarrier waits for carrier on names and returns those that have it:
// until all have it, CarrierGrace after the first, or CarrierTimeout.
func (c *Client) waitCarrier(ctx context.Context, names []string) []string {
	ctx, cancel := context.WithTimeout(ctx, CarrierTimeout)
	defer cancel()
	var mu sync.Mutex
	var got []string
	first := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := netconf.WaitCarrier(ctx, c.Log, n, CarrierTimeout); err != nil {
				c.Log.Debug("no carrier", "link", n, "err", err)
				return
			}
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
			once.Do(func() { close(first) })
		}()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-first:
		select {
		case <-all:
		case <-time.After(CarrierGrace):
		}
	case <-ctx.Done():
	}
	cancel()
	<-all
	mu.Lock()
	defer mu.Unlock()
	// Keep the order of names.
	var out []string
	for _, n := range names {
		for _, g := range got {
			if g == n {
				out = append(out, n)
			}
		}
	}
	return out
}

// static applies pxeinit.ip= to link name.
func (c *Client) static(ctx context.Context, name string, s netconf.Config) (*Lease, error) {
	if err := netconf.Apply(ctx, c.Log, name, s, c.NetApply); err != nil {
		return nil, fmt.Errorf("static address %s on %s (pxeinit.ip): %w", s.Address, name, err)
	}
	f := pxelinux.Facts{
		HWType:     1,
		IP:         s.Address.Addr(),
		Netmask:    prefixMask(s.Address),
		Gateway:    s.Gateway,
		RebootTime: -1,
	}
	if s.Address.Addr().Is6() {
		f.PrefixLen = s.Address.Bits()
	}
	if l, err := netconf.LinkByName(name); err == nil {
		f.MAC = l.MAC
	}
	f.VLAN = c.vlanOf(name)
	c.stages.mark("lease", "iface", name, "addr", s.Address, "server", c.Settings.Server, "via", "static")
	return &Lease{Interface: name, Facts: f}, nil
}

func prefixMask(p netip.Prefix) netip.Addr {
	bits := p.Bits()
	if !p.Addr().Is4() || bits < 0 {
		return netip.Addr{}
	}
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
}
