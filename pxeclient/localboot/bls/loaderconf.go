package bls

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Errors of loader.conf (warnings).
var (
	// ErrSavedDefault: "default @saved" names the entry systemd-boot
	// keeps in an EFI variable. This client reads no EFI variables (and
	// writes none): the first entry is the default instead.
	ErrSavedDefault = errors.New("bls: default @saved needs the EFI variable systemd-boot saves, which this client does not read")
	// ErrNoMatch: loader.conf's default matches no bootable entry; the
	// first entry is the default instead.
	ErrNoMatch = errors.New("bls: default matches no bootable entry")
)

// MenuMode is how loader.conf's timeout shows the menu.
type MenuMode int

const (
	// MenuTimeout shows the menu for Timeout, then boots the default.
	MenuTimeout MenuMode = iota
	// MenuHidden boots the default at once without a menu ("timeout 0",
	// "timeout menu-hidden", and systemd-boot's default without a
	// timeout key); a key held at power-on shows it.
	MenuHidden
	// MenuDisabled is MenuHidden without a way to show the menu
	// ("timeout menu-disabled").
	MenuDisabled
	// MenuForce shows the menu without a timeout ("timeout menu-force").
	MenuForce
)

// LoaderConf is systemd-boot's loader/loader.conf (loader.conf(5)): what
// a boot menu of the entries takes from it.
type LoaderConf struct {
	// Path is the file.
	Path string
	// Default is the glob pattern of the default entry's ID ("" when
	// not given); DefaultLine its line.
	Default     string
	DefaultLine int
	// Timeout is how long the menu shows before the default boots when
	// Mode is MenuTimeout.
	Timeout     time.Duration
	Mode        MenuMode
	TimeoutLine int
	// Editor is the editor key: typed kernel options allowed. EditorSet
	// says it was written (systemd-boot's default is yes).
	Editor, EditorSet bool
	EditorLine        int
}

// loaderKeys are the keys of loader.conf(5) that concern systemd-boot's
// own screen, firmware and EFI variables, ignored without a warning.
var loaderKeys = map[string]bool{
	"console-mode": true, "auto-entries": true, "auto-firmware": true, "auto-poweroff": true,
	"auto-reboot": true, "beep": true, "secure-boot-enroll": true, "secure-boot-enroll-action": true,
	"secure-boot-enroll-timeout-sec": true, "reboot-for-bitlocker": true, "reboot-on-error": true,
	"random-seed-mode": true, "log-level": true, "splash": true,
}

// maxTimeoutSeconds bounds the timeout (systemd-boot reads it into a
// 32-bit number).
const maxTimeoutSeconds = math.MaxUint32

// ParseLoaderConf reads loader.conf: name is the file for the warnings
// (*Warning values naming it and the line). Unknown keys are warnings;
// the keys systemd-boot uses for its own screen and the firmware are
// ignored.
func ParseLoaderConf(name string, data []byte) (*LoaderConf, []error) {
	c := &LoaderConf{Path: name, Mode: MenuHidden, Editor: true}
	warns := warnList{max: maxFileWarnings}
	warn := func(n int, err error) { warns.add(&Warning{File: name, Line: n, Err: err}) }
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return c, []error{&Warning{File: name, Line: 1 + bytes.Count(data[:i], []byte("\n")), Err: fmt.Errorf("%w: a NUL byte at offset %d", ErrNotText, i)}}
	}
	for n, line := range bytes.Split(data, []byte("\n")) {
		n++
		key, value := splitKey(string(line))
		if key == "" || key[0] == '#' {
			continue
		}
		if value == "" {
			warn(n, fmt.Errorf("%w: %s", ErrNoValue, clip(key)))
			continue
		}
		switch key {
		case "default":
			c.Default, c.DefaultLine = value, n
		case "timeout":
			mode, d, err := parseTimeout(value)
			if err != nil {
				warn(n, err)
				continue
			}
			c.Mode, c.Timeout, c.TimeoutLine = mode, d, n
		case "editor":
			b, err := parseBool(value)
			if err != nil {
				warn(n, fmt.Errorf("editor: %w", err))
				continue
			}
			c.Editor, c.EditorSet, c.EditorLine = b, true, n
		default:
			if !loaderKeys[key] {
				warn(n, fmt.Errorf("%w: %q", ErrUnknownKey, clip(key)))
			}
		}
	}
	return c, warns.result(name)
}

// parseTimeout reads timeout's value: seconds or one of the menu-*
// words.
func parseTimeout(v string) (MenuMode, time.Duration, error) {
	switch v {
	case "menu-force":
		return MenuForce, 0, nil
	case "menu-hidden":
		return MenuHidden, 0, nil
	case "menu-disabled":
		return MenuDisabled, 0, nil
	}
	s, err := strconv.ParseUint(v, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, 0, fmt.Errorf("%w: timeout %q is not a number of seconds or menu-force, menu-hidden, menu-disabled", ErrBadValue, clip(v))
	}
	if s == 0 && err == nil {
		return MenuHidden, 0, nil
	}
	return MenuTimeout, time.Duration(min(s, maxTimeoutSeconds)) * time.Second, nil
}

// parseBool reads a boolean as loader.conf(5) writes them.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "y", "true", "t", "on", "1":
		return true, nil
	case "no", "n", "false", "f", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q is not a boolean (yes/no, true/false, on/off, 1/0)", ErrBadValue, clip(v))
}

// savedDefault is the default that names systemd-boot's saved entry.
const savedDefault = "@saved"

// Match reports whether id (an entry ID, or the ID with its suffix)
// matches loader.conf's default pattern as systemd-boot matches it: '*'
// any run of characters, '?' any one, "[a-z0-9]" one of a set with
// ranges (no negation), '\' escaping the next character; ASCII letters
// compared case-insensitively. Time is at most len(pattern)·len(id).
func Match(pattern, id string) bool {
	pi, si := 0, 0
	star, starS := -1, 0 // the last '*' and where in id it took over
	for si < len(id) {
		if pi < len(pattern) && pattern[pi] == '*' {
			star, starS = pi, si
			pi++
			continue
		}
		if pi < len(pattern) {
			if n, ok := matchOne(pattern[pi:], id[si]); ok {
				pi, si = pi+n, si+1
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last '*' take one more character and retry.
		starS++
		pi, si = star+1, starS
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// matchOne matches the first element of pattern p (not '*') against c:
// how many pattern bytes the element is, and whether c matches it.
func matchOne(p string, c byte) (int, bool) {
	c = lower(c)
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) > 1 {
			return 2, lower(p[1]) == c
		}
	case '[':
		if end := strings.IndexByte(p[1:], ']'); end > 0 {
			set, ok := p[1:1+end], false
			for i := 0; i < len(set); i++ {
				if i+2 < len(set) && set[i+1] == '-' {
					ok = ok || lower(set[i]) <= c && c <= lower(set[i+2])
					i += 2
				} else {
					ok = ok || lower(set[i]) == c
				}
			}
			return end + 2, ok
		}
	}
	return 1, lower(p[0]) == c
}

// lower is c in lower case when it is an ASCII letter.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
