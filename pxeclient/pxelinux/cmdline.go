package pxelinux

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/uuid"
)

// IPAPPEND/SYSAPPEND bits (enum syslinux_sysappend in
// com32/include/syslinux/sysappend.h: bit n selects string n).
const (
	SysAppendIP      uint32 = 1 << 0 // ip=client:server:gateway:netmask (IPv6: ip=[client]::[gateway]:prefixlen:::none)
	SysAppendBootIF  uint32 = 1 << 1 // BOOTIF=01-aa-bb-cc-dd-ee-ff
	SysAppendSysUUID uint32 = 1 << 2 // SYSUUID=uuid
	SysAppendCPU     uint32 = 1 << 3 // CPU=... (x86 CPUID; from Facts.Sys)
	// Bits 4..18 are DMI strings (SYSVENDOR=, SYSPRODUCT=, ..., SYSFF=,
	// FSUUID=); they come from Facts.Sys when the platform has them.
	sysAppendBits = 19 // SYSAPPEND_MAX
)

// SysAppend gives the strings the IPAPPEND/SYSAPPEND mask adds to a
// command line, in bit order. Bits whose data f lacks add nothing (bit 1
// always has data: unknown addresses are written 0.0.0.0, as PXELINUX
// writes its unset fields).
//
// When the lease came over a VLAN (f.VLAN), the target must make that
// VLAN link too, so bit 1 writes dracut's full form naming the link,
// ip=CLIENT::GATEWAY:NETMASK::NAME:none (no peer: dracut would make a
// point-to-point address of PXELINUX's server field; no gateway field
// when there is none), and bit 1 or 2 add vlan=NAME:PARENT once, after
// BOOTIF=, as dracut.cmdline(7) reads it. BOOTIF= stays the MAC, which
// the VLAN link shares with its parent.
func (f Facts) SysAppend(mask uint32) []string {
	var out []string
	vlan := f.VLAN.valid()
	for bit := 0; bit < sysAppendBits; bit++ {
		b := uint32(1) << bit
		if b == SysAppendSysUUID && vlan && mask&(SysAppendIP|SysAppendBootIF) != 0 {
			out = append(out, "vlan="+f.VLAN.Name+":"+f.VLAN.Parent)
		}
		if mask&b == 0 {
			continue
		}
		var s string
		switch b {
		case SysAppendIP:
			s = ipOption(f, vlan)
		case SysAppendBootIF:
			if len(f.MAC) > 0 {
				s = "BOOTIF=" + hwName(f)
			}
		case SysAppendSysUUID:
			if u, err := uuid.Parse(f.UUID); err == nil {
				s = "SYSUUID=" + u.String()
			}
		default:
			s = sysString(f.Sys[b])
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// valid reports whether v names a VLAN link and its parent with names
// that are link names (netconf.ValidLinkName), so safe on a command line.
func (v VLAN) valid() bool {
	return v.ID != 0 && netconf.ValidLinkName(v.Name) && netconf.ValidLinkName(v.Parent)
}

// ipOption is the ip= string of bit 1. For IPv4 it is PXELINUX's
// "ip=client:server:gateway:netmask" (unknown fields 0.0.0.0). The
// kernel's own ip= has no IPv6 form; for an IPv6 client address it is
// dracut's static form (dracut.cmdline(7): IPv6 addresses in brackets,
// the netmask field as a prefix length):
//
//	ip=[2001:db8::50]::[fe80::1]:128:::none
//
// with no peer (PXELINUX's server field means a point-to-point peer to
// dracut), the gateway without its zone (empty when unknown: the
// router advertisement gives it), no host name and no interface
// (dracut takes the BOOTIF= of bit 2 to find it). Over a VLAN (see
// SysAppend) both forms name the VLAN link, which dracut must make.
func ipOption(f Facts, vlan bool) string {
	link := ""
	if vlan {
		link = f.VLAN.Name
	}
	if !f.IP.Is6() || f.IP.Is4In6() {
		if !vlan {
			return fmt.Sprintf("ip=%s:%s:%s:%s", quad(f.IP), quad(f.Server), quad(f.Gateway), quad(f.Netmask))
		}
		gw := ""
		if f.Gateway.Is4() && !f.Gateway.IsUnspecified() {
			gw = f.Gateway.String()
		}
		return fmt.Sprintf("ip=%s::%s:%s::%s:none", quad(f.IP), gw, quad(f.Netmask), link)
	}
	gw := ""
	if f.Gateway.Is6() {
		gw = "[" + f.Gateway.WithZone("").String() + "]"
	}
	bits := f.PrefixLen
	if bits <= 0 || bits > 128 {
		bits = 128
	}
	return fmt.Sprintf("ip=[%s]::%s:%d::%s:none", f.IP.WithZone(""), gw, bits, link)
}

func quad(a netip.Addr) string {
	if !a.Is4() {
		return "0.0.0.0"
	}
	return a.String()
}

// sysString is copy_sysappend_string (readconfig.c): runs of white space
// become one '_', leading and trailing white space go.
func sysString(s string) string {
	var b strings.Builder
	space := true
	pending := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isSpace(c) {
			if !space {
				pending = true
			}
			space = true
			continue
		}
		if pending {
			b.WriteByte('_')
			pending = false
		}
		b.WriteByte(c)
		space = false
	}
	return b.String()
}

// rawArgs is the command line after the image name as PXELINUX builds it:
// APPEND, initrd= from INITRD, the sysappend strings, then extra options.
func (e *Entry) rawArgs(f Facts, extra string) string {
	parts := []string{e.Append}
	if e.initrd != "" {
		parts = append(parts, "initrd="+e.initrd)
	}
	parts = append(parts, f.SysAppend(e.IPAppend)...)
	parts = append(parts, extra)
	return joinNonEmpty(parts...)
}

// Cmdline gives the complete kernel command line kexec passes for e with
// the facts f (see the package doc: BOOT_IMAGE= first, initrd= removed).
// For entries kexec cannot boot it gives the options the image would get.
func (e *Entry) Cmdline(f Facts) string { return Choice{Entry: e}.Cmdline(f) }

// Cmdline gives the complete command line of the choice: the entry's
// options, its IPAPPEND strings, then the extra options typed.
func (ch Choice) Cmdline(f Facts) string {
	e := ch.Entry
	if e == nil || e.Kind == KindLocalBoot {
		return ""
	}
	var out []string
	if e.Kind == KindLinux {
		out = append(out, "BOOT_IMAGE="+e.Kernel)
	}
	for _, tok := range tokens(e.rawArgs(f, ch.Args)) {
		if e.Kind == KindLinux && strings.HasPrefix(tok, "initrd=") {
			continue
		}
		out = append(out, tok)
	}
	return strings.Join(out, " ")
}

// Initrds gives the initrds of the choice: the files of the first initrd=
// option in its command line (INITRD adds one after APPEND), as PXELINUX
// loads them.
func (ch Choice) Initrds(f Facts) []Path {
	if ch.Entry == nil || ch.Entry.Kind != KindLinux {
		return nil
	}
	return initrdsOf(ch.Entry.rawArgs(f, ch.Args), ch.Entry.dir)
}

func initrdsOf(line, dir string) []Path {
	for _, tok := range tokens(line) {
		v, ok := strings.CutPrefix(tok, "initrd=")
		if !ok {
			continue
		}
		var out []Path
		for _, n := range strings.Split(v, ",") {
			if n != "" {
				out = append(out, Resolve(dir, n))
			}
		}
		return out
	}
	return nil
}

// tokens splits a command line at white space outside double quotes, as
// the kernel's next_arg() does.
func tokens(s string) []string {
	var out []string
	for {
		s = skipSpace(s)
		if s == "" {
			return out
		}
		quoted := false
		i := 0
		for ; i < len(s); i++ {
			if s[i] == '"' {
				quoted = !quoted
			}
			if !quoted && isSpace(s[i]) {
				break
			}
		}
		out = append(out, s[:i])
		s = s[i:]
	}
}
