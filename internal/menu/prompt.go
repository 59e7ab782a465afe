package menu

import (
	"context"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// ActionKind is what the user asked for at the command prompt.
type ActionKind int

const (
	// Retry starts over from the network configuration (DHCP).
	Retry ActionKind = iota
	// Boot boots Action.Choice.
	Boot
	// Reboot restarts the machine.
	Reboot
	// Poweroff turns it off.
	Poweroff
)

func (k ActionKind) String() string {
	switch k {
	case Retry:
		return "retry"
	case Boot:
		return "boot"
	case Reboot:
		return "reboot"
	case Poweroff:
		return "poweroff"
	}
	return "unknown"
}

// Action is the result of Prompt.
type Action struct {
	Kind   ActionKind
	Choice bootmenu.Choice
	// Timeout is set when Retry was chosen because nobody typed anything.
	Timeout bool
}

// PromptHelp lists the commands of Prompt.
const PromptHelp = `commands:
  retry               start over from DHCP
  list                show the menu of the last config
  boot LABEL [args]   boot an entry (or a menu number) with extra kernel options
  LABEL [args]        the same, for a label or number that is no command
  log                 show the log
  reboot, poweroff
`

// Prompt is the command prompt offered when nothing could boot. m is the
// last menu read, or nil when there is none: it is shown again and a
// label or menu number typed alone boots as with the boot command (both
// read through m.Typed, so a Locked menu refuses typed options). log
// gives the lines of the log for the log command. After retryAfter without input (0: never) it
// returns a Retry action with Timeout set; any input stops that clock.
// When the console input ends it returns Retry too: an unattended machine
// keeps trying.
func (u *UI) Prompt(ctx context.Context, c *bootmenu.Menu, retryAfter time.Duration, log func() []string) (Action, error) {
	u.start()
	u.drainActivity()
	what := "a command"
	if c != nil {
		u.showChoices(c)
		what = "a label to boot or a command"
	}
	var timeoutC, tickC <-chan time.Time
	var deadline time.Time
	if retryAfter > 0 {
		deadline = u.clock.Now().Add(retryAfter)
		timeoutC = u.clock.After(retryAfter)
		tickC = u.clock.After(time.Second)
		u.printf("Nothing booted. Starting over in %s unless you type %s (help lists them).\n", seconds(retryAfter), what)
	} else {
		u.printf("Nothing booted. Type %s (help lists them).\n", what)
	}
	u.printf("pxeinit> ")
	done := u.done
	for {
		select {
		case <-ctx.Done():
			u.printf("\n")
			return Action{}, ctx.Err()
		case <-tickC:
			left := deadline.Sub(u.clock.Now())
			if s := secondsLeft(left); s > 0 && (s <= 5 || s%30 == 0) {
				u.printf("\nStarting over in %d s\npxeinit> ", s)
			}
			tickC = u.clock.After(time.Second)
		case <-timeoutC:
			u.printf("\nstarting over\n")
			return Action{Kind: Retry, Timeout: true}, nil
		case <-u.activity:
			timeoutC, tickC = nil, nil
		case <-done:
			// No more input: an unattended machine keeps trying, after
			// the retry time when there is one.
			if len(u.lines) == 0 {
				done = nil
				if timeoutC == nil {
					u.printf("\nconsole input closed: starting over\n")
					return Action{Kind: Retry}, nil
				}
			}
		case line := <-u.lines:
			timeoutC, tickC = nil, nil
			cmd, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
			rest = strings.TrimSpace(rest)
			switch cmd {
			case "":
			case "retry":
				return Action{Kind: Retry}, nil
			case "reboot":
				return Action{Kind: Reboot}, nil
			case "poweroff", "halt":
				return Action{Kind: Poweroff}, nil
			case "help", "?":
				u.printf("%s", PromptHelp)
			case "log":
				if log != nil {
					for _, l := range log() {
						u.printf("%s\n", l)
					}
				}
			case "list":
				if c == nil {
					u.printf("no config was read\n")
				} else {
					u.Show(c)
				}
			case "boot":
				if c == nil {
					u.printf("no config was read: retry first\n")
					break
				}
				if rest == "" {
					u.printf("boot what? boot LABEL [options]\n")
					break
				}
				if ch, ok := u.typed(c, rest); ok {
					return Action{Kind: Boot, Choice: ch}, nil
				}
			default:
				// A label or menu number alone; not an implicit
				// kernel: a mistyped command must not fetch a file.
				if c != nil {
					ch, err := c.Typed(line)
					if ch.Entry != nil && isListed(c, ch.Entry) {
						switch why := ch.Why(); {
						case err != nil:
							u.printf("%s: %v\n", line, err)
						case why != "":
							u.printf("%s\n", why)
						default:
							return Action{Kind: Boot, Choice: ch}, nil
						}
						break
					}
				}
				u.printf("unknown command %q\n%s", cmd, PromptHelp)
			}
			u.printf("pxeinit> ")
		}
	}
}

// showChoices writes what can be booted from m: its menu as Show writes
// it, without the DISPLAY and SAY text.
func (u *UI) showChoices(m *bootmenu.Menu) {
	bootmenu.Render(u.out, m, bootmenu.Items)
}

// isListed reports whether e is an entry of m (not one a command made
// up, as a PXELINUX implicit kernel).
func isListed(m *bootmenu.Menu, e *bootmenu.Entry) bool {
	for _, x := range m.Entries {
		if x == e {
			return true
		}
	}
	return false
}
