package main

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/internal/uuid"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// leaseFlags are what a DHCP lease would tell the client, given by hand:
// every subcommand that works without DHCP registers them.
type leaseFlags struct {
	mac, ip, netmask, gateway, server  string
	uuid, bootfile, prefix, configfile string
	hwtype                             uint8
}

// register adds the lease flags to fs.
func (l *leaseFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&l.mac, "mac", "", "client MAC address (aa:bb:cc:dd:ee:ff)")
	fs.Uint8Var(&l.hwtype, "hwtype", 1, "ARP hardware type of the MAC (1 = Ethernet)")
	fs.StringVar(&l.ip, "ip", "", "client IPv4 address")
	fs.StringVar(&l.netmask, "netmask", "", "netmask (DHCP option 1)")
	fs.StringVar(&l.gateway, "gateway", "", "router (DHCP option 3)")
	fs.StringVar(&l.server, "server", "", "boot server address (siaddr / option 66 / 54)")
	fs.StringVar(&l.uuid, "uuid", "", "client UUID, 8-4-4-4-12 hex (option 97)")
	fs.StringVar(&l.bootfile, "bootfile", "", "boot file name (option 67); its directory is the path prefix")
	fs.StringVar(&l.prefix, "prefix", "", "path prefix (option 210)")
	fs.StringVar(&l.configfile, "configfile", "", "config file name (option 209)")
}

// facts checks the flags and builds the lease facts.
func (l *leaseFlags) facts() (pxelinux.Facts, error) {
	f := pxelinux.Facts{
		HWType: l.hwtype, BootFile: l.bootfile, PathPrefix: l.prefix,
		ConfigFile: l.configfile, RebootTime: -1,
	}
	if l.mac != "" {
		m, err := net.ParseMAC(l.mac)
		if err != nil {
			return f, fmt.Errorf("--mac %q: %w", l.mac, err)
		}
		f.MAC = m
	}
	for _, a := range []struct {
		flag, val string
		dst       *netip.Addr
	}{
		{"--ip", l.ip, &f.IP}, {"--netmask", l.netmask, &f.Netmask},
		{"--gateway", l.gateway, &f.Gateway}, {"--server", l.server, &f.Server},
	} {
		if a.val == "" {
			continue
		}
		v, err := netip.ParseAddr(a.val)
		if err != nil || !v.Is4() {
			return f, fmt.Errorf("%s %q: not an IPv4 address", a.flag, a.val)
		}
		*a.dst = v
	}
	if l.uuid != "" {
		u, err := uuid.Parse(l.uuid)
		if err != nil {
			return f, fmt.Errorf("--uuid %w", err)
		}
		f.UUID = u.String()
	}
	return f, nil
}

// over copies the lease flags the user gave over facts DHCP gave: one
// row for each flag of register.
func (l *leaseFlags) over(dst *pxelinux.Facts, fs *pflag.FlagSet) error {
	src, err := l.facts()
	if err != nil {
		return err
	}
	for _, o := range []struct {
		flag string
		copy func()
	}{
		{"mac", func() { dst.MAC = src.MAC }},
		{"hwtype", func() { dst.HWType = src.HWType }},
		{"ip", func() { dst.IP = src.IP }},
		{"netmask", func() { dst.Netmask = src.Netmask }},
		{"gateway", func() { dst.Gateway = src.Gateway }},
		{"server", func() { dst.Server = src.Server }},
		{"uuid", func() { dst.UUID = src.UUID }},
		{"bootfile", func() { dst.BootFile = src.BootFile }},
		{"prefix", func() { dst.PathPrefix = src.PathPrefix }},
		{"configfile", func() { dst.ConfigFile = src.ConfigFile }},
	} {
		if fs.Changed(o.flag) {
			o.copy()
		}
	}
	return nil
}
