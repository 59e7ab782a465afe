package netconf

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The rtnetlink attributes of an 802.1Q link, from
// include/uapi/linux/if_link.h (IFLA_IFNAME, IFLA_LINK and IFLA_LINKINFO
// in the enum of link attributes; IFLA_INFO_* inside IFLA_LINKINFO;
// IFLA_VLAN_* inside IFLA_INFO_DATA of kind "vlan").
const (
	iflaIfname   = 3  // IFLA_IFNAME: the link's name, NUL-terminated
	iflaLink     = 5  // IFLA_LINK: u32 index of the lower (parent) link
	iflaLinkinfo = 18 // IFLA_LINKINFO: nested IFLA_INFO_*
	iflaInfoKind = 1  // IFLA_INFO_KIND: the rtnl_link_ops kind, a string
	iflaInfoData = 2  // IFLA_INFO_DATA: nested, the kind's own attributes
	iflaVLANID   = 1  // IFLA_VLAN_ID: u16 VLAN ID, in host byte order
)

// vlanKind is the kind of 802.1Q links (vlan_link_ops.kind,
// net/8021q/vlan_netlink.c); the kernel loads the 8021q module for it
// through the alias "rtnl-link-vlan" when it can.
const vlanKind = "vlan"

// vlanProcConfig exists in a network namespace's /proc/net once the 8021q
// code runs (vlan_proc_init, net/8021q/vlanproc.c), built in or loaded.
const vlanProcConfig = "/proc/net/vlan/config"

// AddVLAN makes the 802.1Q link over parent that carries VLAN id, named
// VLANName(parent, id), like `ip link add link PARENT name PARENT.ID type
// vlan id ID`, and leaves it down. When parent carries that VLAN already
// (a link of that name, or of another name, made earlier), AddVLAN
// returns that link with made false. Errors wrap ErrNoVLANSupport when the
// kernel lacks the 8021q module, ErrVLANRefused when parent cannot carry
// VLANs, ErrNoSuchLink when there is no parent.
func AddVLAN(parent string, id uint16) (l VLANLink, made bool, err error) {
	if id < MinVLANID || id > MaxVLANID {
		return VLANLink{}, false, fmt.Errorf("%w: VLAN ID %d over %s outside %d..%d", ErrBadConfig, id, parent, MinVLANID, MaxVLANID)
	}
	name, err := VLANName(parent, id)
	if err != nil {
		return VLANLink{}, false, err
	}
	what := fmt.Sprintf("add VLAN %d over %s as %s", id, parent, name)
	p, err := LinkByName(parent)
	if err != nil {
		return VLANLink{}, false, fmt.Errorf("%s: %w", what, err)
	}
	c, err := dialRoute()
	if err != nil {
		return VLANLink{}, false, fmt.Errorf("%s: %w", what, err)
	}
	defer c.Close()
	_, err = c.execute(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, encodeNewVLAN(p.Index, name, id))
	switch {
	case err == nil:
		return VLANLink{Name: name, Parent: parent, ID: id}, true, nil
	case errors.Is(err, unix.EEXIST):
		// The name is taken, or parent has the VLAN under another name
		// (vlan_check_real_dev): use the link if it is the VLAN asked for.
		links, lerr := VLANLinks()
		if lerr != nil {
			return VLANLink{}, false, fmt.Errorf("%s: %w; and then: %w", what, err, lerr)
		}
		for _, v := range links {
			if v.Parent == parent && v.ID == id {
				return v, false, nil
			}
		}
		return VLANLink{}, false, fmt.Errorf("%s: a link named %s exists and is not VLAN %d over %s: %w", what, name, id, parent, err)
	case errors.Is(err, unix.EOPNOTSUPP):
		// The kernel says EOPNOTSUPP both for an unknown kind and for a
		// parent that cannot carry VLANs; only the first lacks /proc/net/vlan.
		if _, serr := os.Stat(vlanProcConfig); serr != nil {
			return VLANLink{}, false, fmt.Errorf("%s: %w (RTM_NEWLINK kind %q: %w; no %s)", what, ErrNoVLANSupport, vlanKind, err, vlanProcConfig)
		}
		return VLANLink{}, false, fmt.Errorf("%s: %s (ARP type %d, kind %q): %w (RTM_NEWLINK: %w)", what, parent, p.Type, p.Kind, ErrVLANRefused, err)
	}
	return VLANLink{}, false, fmt.Errorf("%s (RTM_NEWLINK): %w", what, err)
}

// encodeNewVLAN is the body of the RTM_NEWLINK request that makes link
// name carrying VLAN id over the link with index parent: struct
// ifinfomsg (all zero: AF_UNSPEC, no index, no flags), IFLA_LINK,
// IFLA_IFNAME and IFLA_LINKINFO { IFLA_INFO_KIND "vlan", IFLA_INFO_DATA {
// IFLA_VLAN_ID } }, in host byte order.
func encodeNewVLAN(parent int, name string, id uint16) []byte {
	body := make([]byte, unix.SizeofIfInfomsg)
	body = appendAttrU32(body, iflaLink, uint32(parent))
	body = appendAttr(body, iflaIfname, append([]byte(name), 0))
	var vid [2]byte
	ne.PutUint16(vid[:], id)
	data := appendAttr(nil, iflaVLANID, vid[:])
	info := appendAttr(nil, iflaInfoKind, []byte(vlanKind))
	info = appendAttr(info, iflaInfoData, data)
	return appendAttr(body, iflaLinkinfo, info)
}

// VLANLinks lists the 802.1Q links of the current network namespace.
func VLANLinks() ([]VLANLink, error) {
	c, err := dialRoute()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	msgs, err := c.execute(unix.RTM_GETLINK, unix.NLM_F_DUMP, make([]byte, unix.SizeofIfInfomsg))
	if err != nil {
		return nil, fmt.Errorf("list links (RTM_GETLINK dump): %w", err)
	}
	names := map[int]string{}
	type vlan struct {
		name   string
		parent int
		id     uint16
	}
	var vlans []vlan
	for _, m := range msgs {
		if m.typ != unix.RTM_NEWLINK {
			continue
		}
		l, parent, id, err := decodeVLAN(m.data)
		if err != nil {
			return nil, fmt.Errorf("list VLAN links: %w", err)
		}
		names[l.Index] = l.Name
		if l.Kind == vlanKind {
			vlans = append(vlans, vlan{l.Name, parent, id})
		}
	}
	var out []VLANLink
	for _, v := range vlans {
		out = append(out, VLANLink{Name: v.name, Parent: names[v.parent], ID: v.id})
	}
	return out, nil
}

// VLANByName returns the 802.1Q link called name, or an error wrapping
// ErrNoSuchLink when there is no such VLAN link.
func VLANByName(name string) (VLANLink, error) {
	links, err := VLANLinks()
	if err != nil {
		return VLANLink{}, err
	}
	for _, v := range links {
		if v.Name == name {
			return v, nil
		}
	}
	return VLANLink{}, fmt.Errorf("VLAN link %q: %w", name, ErrNoSuchLink)
}

// decodeVLAN decodes an RTM_NEWLINK payload (decodeLink) and, for a link
// of kind "vlan", the index of its parent (IFLA_LINK) and its VLAN ID
// (IFLA_LINKINFO/IFLA_INFO_DATA/IFLA_VLAN_ID). A vlan link without those
// attributes, or with attributes of the wrong size, is an error.
func decodeVLAN(b []byte) (l Link, parent int, id uint16, err error) {
	l, err = decodeLink(b)
	if err != nil || l.Kind != vlanKind {
		return l, 0, 0, err
	}
	attrs, err := parseAttrs(b[unix.SizeofIfInfomsg:])
	if err != nil {
		return l, 0, 0, err
	}
	a := attrs[iflaLink]
	if len(a) != 4 {
		return l, 0, 0, fmt.Errorf("VLAN link %s: IFLA_LINK of %d bytes, want 4", l.Name, len(a))
	}
	parent = int(int32(ne.Uint32(a)))
	info, err := parseAttrs(attrs[iflaLinkinfo])
	if err != nil {
		return l, 0, 0, fmt.Errorf("VLAN link %s IFLA_LINKINFO: %w", l.Name, err)
	}
	data, err := parseAttrs(info[iflaInfoData])
	if err != nil {
		return l, 0, 0, fmt.Errorf("VLAN link %s IFLA_INFO_DATA: %w", l.Name, err)
	}
	v := data[iflaVLANID]
	if len(v) != 2 {
		return l, 0, 0, fmt.Errorf("VLAN link %s: IFLA_VLAN_ID of %d bytes, want 2", l.Name, len(v))
	}
	return l, parent, ne.Uint16(v), nil
}
