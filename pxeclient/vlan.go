package pxeclient

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// vlanLinks makes the 802.1Q links of pxeinit.vlan= (Settings.VLANs) over
// parents, which are up, and sets them up. It returns the links to run
// DHCP on, in the order of parents: for each parent the VLANs named for
// it (IF.ID), else the VLANs for every link (ID), else the parent itself
// when no setting gives it a VLAN. A VLAN that cannot be made is logged
// and left out; when no link is left, the error says why (a kernel
// without the 8021q module: netconf.ErrNoVLANSupport).
func (c *Client) vlanLinks(parents []string) ([]string, error) {
	var every []uint16
	named := map[string][]uint16{}
	for _, v := range c.Settings.VLANs {
		if v.Parent == "" {
			every = append(every, v.ID)
			continue
		}
		named[v.Parent] = append(named[v.Parent], v.ID)
		if !slices.Contains(parents, v.Parent) {
			c.Log.Warn("pxeinit.vlan names a link that is not used", "vlan", v.String(), "links", strings.Join(parents, ","))
		}
	}
	var use, vlans []string
	var errs []error
	for _, p := range parents {
		ids := named[p]
		if ids == nil {
			ids = every
		}
		if ids == nil {
			use = append(use, p)
			continue
		}
		for _, id := range ids {
			v, fresh, err := netconf.AddVLAN(p, id)
			if err == nil {
				err = netconf.SetUp(v.Name)
			}
			if err != nil {
				c.Log.Warn("no VLAN link", "vlan", id, "link", p, "err", err)
				errs = append(errs, err)
				continue
			}
			if !fresh {
				c.Log.Info("VLAN link exists", "link", v.Name, "vlan", id, "over", p)
			}
			use = append(use, v.Name)
			vlans = append(vlans, v.Name)
		}
	}
	if len(use) == 0 {
		return nil, fmt.Errorf("no VLAN link over %s (pxeinit.vlan): %w", strings.Join(parents, ","), errors.Join(errs...))
	}
	c.stages.mark("vlan", "links", strings.Join(vlans, ","))
	return use, nil
}

// vlanOf is the VLAN that link name carries, for IPAPPEND: the zero VLAN
// for a link that is not an 802.1Q link (or when the kernel cannot say).
func (c *Client) vlanOf(name string) pxelinux.VLAN {
	v, err := netconf.VLANByName(name)
	if err != nil {
		if !errors.Is(err, netconf.ErrNoSuchLink) {
			c.Log.Debug("cannot tell whether the link is a VLAN", "link", name, "err", err)
		}
		return pxelinux.VLAN{}
	}
	return pxelinux.VLAN{Name: v.Name, Parent: v.Parent, ID: v.ID}
}
