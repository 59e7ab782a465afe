package platform

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/netconf"
)

// SettingPrefix starts every kernel command line option of the init.
const SettingPrefix = "pxeinit."

// CmdlineFile is the kernel command line.
const CmdlineFile = "proc/cmdline"

// DefaultNetTimeout bounds carrier wait plus DHCP when pxeinit.timeout
// is not given: QEMU's user network answers in well under a second, a
// real switch port with spanning tree takes up to 30 s to forward.
const DefaultNetTimeout = 60 * time.Second

// ErrBadSetting is returned (wrapped) for a pxeinit.* option whose value
// cannot be used.
var ErrBadSetting = errors.New("bad pxeinit setting")

// Settings are the init's options from the kernel command line:
//
//	pxeinit.iface=IF[,IF...]    use only these links (default: every Ethernet link)
//	pxeinit.ip=ADDR/PREFIX[,GATEWAY[,DNS...]]
//	                            static address instead of DHCP (netconf.ParseStatic);
//	                            needs pxeinit.server or pxeinit.config
//	pxeinit.server=ADDR         boot server, overriding DHCP (options 66, siaddr, 54)
//	pxeinit.prefix=DIR/         path prefix, overriding DHCP option 210 and the boot file's directory
//	pxeinit.config=URL          parse this config, skipping the lookup
//	                            (tftp://, http://, https://)
//	pxeinit.label=LABEL         boot this entry without asking
//	pxeinit.timeout=SECONDS     bound for carrier wait plus DHCP (default 60)
//	pxeinit.retry=SECONDS       wait before starting over after a failure, when
//	                            DHCP option 211 does not say (default 60; 0 = wait for a key)
//	pxeinit.qeth=R,W,D          group these OSA devices (repeatable; default: auto-detect)
//	pxeinit.debug               debug log on the console
//
// Anything else under the prefix gives a warning, not an error: a typo
// must not stop a machine from booting.
type Settings struct {
	Ifaces    []string
	Static    *netconf.Config
	Server    netip.Addr
	Prefix    string
	ConfigURL string
	Label     string
	// NetTimeout and Retry are zero when not set (use the defaults).
	NetTimeout time.Duration
	Retry      time.Duration
	RetrySet   bool
	Qeth       []QethGroup
	Debug      bool
}

// ParseCmdline reads the pxeinit.* options from a kernel command line.
// Options are separated by white space; a value may be double-quoted as
// the kernel allows (pxeinit.label="my entry"). It returns the settings
// from every option it understood, the warnings about unknown keys, and
// an error joining the problems with known keys (those keys keep their
// defaults).
func ParseCmdline(cmdline string) (s Settings, warnings []string, err error) {
	var errs []error
	for _, tok := range splitCmdline(cmdline) {
		key, val, hasVal := strings.Cut(tok, "=")
		name, ok := strings.CutPrefix(key, SettingPrefix)
		if !ok {
			continue
		}
		val = unquote(val)
		bad := func(why string, cause error) {
			e := fmt.Errorf("%w %s=%q: %s", ErrBadSetting, key, val, why)
			if cause != nil {
				e = fmt.Errorf("%w: %w", e, cause)
			}
			errs = append(errs, e)
		}
		need := func() bool {
			if !hasVal || val == "" {
				bad("needs a value", nil)
				return false
			}
			return true
		}
		switch name {
		case "iface":
			if need() {
				for _, f := range strings.Split(val, ",") {
					if f != "" {
						s.Ifaces = append(s.Ifaces, f)
					}
				}
			}
		case "ip":
			if need() {
				c, perr := netconf.ParseStatic(val)
				if perr != nil {
					bad("not ADDR/PREFIX[,GATEWAY[,DNS...]]", perr)
					continue
				}
				s.Static = &c
			}
		case "server":
			if need() {
				a, perr := netip.ParseAddr(val)
				if perr != nil || !a.Is4() {
					bad("not an IPv4 address", perr)
					continue
				}
				s.Server = a
			}
		case "prefix":
			if need() {
				s.Prefix = val
			}
		case "config":
			if need() {
				if !strings.Contains(val, "://") {
					bad("not a URL (tftp://, http:// or https://)", nil)
					continue
				}
				s.ConfigURL = val
			}
		case "label":
			if need() {
				s.Label = val
			}
		case "timeout", "retry":
			if need() {
				n, perr := strconv.ParseUint(val, 10, 32)
				if perr != nil {
					bad("not a number of seconds", nil)
					continue
				}
				d := time.Duration(n) * time.Second
				if name == "timeout" {
					if n == 0 {
						bad("must be at least 1 second", nil)
						continue
					}
					s.NetTimeout = d
				} else {
					s.Retry, s.RetrySet = d, true
				}
			}
		case "qeth":
			if need() {
				g, perr := ParseQethGroup(val)
				if perr != nil {
					bad("not three bus IDs", perr)
					continue
				}
				s.Qeth = append(s.Qeth, g)
			}
		case "debug":
			s.Debug = !hasVal || val == "1" || val == "yes" || val == "true"
		default:
			warnings = append(warnings, fmt.Sprintf("unknown setting %q ignored", tok))
		}
	}
	if s.Static != nil && !s.Server.IsValid() && s.ConfigURL == "" {
		errs = append(errs, fmt.Errorf("%w pxeinit.ip: a static address needs pxeinit.server or pxeinit.config (there is no DHCP to name a boot server)", ErrBadSetting))
	}
	return s, warnings, errors.Join(errs...)
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
