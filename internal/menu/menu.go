// Package menu is the netboot client's console user interface: the
// PXELINUX menu and boot: prompt, and the small command prompt shown when
// nothing can boot. It is line mode only: no carriage returns and no
// cursor control, because the IBM Z SCLP consoles (and a serial log) show
// nothing else correctly. Every message is a whole line except the
// TIMEOUT countdown, one line that grows as the seconds left are appended
// (at most once a second, fewer when much time is left):
//
//	Type a number or a label (and kernel options) and Enter to boot it; Enter alone boots install.
//	Booting install in 30 s (menu default): 30 20 10 5 4 3 2 1
//	TIMEOUT: booting install
//
//	ui := menu.New(os.Stdin, os.Stdout, nil)
//	ch, err := ui.Choose(ctx, m) // SAY text, menu, countdown, boot: prompt
//	...
//	act, err := ui.Prompt(ctx, m, time.Minute, logLines)
//
// The menu is the boot menu model (package bootmenu), written by its one
// renderer (bootmenu.Render), so the console shows what `pxeboot plan
// --format text` shows. Input is read by lines (a line-mode console
// delivers nothing before Enter). Any input, even before its Enter, stops
// the TIMEOUT countdown; TOTALTIMEOUT is not stopped. A line is a command
// as the menu's source reads it (bootmenu.Menu.Typed; for PXELINUX the
// boot: prompt's rules): a label (hidden ones too) or a menu number, then
// extra kernel options; an empty line boots the default.
//
// # Security
//
// Console input is bounded to MaxLineLength bytes per line; longer lines
// are cut, never buffered without limit. Whoever has the console can boot
// anything the config allows (as with PXELINUX; MENU PASSWD is not
// supported and such entries are refused). Under signed boot (a Locked
// menu) kernel options typed at the menu or the prompt are refused with
// a message, unless the signed config allows them explicitly
// (ALLOWOPTIONS 1): the signature covers the command line.
package menu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// MaxLineLength bounds one line of console input (PXELINUX's command
// line buffer is 256 bytes; a kernel command line is at most 4096).
const MaxLineLength = 4096

// ErrNoInput is returned when the console input ends (EOF) while the menu
// waits for the user with no timeout to fall back on.
var ErrNoInput = errors.New("menu: console input closed")

// Clock is the time source; tests pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// UI reads the console and writes menus and prompts to it.
type UI struct {
	out   io.Writer
	clock Clock

	// A single reader goroutine owns in for the life of the UI: a Read
	// cannot be interrupted, so it must not be abandoned by one menu and
	// restarted by the next.
	lines    chan string
	activity chan struct{}
	done     chan struct{} // closed when in ends
	once     sync.Once
	in       io.Reader
}

// New returns a UI on the console in/out. A nil clock is the real one.
func New(in io.Reader, out io.Writer, clock Clock) *UI {
	if clock == nil {
		clock = realClock{}
	}
	return &UI{
		in:       in,
		out:      out,
		clock:    clock,
		lines:    make(chan string, 16),
		activity: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

func (u *UI) start() { u.once.Do(func() { go u.read() }) }

func (u *UI) read() {
	defer close(u.done)
	buf := make([]byte, 512)
	var line []byte
	for {
		n, err := u.in.Read(buf)
		if n > 0 {
			select {
			case u.activity <- struct{}{}:
			default:
			}
			for _, c := range buf[:n] {
				switch c {
				case '\n':
					u.lines <- string(bytes.TrimRight(line, "\r"))
					line = line[:0]
				default:
					if len(line) < MaxLineLength {
						line = append(line, c)
					}
				}
			}
		}
		if err != nil {
			if len(line) > 0 {
				u.lines <- string(line)
			}
			return
		}
	}
}

// drainActivity forgets key presses seen before now.
func (u *UI) drainActivity() {
	select {
	case <-u.activity:
	default:
	}
}

func (u *UI) printf(format string, args ...any) {
	fmt.Fprintf(u.out, format, args...)
}

// Show writes the text of m (DISPLAY files, SAY lines) and its menu, as
// bootmenu.Render writes them for the console.
func (u *UI) Show(m *bootmenu.Menu) {
	bootmenu.Render(u.out, m, bootmenu.Console)
}

// Choose shows m (Show) and returns what to boot, following m.Auto: a
// Quiet menu (PXELINUX: neither UI nor PROMPT 1) boots it at once;
// otherwise a countdown of TIMEOUT (one line, see the package doc) runs
// until it expires, input arrives, or TOTALTIMEOUT (which input does not
// stop) expires. Typed commands that name nothing, an entry that cannot
// be booted, or options a Locked menu refuses get a message and a boot:
// prompt. The result is always a Choice whose Why is "" (a Chain entry is
// for the caller to open with m.Rules.Follow).
func (u *UI) Choose(ctx context.Context, m *bootmenu.Menu) (bootmenu.Choice, error) {
	u.start()
	u.drainActivity()
	a := m.Auto
	if m.Quiet && a.Entry != nil {
		if why := a.Why(); why == "" {
			bootmenu.Render(u.out, m, bootmenu.Banner)
			return a.Choice, nil
		} else {
			u.printf("%s %s: %s\n", a.Via, a.Command, why)
		}
	}
	u.Show(m)

	hint := "Type a number or a label (and kernel options) and Enter to boot it"
	if m.Locked {
		hint = "Type a number or a label and Enter to boot it"
	}
	if m.Enter.Entry != nil {
		hint += "; Enter alone boots " + m.Enter.Entry.Label
	}
	u.printf("%s.\n", hint)

	var timeoutC, totalC, tickC <-chan time.Time
	var deadline time.Time
	var shown int // the last second shown on the countdown line
	if a.Entry != nil && !a.Forever {
		deadline = u.clock.Now().Add(a.Wait)
		timeoutC = u.clock.After(a.Wait)
		if m.TotalTimeout > 0 {
			totalC = u.clock.After(m.TotalTimeout)
		}
		u.printf("Booting %s in %s (%s):", a.Entry.Label, seconds(a.Wait), a.Via)
		shown = secondsLeft(a.Wait) + 1
		if a.Wait%time.Second != 0 {
			shown-- // "in 2.5 s:" is not followed by a 3
		}
		shown = u.countdown(shown, a.Wait)
		tickC = u.clock.After(untilNextSecond(a.Wait))
	} else {
		u.printf("boot: ")
	}
	done := u.done
	for {
		select {
		case <-ctx.Done():
			u.printf("\n")
			return bootmenu.Choice{}, ctx.Err()
		case <-tickC:
			left := deadline.Sub(u.clock.Now())
			shown = u.countdown(shown, left)
			tickC = u.clock.After(untilNextSecond(left))
		case <-timeoutC:
			u.printf("\nTIMEOUT: booting %s\n", a.Command)
			return u.autoboot(a)
		case <-totalC:
			// The cursor is at the end of the countdown line or of
			// a boot: prompt.
			u.printf("\nTOTALTIMEOUT: booting %s\n", a.Command)
			return u.autoboot(a)
		case <-u.activity:
			// A key before its Enter (a raw console) stops the
			// countdown; a line-mode console sends the whole line,
			// whose echo ends the countdown line.
			timeoutC, tickC = nil, nil
		case line := <-u.lines:
			// The console's echo of the typed line ended the
			// countdown line or the boot: prompt.
			timeoutC, tickC = nil, nil
			if ch, ok := u.typed(m, line); ok {
				return ch, nil
			}
			u.printf("boot: ")
		case <-done:
			// Lines still buffered are read first (above); after that
			// there is no more input.
			if len(u.lines) == 0 {
				done = nil
				if timeoutC == nil && totalC == nil {
					u.printf("\n")
					return bootmenu.Choice{}, ErrNoInput
				}
			}
		}
	}
}

// typed is the choice a line typed at the boot: or pxeinit> prompt
// makes, when it can boot; otherwise typed writes why not (the line
// and its error, or the reason the entry cannot boot) and returns false.
func (u *UI) typed(m *bootmenu.Menu, line string) (bootmenu.Choice, bool) {
	ch, err := m.Typed(line)
	if err != nil {
		u.printf("%s: %v\n", line, err)
		return ch, false
	}
	if why := ch.Why(); why != "" {
		u.printf("%s\n", why)
		return ch, false
	}
	return ch, true
}

// countdown appends to the countdown line the marks (countdownMark) from
// below shown down to the seconds left, so that a tick that comes late
// (a busy machine) leaves no gap, and returns the last second shown.
func (u *UI) countdown(shown int, left time.Duration) int {
	s := max(secondsLeft(left), 1)
	for m := shown - 1; m >= s; m-- {
		if countdownMark(m) {
			u.printf(" %d", m)
		}
	}
	return min(shown, s)
}

// secondsLeft is left in whole seconds, rounded up.
func secondsLeft(left time.Duration) int {
	return int((left + time.Second - 1) / time.Second)
}

// untilNextSecond is the time from left to the next whole second before
// the deadline, when the countdown shows the next number.
func untilNextSecond(left time.Duration) time.Duration {
	if left <= time.Second {
		return left + time.Second // after the deadline: TIMEOUT comes first
	}
	return left - time.Duration(secondsLeft(left)-1)*time.Second
}

// countdownMark reports whether the countdown shows s seconds left: each
// of the last 5, every 10 up to a minute, then every minute, so that a
// 5-minute TIMEOUT adds 15 numbers to the line, not 300.
func countdownMark(s int) bool {
	return s <= 5 || (s <= 60 && s%10 == 0) || s%60 == 0
}

func (u *UI) autoboot(a bootmenu.Auto) (bootmenu.Choice, error) {
	if why := a.Why(); why != "" {
		// Nothing sensible to do unattended: the caller falls back to
		// its command prompt.
		return a.Choice, fmt.Errorf("%s %s: %s: %w", a.Via, a.Command, why, ErrNotUsable)
	}
	return a.Choice, nil
}

// ErrNotUsable is returned by Choose when the unattended choice is an
// entry the client cannot boot (LOCALBOOT, a COM32 module).
var ErrNotUsable = errors.New("entry cannot be booted")

// seconds formats d for a message: "30 s", or "2.5 s" when it is no
// whole number of seconds.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
