package netconf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// 802.1Q VLAN IDs a link can carry: 0 means "priority tag only" and 4095
// is reserved (IEEE 802.1Q-2018 table 9-2; the kernel's VLAN_N_VID is
// 4096 and vlan_validate refuses IDs >= VLAN_VID_MASK = 4095).
const (
	MinVLANID = 1
	MaxVLANID = 4094
)

// maxLinkName is the longest link name: IFNAMSIZ (16,
// include/uapi/linux/if.h) less the terminating NUL.
const maxLinkName = 15

var (
	// ErrNoVLANSupport is returned by AddVLAN when the kernel has no
	// 802.1Q support: the 8021q module is neither built in nor loaded.
	ErrNoVLANSupport = errors.New("the kernel has no 802.1Q VLAN support: the 8021q module is needed")
	// ErrVLANRefused is returned by AddVLAN when the kernel has 802.1Q
	// support but the parent link cannot carry VLANs (not Ethernet, or
	// a driver that sets NETIF_F_VLAN_CHALLENGED).
	ErrVLANRefused = errors.New("the link cannot carry VLANs")
)

// VLAN is one 802.1Q VLAN the client should use: ID over the link Parent,
// or over every link it uses when Parent is "".
type VLAN struct {
	Parent string
	ID     uint16
}

// String gives v in the form ParseVLANs reads: "ID" or "IF.ID".
func (v VLAN) String() string {
	if v.Parent == "" {
		return strconv.Itoa(int(v.ID))
	}
	return v.Parent + "." + strconv.Itoa(int(v.ID))
}

// VLANLink is a link of kind "vlan" as the kernel reports it: Name
// carries VLAN ID over the link Parent.
type VLANLink struct {
	Name   string
	Parent string
	ID     uint16
}

// ParseVLANs parses a comma-separated list of VLANs, each either
//
//	ID      VLAN ID on every link the client uses, or
//	IF.ID   VLAN ID on link IF only,
//
// with IDs from MinVLANID to MaxVLANID, in decimal. IF is cut at the
// last dot, so a link name with dots in it works. Errors name the
// element and wrap ErrBadConfig; empty elements are skipped, an all-empty
// list is an error.
func ParseVLANs(s string) ([]VLAN, error) {
	var out []VLAN
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := parseVLAN(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: VLAN list %q is empty: want ID or IF.ID", ErrBadConfig, s)
	}
	return out, nil
}

func parseVLAN(f string) (VLAN, error) {
	var v VLAN
	idText := f
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		v.Parent, idText = f[:i], f[i+1:]
		if !ValidLinkName(v.Parent) {
			return VLAN{}, fmt.Errorf("%w: VLAN %q: %q is not a link name", ErrBadConfig, f, v.Parent)
		}
	}
	id, err := strconv.ParseUint(idText, 10, 16)
	if err != nil || id < MinVLANID || id > MaxVLANID {
		return VLAN{}, fmt.Errorf("%w: VLAN %q: ID %q is not a number from %d to %d", ErrBadConfig, f, idText, MinVLANID, MaxVLANID)
	}
	v.ID = uint16(id)
	if v.Parent != "" {
		if _, err := VLANName(v.Parent, v.ID); err != nil {
			return VLAN{}, err
		}
	}
	return v, nil
}

// VLANName is the name the client gives VLAN id over parent: "IF.ID"
// (the kernel's DEV_PLUS_VID_NO_PAD style, which dracut's vlan= and
// Debian's ifupdown read). It fails when the name does not fit a link
// name (15 bytes).
func VLANName(parent string, id uint16) (string, error) {
	n := parent + "." + strconv.Itoa(int(id))
	if !ValidLinkName(parent) || len(n) > maxLinkName {
		return "", fmt.Errorf("%w: VLAN link name %q is not a link name of at most %d bytes", ErrBadConfig, n, maxLinkName)
	}
	return n, nil
}

// ValidLinkName reports whether s can name a network link, by the rules
// of the kernel's dev_valid_name (net/core/dev.c): 1 to 15 bytes, not "."
// or "..", no '/', ':' or white space; and, stricter than the kernel,
// printable ASCII without '"', so that the name is safe on a kernel
// command line.
func ValidLinkName(s string) bool {
	if s == "" || len(s) > maxLinkName || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '/' || c == ':' || c == '"' || c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}
