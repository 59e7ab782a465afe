package bls

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// Errors the warnings wrap (test them with errors.Is), and the one
// ParseEntry gives for a file that is no entry at all.
var (
	// ErrNotText: the file holds NUL bytes; it is not an entry.
	ErrNotText = errors.New("bls: not a text file")
	// ErrNoKernel: the entry has neither a linux nor an efi key; it is
	// not an entry (the spec requires one of them).
	ErrNoKernel = errors.New("bls: no linux or efi key")
	// ErrUnknownKey (a warning): a key neither the spec nor a known
	// distribution extension defines; it is ignored.
	ErrUnknownKey = errors.New("bls: unknown key")
	// ErrNoValue (a warning): a key without a value; the line is ignored.
	ErrNoValue = errors.New("bls: key without a value")
	// ErrRepeatedKey (a warning): a key that takes one value was given
	// again; the last value counts, as in systemd-boot.
	ErrRepeatedKey = errors.New("bls: key given again")
	// ErrBadValue (a warning): a value not in the form the spec gives
	// (a machine-id that is not 32 lower-case hex digits, ...). It is
	// used as written.
	ErrBadValue = errors.New("bls: bad value")
	// ErrBadName (a warning): a file name outside the spec's character
	// set (ASCII letters, digits, "+-_.") or longer than 255 bytes.
	ErrBadName = errors.New("bls: file name outside the spec's character set")
	// ErrNotUTF8 (a warning): a line that is not valid UTF-8; the
	// title and version show the replacement character instead.
	ErrNotUTF8 = errors.New("bls: not UTF-8")
	// ErrBothKernels (a warning): an entry with both linux and efi;
	// linux counts.
	ErrBothKernels = errors.New("bls: both linux and efi given")
	// ErrUnsetVariable (a warning): a $name in options or initrd that
	// the variables do not define; it expands to "".
	ErrUnsetVariable = errors.New("bls: variable not set")
)

// Warning is a problem the parser worked around: File and Line (0: the
// file as a whole) say where, Err what; Err wraps one of the sentinel
// errors of this package, so errors.Is works on the Warning. Its text is
// "FILE:LINE: what". It is the menu model's warning: File is a path on
// the volume in a Result, the file as Volume.File names it in a menu
// ([OnVolume]).
type Warning = bootmenu.Warning

// Bounds on warnings: a file of 64 KiB of junk lines would otherwise
// give 32,000 of them, and thousands of such files millions.
const (
	// maxFileWarnings is the most warnings one file gives; one more
	// counts the rest (ErrMoreWarnings). Warnings that say why a file
	// is no entry at all are always given.
	maxFileWarnings = 16
	// maxWarnings is the most warnings a Result or a menu holds.
	maxWarnings = 1024
)

// ErrMoreWarnings stands for warnings beyond the bounds, counted.
var ErrMoreWarnings = errors.New("bls: more warnings")

// warnList collects warnings up to max, counting the rest.
type warnList struct {
	list []error
	max  int
	more int
}

// add adds err, or counts it when the list is full.
func (w *warnList) add(err error) {
	if len(w.list) >= w.max {
		w.more++
		return
	}
	w.list = append(w.list, err)
}

// result is the list, with a warning of file counting the rest.
func (w *warnList) result(file string) []error {
	if w.more == 0 {
		return w.list
	}
	return append(w.list, &Warning{File: file, Err: fmt.Errorf("%w: %d not shown", ErrMoreWarnings, w.more)})
}

// Type is the kind of file an entry comes from.
type Type int

const (
	// Type1 is a text entry, loader/entries/*.conf.
	Type1 Type = 1
	// Type2 is a unified kernel image, EFI/Linux/*.efi.
	Type2 Type = 2
)

// Line is a value with the line of the file it is on (1-based; 0 for a
// value that comes from no line, such as a UKI's .cmdline section).
type Line struct {
	Text string `json:"text"`
	N    int    `json:"line,omitempty"`
}

// Entry is one boot entry: a type #1 .conf file or a type #2 unified
// kernel image. Values are as the file writes them: paths unchanged
// (Volume.File resolves them), options and initrd lines with their
// $variables (Cmdline and InitrdPaths expand them).
type Entry struct {
	// Path is the file as ParseEntry got it or Load found it
	// ("loader/entries/arch.conf").
	Path string `json:"path"`
	// ID is the file's base name without its suffix (".conf", ".efi")
	// and without the boot counter: "arch" for "arch+2-1.conf". It is
	// what the menu label is and loader.conf's default matches.
	ID   string `json:"id"`
	Type Type   `json:"type"`
	// Counting: the name carries a boot counter ("+LEFT" or
	// "+LEFT-DONE"); TriesLeft and TriesDone are its numbers. An entry
	// with no tries left is "bad" and sorts last.
	Counting  bool `json:"counting,omitempty"`
	TriesLeft int  `json:"tries_left,omitempty"`
	TriesDone int  `json:"tries_done,omitempty"`

	Title     string `json:"title,omitempty"`
	Version   string `json:"version,omitempty"`
	MachineID string `json:"machine_id,omitempty"`
	SortKey   string `json:"sort_key,omitempty"`
	// Linux is the kernel; LinuxLine its line. For a type #2 entry it is
	// the UKI itself (its .linux section is the kernel).
	Linux     string `json:"linux,omitempty"`
	LinuxLine int    `json:"linux_line,omitempty"`
	// EFI is an EFI program (the efi key); kexec cannot start one.
	EFI     string `json:"efi,omitempty"`
	EFILine int    `json:"efi_line,omitempty"`
	// Initrd are the initrd lines in order; each may name several paths
	// ("/initramfs-X.img $tuned_initrd").
	Initrd []Line `json:"initrd,omitempty"`
	// Options are the options lines in order; Cmdline joins them.
	Options []Line `json:"options,omitempty"`
	// Devicetree is the device tree blob; DevicetreeOverlay the overlays
	// in order.
	Devicetree        string   `json:"devicetree,omitempty"`
	DevicetreeOverlay []string `json:"devicetree_overlay,omitempty"`
	// Architecture is the architecture key as written (an EFI name such
	// as "x64", "aa64"; compared case-insensitively).
	Architecture string `json:"architecture,omitempty"`
	// Extra holds the keys beyond the spec, the last value of each:
	// those distributions add (Fedora's grub_users, grub_arg,
	// grub_class, ...) and unknown ones (which are warned about).
	Extra map[string]string `json:"extra,omitempty"`
	// Sections are, for a type #2 entry, the UKI's initrd sections in
	// the order they are loaded (".ucode" before ".initrd").
	Sections []string `json:"sections,omitempty"`
}

// Suffixes of entry files (the spec's file name suffixes).
const (
	confSuffix = ".conf"
	efiSuffix  = ".efi"
	// maxNameLength is the spec's limit on an entry's file name,
	// suffix included.
	maxNameLength = 255
)

// singleKeys are the keys that take one value, and where it goes.
var singleKeys = map[string]func(e *Entry, v string, n int){
	"title":        func(e *Entry, v string, n int) { e.Title = v },
	"version":      func(e *Entry, v string, n int) { e.Version = v },
	"machine-id":   func(e *Entry, v string, n int) { e.MachineID = v },
	"sort-key":     func(e *Entry, v string, n int) { e.SortKey = v },
	"linux":        func(e *Entry, v string, n int) { e.Linux, e.LinuxLine = v, n },
	"efi":          func(e *Entry, v string, n int) { e.EFI, e.EFILine = v, n },
	"devicetree":   func(e *Entry, v string, n int) { e.Devicetree = v },
	"architecture": func(e *Entry, v string, n int) { e.Architecture = v },
}

// extensionKeys are keys distributions write that the spec does not
// define, kept in Entry.Extra without a warning: Fedora's and RHEL's
// grub blscfg keys (grub_users, grub_arg, grub_class, grub_hotkey),
// RHEL 8's id (grubby), Fedora CoreOS's aboot and abootcfg.
var extensionKeys = map[string]bool{
	"grub_users": true, "grub_arg": true, "grub_class": true, "grub_hotkey": true,
	"id": true, "aboot": true, "abootcfg": true,
}

// ParseEntry reads one type #1 entry: name is the file's name or path
// (its base name gives the ID and the boot counter), data its contents.
// Lines are "key value" with any blanks between; '#' starts a comment
// line. The warnings are *Warning values naming name and the line. The
// entry is nil only when data is not an entry at all (no linux or efi
// key, or binary data); the errors then say why.
func ParseEntry(name string, data []byte) (*Entry, []error) {
	e := &Entry{Path: name, Type: Type1}
	warns := warnList{max: maxFileWarnings}
	warn := func(n int, err error) { warns.add(&Warning{File: name, Line: n, Err: err}) }
	// fatal is a warning that says why data is no entry: always given.
	fatal := func(n int, err error) (*Entry, []error) {
		return nil, append(warns.result(name), &Warning{File: name, Line: n, Err: err})
	}
	if err := e.setName(confSuffix); err != nil {
		warn(0, err)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return fatal(1+bytes.Count(data[:i], []byte("\n")), fmt.Errorf("%w: a NUL byte at offset %d", ErrNotText, i))
	}
	seen := map[string]int{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		n++ // lines count from 1
		key, value := splitKey(string(line))
		if key == "" || key[0] == '#' {
			continue
		}
		if !utf8.ValidString(value) {
			warn(n, ErrNotUTF8)
			value = strings.ToValidUTF8(value, "\uFFFD")
		}
		if value == "" {
			if key != "options" {
				warn(n, fmt.Errorf("%w: %s", ErrNoValue, clip(key)))
			}
			continue
		}
		if set, ok := singleKeys[key]; ok {
			if first, again := seen[key]; again {
				warn(n, fmt.Errorf("%w: %s (first on line %d); the last one counts", ErrRepeatedKey, key, first))
			} else {
				seen[key] = n
			}
			set(e, value, n)
			continue
		}
		switch {
		case key == "initrd":
			e.Initrd = append(e.Initrd, Line{value, n})
		case key == "options":
			e.Options = append(e.Options, Line{value, n})
		case key == "devicetree-overlay":
			e.DevicetreeOverlay = append(e.DevicetreeOverlay, strings.Fields(value)...)
		default:
			if !extensionKeys[key] {
				warn(n, fmt.Errorf("%w: %q", ErrUnknownKey, clip(key)))
			}
			if e.Extra == nil {
				e.Extra = map[string]string{}
			}
			e.Extra[key] = value
		}
	}
	if e.MachineID != "" && !isMachineID(e.MachineID) {
		warn(seen["machine-id"], fmt.Errorf("%w: machine-id %q is not 32 lower-case hex digits", ErrBadValue, clip(e.MachineID)))
	}
	switch {
	case e.Linux == "" && e.EFI == "":
		return fatal(0, ErrNoKernel)
	case e.Linux != "" && e.EFI != "":
		warn(e.EFILine, fmt.Errorf("%w: the entry boots linux %s", ErrBothKernels, e.Linux))
		e.EFI, e.EFILine = "", 0
	}
	e.Title, e.Version = displayable(e.Title), displayable(e.Version)
	return e, warns.result(name)
}

// splitKey splits a line into its first word and the rest, blanks (and
// a carriage return of a file edited on another system) trimmed.
func splitKey(line string) (key, value string) {
	line = strings.Trim(line, " \t\r")
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	return line[:i], strings.TrimLeft(line[i:], " \t")
}

// setName sets ID and the boot counter from Path's base name, suffix
// being the entry type's file suffix; the error is a name outside the
// spec's rules (the entry is read all the same).
func (e *Entry) setName(suffix string) error {
	base := path.Base(e.Path)
	id := base
	if len(id) > len(suffix) && strings.EqualFold(id[len(id)-len(suffix):], suffix) {
		id = id[:len(id)-len(suffix)]
	}
	e.ID = id
	if i := strings.LastIndexByte(id, '+'); i > 0 {
		if left, done, ok := parseCounter(id[i+1:]); ok {
			e.ID, e.Counting, e.TriesLeft, e.TriesDone = id[:i], true, left, done
		}
	}
	if len(base) > maxNameLength || strings.IndexFunc(base, func(r rune) bool {
		return r >= utf8.RuneSelf || !(isLetter(byte(r)) || isDigit(byte(r)) || strings.ContainsRune("+-_.", r))
	}) >= 0 {
		return fmt.Errorf("%w: %q", ErrBadName, base)
	}
	return nil
}

// parseCounter reads "LEFT" or "LEFT-DONE" (decimal numbers) after the
// '+' of a boot counting name.
func parseCounter(s string) (left, done int, ok bool) {
	l, d, hasDone := strings.Cut(s, "-")
	left, err := strconv.Atoi(l)
	if err != nil || !allDigits(l) {
		return 0, 0, false
	}
	if hasDone {
		if done, err = strconv.Atoi(d); err != nil || !allDigits(d) {
			return 0, 0, false
		}
	}
	return left, done, true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// isMachineID reports whether s is 32 lower-case hex digits.
func isMachineID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) && !('a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// displayable is s without control characters (a hostile title must not
// drive the console): tabs become spaces, other C0 and DEL characters
// are dropped.
func displayable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r < ' ' || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// Bad reports whether the entry is subject to boot counting and has no
// tries left (the spec's "bad" state).
func (e *Entry) Bad() bool { return e.Counting && e.TriesLeft == 0 }
