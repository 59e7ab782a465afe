// Package settings holds the netboot init's options, the pxeinit.*
// words of the kernel command line (`mks390image --cmdline`): the one
// table of them (Table), their parser (Parse) and their description
// (Doc), which the README and the package docs of cmd/pxeinit show; a
// test holds the README to Doc.
//
//	s, warnings, err := settings.Parse(cmdline) // from /proc/cmdline
//
// # Security
//
// The kernel command line is typed by an administrator or set by the
// boot loader: Parse rejects bad values with an error naming the key and
// never panics. Anything else under the prefix gives a warning, not an
// error: a typo must not stop a machine from booting.
package settings

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/platform"
)

// Prefix starts every kernel command line option of the init.
const Prefix = "pxeinit."

// CmdlineFile is the kernel command line, below the root of /proc's
// mount ("/").
const CmdlineFile = "proc/cmdline"

// DefaultNetTimeout bounds carrier wait plus DHCP when pxeinit.timeout
// is not given: QEMU's user network answers in well under a second, a
// real switch port with spanning tree takes up to 30 s to forward.
const DefaultNetTimeout = 60 * time.Second

// Boot sources of pxeinit.boot=, and the default order.
const (
	SourceNet  = "net"
	SourceDisk = "disk"
)

// DefaultBoot is the order of the boot sources when pxeinit.boot is not
// given: the network's config decides when there is one, else the
// disks' default.
var DefaultBoot = []string{SourceNet, SourceDisk}

// DefaultDiskWait bounds the wait for disks that appear late (USB, a
// slow SCSI bus, DASDs coming online) when pxeinit.diskwait is not
// given; the disks found by then are used.
const DefaultDiskWait = 3 * time.Second

// ErrBadSetting is returned (wrapped) for a pxeinit.* option whose value
// cannot be used.
var ErrBadSetting = errors.New("bad pxeinit setting")

// Settings are the init's options; each field is set by the row of Table
// that names it.
type Settings struct {
	Ifaces []string
	// VLANs are the 802.1Q VLANs to run DHCP on, in the order given
	// (pxeinit.vlan=); none means the links themselves.
	VLANs []netconf.VLAN
	// IPVersion is 4 or 6 to use only that protocol; 0 runs both.
	IPVersion int
	Static    *netconf.Config
	Server    netip.Addr
	Prefix    string
	ConfigURL string
	Label     string
	// NetTimeout and Retry are zero when not set (use the defaults).
	NetTimeout time.Duration
	Retry      time.Duration
	RetrySet   bool
	// Boot are the boot sources in order (nil: DefaultBoot); DiskWait
	// is the bound for late disks (DiskWaitSet false: DefaultDiskWait).
	Boot        []string
	DiskWait    time.Duration
	DiskWaitSet bool
	Qeth        []platform.QethGroup
	Debug       bool
}

// Sources are the boot sources in order: Boot, or DefaultBoot.
func (s Settings) Sources() []string {
	if s.Boot == nil {
		return DefaultBoot
	}
	return s.Boot
}

// DiskWaitOr is the bound for late disks: DiskWait when set, else
// DefaultDiskWait.
func (s Settings) DiskWaitOr() time.Duration {
	if s.DiskWaitSet {
		return s.DiskWait
	}
	return DefaultDiskWait
}

// Setting is one row of Table.
type Setting struct {
	// Name is the word after the prefix; Value the form of its value
	// ("" for a flag: on when written alone, else "1", "yes", "true").
	Name, Value string
	// Doc says what it does, one line per element.
	Doc []string
	// set stores val in s or says why it cannot (a reason, and a cause
	// or nil).
	set func(s *Settings, val string) (why string, cause error)
}

// Table is every pxeinit.* setting, in the order Doc lists them.
var Table = []Setting{
	{Name: "iface", Value: "IF[,IF...]", Doc: []string{"use only these links (default: every Ethernet link)"},
		set: func(s *Settings, val string) (string, error) {
			for _, f := range strings.Split(val, ",") {
				if f != "" {
					s.Ifaces = append(s.Ifaces, f)
				}
			}
			return "", nil
		}},
	{Name: "vlan", Value: "[IF.]ID[,...]", Doc: []string{"802.1Q VLAN ID (1 to 4094) on every link used, or IF.ID on",
		"link IF only: make the link IF.ID and run DHCP (or pxeinit.ip)",
		"on it (repeatable; needs the kernel's 8021q module)"},
		set: func(s *Settings, val string) (string, error) {
			vs, err := netconf.ParseVLANs(val)
			if err != nil {
				return "not ID or IF.ID with an ID from 1 to 4094", err
			}
			for _, v := range vs {
				if !slices.Contains(s.VLANs, v) {
					s.VLANs = append(s.VLANs, v)
				}
			}
			return "", nil
		}},
	{Name: "ipv", Value: "4|6", Doc: []string{"only DHCPv4, or only IPv6 (router advertisements, DHCPv6);",
		"default both at once, the first lease with boot information wins"},
		set: func(s *Settings, val string) (string, error) {
			switch val {
			case "4", "6":
				s.IPVersion = int(val[0] - '0')
				return "", nil
			}
			return "not 4 or 6", nil
		}},
	{Name: "ip", Value: "ADDR/PREFIX[,GATEWAY[,DNS...]]", Doc: []string{"static IPv4 or IPv6 address instead of DHCP, e.g. 2001:db8::5/64,fe80::1;",
		"needs pxeinit.server or pxeinit.config"},
		set: func(s *Settings, val string) (string, error) {
			c, err := netconf.ParseStatic(val)
			if err != nil {
				return "not ADDR/PREFIX[,GATEWAY[,DNS...]]", err
			}
			s.Static = &c
			return "", nil
		}},
	{Name: "server", Value: "ADDR", Doc: []string{"boot server, overriding DHCP (options 66, siaddr, 54; the host of",
		"DHCPv6 option 59); IPv4 or IPv6, link-local with its zone: fe80::1%eth0"},
		set: func(s *Settings, val string) (string, error) {
			a, err := netip.ParseAddr(val)
			if err != nil || a.IsUnspecified() || a.IsMulticast() || a.Is4In6() || a.Zone() != "" && !a.IsLinkLocalUnicast() {
				return "not a unicast IPv4 or IPv6 address", err
			}
			s.Server = a
			return "", nil
		}},
	{Name: "prefix", Value: "DIR/", Doc: []string{"path prefix, overriding DHCP option 210 and the boot file's directory"},
		set: func(s *Settings, val string) (string, error) { s.Prefix = val; return "", nil }},
	{Name: "config", Value: "URL", Doc: []string{"parse this config, skipping the lookup (tftp://, http://, https://)"},
		set: func(s *Settings, val string) (string, error) {
			if !strings.Contains(val, "://") {
				return "not a URL (tftp://, http:// or https://)", nil
			}
			s.ConfigURL = val
			return "", nil
		}},
	{Name: "label", Value: "LABEL", Doc: []string{"boot this entry without asking"},
		set: func(s *Settings, val string) (string, error) { s.Label = val; return "", nil }},
	{Name: "timeout", Value: "SECONDS", Doc: []string{"bound for carrier wait plus DHCP (default 60)"},
		set: seconds(1, func(s *Settings, d time.Duration) { s.NetTimeout = d })},
	{Name: "retry", Value: "SECONDS", Doc: []string{"wait before starting over after a failure, when",
		"DHCP option 211 does not say (default 60; 0 = wait for a key)"},
		set: seconds(0, func(s *Settings, d time.Duration) { s.Retry, s.RetrySet = d, true })},
	{Name: "boot", Value: "SOURCES", Doc: []string{"where to look for entries, in order: net, disk or both (default",
		"net,disk: the network's default, else the disks'; all are listed)"},
		set: func(s *Settings, val string) (string, error) {
			var list []string
			for _, f := range strings.Split(val, ",") {
				switch {
				case f != SourceNet && f != SourceDisk:
					return fmt.Sprintf("%q is no boot source (net, disk)", f), nil
				case slices.Contains(list, f):
					return fmt.Sprintf("%s named twice", f), nil
				}
				list = append(list, f)
			}
			s.Boot = list
			return "", nil
		}},
	{Name: "diskwait", Value: "SECONDS", Doc: []string{"bound for disks that appear late (default 3; 0 = only those there)"},
		set: seconds(0, func(s *Settings, d time.Duration) { s.DiskWait, s.DiskWaitSet = d, true })},
	{Name: "qeth", Value: "R,W,D", Doc: []string{"group these OSA devices (repeatable; default: auto-detect)"},
		set: func(s *Settings, val string) (string, error) {
			g, err := platform.ParseQethGroup(val)
			if err != nil {
				return "not three bus IDs", err
			}
			s.Qeth = append(s.Qeth, g)
			return "", nil
		}},
	{Name: "debug", Doc: []string{"debug log on the console"},
		set: func(s *Settings, val string) (string, error) {
			s.Debug = val == "" || val == "1" || val == "yes" || val == "true"
			return "", nil
		}},
}

// seconds is the setter of a setting given in whole seconds, no fewer
// than least.
func seconds(least uint64, store func(*Settings, time.Duration)) func(*Settings, string) (string, error) {
	return func(s *Settings, val string) (string, error) {
		n, err := strconv.ParseUint(val, 10, 32)
		switch {
		case err != nil:
			return "not a number of seconds", nil
		case n < least:
			return fmt.Sprintf("must be at least %d second", least), nil
		}
		store(s, time.Duration(n)*time.Second)
		return "", nil
	}
}

// docColumn is where the description of a setting starts in Doc.
const docColumn = 28

// Doc is Table as text, one setting a line (or two, when its form is
// long), as the README shows it:
//
//	pxeinit.iface=IF[,IF...]    use only these links (default: every Ethernet link)
func Doc() string {
	var b strings.Builder
	pad := strings.Repeat(" ", docColumn)
	for _, s := range Table {
		key := Prefix + s.Name
		if s.Value != "" {
			key += "=" + s.Value
		}
		b.WriteString(key)
		if len(key) < docColumn {
			b.WriteString(pad[len(key):])
		} else {
			b.WriteString("\n" + pad)
		}
		b.WriteString(strings.Join(s.Doc, "\n"+pad) + "\n")
	}
	return b.String()
}

// Parse reads the pxeinit.* options from a kernel command line. Options
// are separated by white space; a value may be double-quoted as the
// kernel allows (pxeinit.label="my entry"). It returns the settings from
// every option it understood, the warnings about unknown keys, and an
// error joining the problems with known keys (those keys keep their
// defaults).
func Parse(cmdline string) (s Settings, warnings []string, err error) {
	var errs []error
	for _, tok := range splitCmdline(cmdline) {
		key, val, hasVal := strings.Cut(tok, "=")
		name, ok := strings.CutPrefix(key, Prefix)
		if !ok {
			continue
		}
		val = unquote(val)
		row := lookup(name)
		if row == nil {
			warnings = append(warnings, fmt.Sprintf("unknown setting %q ignored", tok))
			continue
		}
		why, cause := "needs a value", error(nil)
		switch {
		case row.Value == "" && hasVal && val == "":
			why, cause = row.set(&s, "0") // "pxeinit.debug=" is off
		case row.Value == "" || hasVal && val != "":
			why, cause = row.set(&s, val)
		}
		if why != "" {
			e := fmt.Errorf("%w %s=%q: %s", ErrBadSetting, key, val, why)
			if cause != nil {
				e = fmt.Errorf("%w: %w", e, cause)
			}
			errs = append(errs, e)
		}
	}
	if s.Static != nil && !s.Server.IsValid() && s.ConfigURL == "" {
		errs = append(errs, fmt.Errorf("%w pxeinit.ip: a static address needs pxeinit.server or pxeinit.config (there is no DHCP to name a boot server)", ErrBadSetting))
	}
	return s, warnings, errors.Join(errs...)
}

func lookup(name string) *Setting {
	for i := range Table {
		if Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}

// splitCmdline splits at white space outside double quotes, as the
// kernel's next_arg does.
func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			cur.WriteByte(c)
			have = true
		case !inQuote && (c == ' ' || c == '\t' || c == '\n'):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

func unquote(v string) string {
	return strings.ReplaceAll(v, `"`, "")
}
