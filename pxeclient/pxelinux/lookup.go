package pxelinux

import (
	"fmt"
	"strings"

	"github.com/s390netboot/s390netboot/internal/uuid"
)

// Names of the config directory and the last-resort config, as PXELINUX
// uses them (pxe_open_config in core/fs/pxe/pxe.c).
const (
	configDir     = "pxelinux.cfg/"
	defaultConfig = "default"
	// hexIPDigits is how many names the hex-IP step tries: 8 hex digits of
	// the IPv4 address, then one digit shorter each time down to 1.
	hexIPDigits = 8
	// arpEthernet is ARP hardware type 1 (RFC 826 / IANA), used when
	// Facts.HWType is zero.
	arpEthernet = 1
)

// Prefix gives the path prefix the configs and the files they name are
// relative to: option 210 when given, else the directory part of the boot
// file name. Like get_prefix() in PXELINUX, the directory part ends at the
// last character that cannot be part of a file name ([0-9A-Za-z.-]), so
// "s390x/pxelinux.0" gives "s390x/" and "pxelinux.0" gives "".
func Prefix(f Facts) string {
	if f.PathPrefix != "" {
		return f.PathPrefix
	}
	b := f.BootFile
	i := len(b)
	for i > 0 && isNameByte(b[i-1]) {
		i--
	}
	return b[:i]
}

func isNameByte(c byte) bool {
	c |= 0x20
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '.' || c == '-'
}

// ConfigNames gives the config files PXELINUX tries for f, in order; the
// first that exists is used:
//
//  1. option 209 (relative to the prefix) when given;
//  2. pxelinux.cfg/UUID when f.UUID is a valid 8-4-4-4-12 UUID;
//  3. pxelinux.cfg/01-aa-bb-cc-dd-ee-ff (ARP type and MAC) when f.MAC is set;
//  4. pxelinux.cfg/C0A80A05, C0A80A0, ..., C for an IPv4 f.IP;
//  5. pxelinux.cfg/default.
//
// All but URLs and host:: names are below Prefix(f). Over IPv6 step 4 is
// left out (PXELINUX has no hex names for IPv6 addresses): a client with
// DHCPv6 option 59 "tftp://[2001:db8::1]/s390x/pxelinux.0" tries
// tftp://[2001:db8::1]/s390x/pxelinux.cfg/UUID, .../01-MAC, then
// .../default.
func ConfigNames(f Facts) []Path {
	dir := workDir(Prefix(f))
	var names []string
	if f.ConfigFile != "" {
		names = append(names, f.ConfigFile)
	}
	if u, err := uuid.Parse(f.UUID); err == nil {
		names = append(names, configDir+u.String())
	}
	if len(f.MAC) > 0 {
		names = append(names, configDir+hwName(f))
	}
	if f.IP.Is4() {
		a := f.IP.As4()
		hex := fmt.Sprintf("%02X%02X%02X%02X", a[0], a[1], a[2], a[3])
		for n := hexIPDigits; n >= 1; n-- {
			names = append(names, configDir+hex[:n])
		}
	}
	names = append(names, configDir+defaultConfig)
	paths := make([]Path, len(names))
	for i, n := range names {
		paths[i] = Resolve(dir, n)
	}
	return paths
}

// hwName is "01-aa-bb-cc-dd-ee-ff": the ARP hardware type and the MAC in
// lower-case hex, as both the config name and BOOTIF= use it.
func hwName(f Facts) string {
	t := f.HWType
	if t == 0 {
		t = arpEthernet
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%02x", t)
	for _, c := range f.MAC {
		fmt.Fprintf(&b, "-%02x", c)
	}
	return b.String()
}
