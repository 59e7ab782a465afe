package pxelinux

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Choice is what a command (DEFAULT, ONTIMEOUT, ONERROR, a line typed at
// the boot: prompt, a menu selection) boots: an entry plus extra options.
type Choice struct {
	// Entry is the label picked, or an implicit entry for a command that
	// names a kernel; nil when nothing boots.
	Entry *Entry
	// Args are the options after the label, appended to its command line.
	Args string
	// Command is the command as written or typed.
	Command string
}

// ErrNoEntry: a command names no label and the config forbids implicit
// kernels (IMPLICIT 0), or a number names no menu entry, or a command is
// empty where one is needed.
var ErrNoEntry = errors.New("pxelinux: no such entry")

// Command interprets a command as the boot: prompt does (load_kernel in
// com32/elflink/ldlinux/ldlinux.c): the first word is a label (case-
// sensitive, hidden ones too), else a menu number (Numbered), else, unless
// IMPLICIT 0, a kernel file; the rest are extra options. ALLOWOPTIONS 0
// drops options typed after a label or kernel, as PXELINUX's prompt does.
// An empty line is the Enter key: the menu's default entry with a UI,
// DEFAULT without.
func (c *Config) Command(line string) (Choice, error) {
	line = trimSpace(line)
	if line == "" {
		ch := c.enterChoice()
		if ch.Entry == nil {
			return ch, fmt.Errorf("empty command and no DEFAULT: %w", ErrNoEntry)
		}
		return ch, nil
	}
	ch, err := c.resolve(line)
	if err == nil && !c.AllowOptions {
		if ch.Entry.Implicit {
			ch.Entry = newEntry(ch.Entry.Label, "kernel", ch.Entry.Kernel, "", true, "", "", c.IPAppend, c.Dir)
			ch.Entry.Title, ch.Entry.Implicit = ch.Entry.Kernel, true
		}
		ch.Args = ""
	}
	return ch, err
}

// resolve turns a command into a choice without the ALLOWOPTIONS rule
// (DEFAULT, ONTIMEOUT and ONERROR come from the config, not the user).
func (c *Config) resolve(line string) (Choice, error) {
	line = trimSpace(line)
	word, rest := splitWord(line)
	if word == "" {
		return Choice{Command: line}, fmt.Errorf("empty command: %w", ErrNoEntry)
	}
	if e := c.Lookup(word); e != nil {
		return Choice{Entry: e, Args: rest, Command: line}, nil
	}
	if n, err := strconv.Atoi(word); err == nil {
		if list := c.Numbered(); n >= 1 && n <= len(list) {
			return Choice{Entry: list[n-1], Args: rest, Command: line}, nil
		}
	}
	if !c.Implicit {
		return Choice{Command: line}, fmt.Errorf("%q is not a label and IMPLICIT is 0: %w", word, ErrNoEntry)
	}
	// An implicit kernel gets the options given with it (new_linux_kernel
	// in kernel.c: not the global APPEND) and the global SYSAPPEND.
	e := newEntry(word, "kernel", word, rest, true, "", "", c.IPAppend, c.Dir)
	e.Title, e.Implicit = word, true
	return Choice{Entry: e, Command: line}, nil
}

// menuDefault is the entry the menu starts on: the DEFAULT label (when it
// is a visible label), else the top menu's MENU DEFAULT, else its first
// selectable entry.
func (c *Config) menuDefault() *Entry {
	if e := c.Lookup(firstWord(c.Default)); e != nil && !e.Hidden {
		return e
	}
	if c.Menu == nil {
		return nil
	}
	if c.Menu.Default != nil {
		return c.Menu.Default
	}
	for _, it := range c.Menu.Items {
		if it.Entry != nil && !it.Entry.Disabled {
			return it.Entry
		}
	}
	return nil
}

// enterChoice is what Enter on an empty line boots.
func (c *Config) enterChoice() Choice {
	if c.HasMenu() {
		e := c.menuDefault()
		if e == nil {
			return Choice{}
		}
		return Choice{Entry: e, Command: e.Label}
	}
	if c.Default == "" {
		return Choice{}
	}
	ch, _ := c.resolve(c.Default)
	return ch
}

// Autoboot is what boots when nobody touches the console.
type Autoboot struct {
	Choice
	// Wait is how long the menu or prompt waits first; 0 boots at once.
	Wait time.Duration
	// Forever: the menu or prompt waits for the user (TIMEOUT 0 and no
	// TOTALTIMEOUT, or nothing to boot). Wait is then 0.
	Forever bool
	// Via says which rule chose: "DEFAULT", "ONTIMEOUT", "menu default"
	// or "" when nothing boots.
	Via string
}

// Autoboot gives the unattended choice and the wait before it, following
// ldlinux's main() and enter_cmdline() and menu.c32's run_menu():
//
//   - no UI and PROMPT 0: the DEFAULT command runs at once; TIMEOUT and
//     ONTIMEOUT play no part;
//   - PROMPT 1 without UI: the boot: prompt waits TIMEOUT (capped by
//     TOTALTIMEOUT), then runs ONTIMEOUT if set, else DEFAULT;
//   - a menu (UI, or a DEFAULT naming menu.c32/vesamenu.c32, which then
//     runs after the above) waits the same time, then boots ONTIMEOUT if
//     set, else its default entry (the DEFAULT label, else MENU DEFAULT,
//     else the first entry).
//
// With no DEFAULT, no UI and nothing to time out to, PXELINUX shows the
// boot: prompt and waits: Forever is set and Entry is nil.
func (c *Config) Autoboot() Autoboot {
	wait, forever := c.wait()
	if c.UI != "" {
		return c.menuAutoboot(0)
	}
	var a Autoboot
	if c.Prompt {
		a.Wait, a.Forever = wait, forever
		if !forever && c.OnTimeout != "" {
			if ch, err := c.resolve(c.OnTimeout); err == nil {
				a.Choice, a.Via = ch, "ONTIMEOUT"
				return a
			}
		}
	}
	if c.Default == "" {
		return Autoboot{Forever: true}
	}
	if c.HasMenu() {
		if a.Forever {
			m := c.menuAutoboot(0)
			return Autoboot{Choice: m.Choice, Forever: true}
		}
		return c.menuAutoboot(a.Wait)
	}
	ch, err := c.resolve(c.Default)
	if err != nil {
		return Autoboot{Choice: ch, Forever: true}
	}
	a.Choice, a.Via = ch, "DEFAULT"
	if a.Forever {
		a.Via = ""
	}
	return a
}

// menuAutoboot is what the menu boots after its wait; before is the time
// the boot: prompt already waited.
func (c *Config) menuAutoboot(before time.Duration) Autoboot {
	wait, forever := c.wait()
	a := Autoboot{Wait: before + wait, Forever: forever}
	if forever {
		a.Wait = 0
	}
	if c.OnTimeout != "" && !forever {
		if ch, err := c.resolve(c.OnTimeout); err == nil {
			a.Choice, a.Via = ch, "ONTIMEOUT"
			return a
		}
	}
	if e := c.menuDefault(); e != nil {
		a.Choice = Choice{Entry: e, Command: e.Label}
		if !forever {
			a.Via = "menu default"
		}
		return a
	}
	return Autoboot{Forever: true}
}

// wait is min(TIMEOUT, TOTALTIMEOUT) where 0 means "none".
func (c *Config) wait() (time.Duration, bool) {
	t, tt := c.Timeout, c.TotalTimeout
	switch {
	case t == 0 && tt == 0:
		return 0, true
	case t == 0:
		return tt, false
	case tt == 0:
		return t, false
	}
	return min(t, tt), false
}

// OnErrorChoice gives what ONERROR runs after failed could not be loaded:
// the ONERROR command with the failed command line appended, as PXELINUX
// does. ok is false without ONERROR.
func (c *Config) OnErrorChoice(failed Choice) (ch Choice, ok bool) {
	if c.OnError == "" {
		return Choice{}, false
	}
	ch, err := c.resolve(joinNonEmpty(c.OnError, failed.Command))
	return ch, err == nil
}

// HasMenu reports whether a menu is shown: a UI module is set, or (older
// configs) DEFAULT names menu.c32 or vesamenu.c32 and no label of that
// name, which runs the menu of this same config.
func (c *Config) HasMenu() bool {
	if c.UI != "" {
		return true
	}
	w := firstWord(c.Default)
	return w != "" && isMenuModule(w) && c.Lookup(w) == nil
}
