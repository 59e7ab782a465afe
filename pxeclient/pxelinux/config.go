package pxelinux

import "time"

// Kind says what an entry boots and whether kexec can boot it.
type Kind int

const (
	// KindLinux is a Linux kernel (KERNEL with no other-type extension, or
	// LINUX): kexec can boot it.
	KindLinux Kind = iota
	// KindLocalBoot is LOCALBOOT: boot from the local disk; on s390x and
	// under kexec it means "leave the network boot", the client decides.
	KindLocalBoot
	// KindConfig restarts with another config: CONFIG, or KERNEL
	// menu.c32/vesamenu.c32 with a config file in APPEND (Entry.Kernel is
	// then the config). Parser.Follow loads it.
	KindConfig
	// KindOther is an image kexec cannot load (COM32 module, PXE NBP, boot
	// sector, floppy image, COMBOOT, a MENU GOTO/EXIT/QUIT action);
	// Entry.Reason says which. The rest of the menu still works.
	KindOther
)

func (k Kind) String() string {
	switch k {
	case KindLinux:
		return "linux"
	case KindLocalBoot:
		return "localboot"
	case KindConfig:
		return "config"
	case KindOther:
		return "other"
	}
	return "unknown"
}

// Entry is one LABEL (or a kernel named directly by DEFAULT, ONTIMEOUT or
// the boot: prompt, then Implicit is set).
type Entry struct {
	// Label is the LABEL name (case-sensitive).
	Label string
	// Title is MENU LABEL with the '^' hotkey markers removed, else Label.
	Title string
	// Hotkey is the lower-case key marked by '^' in MENU LABEL, or 0.
	Hotkey byte
	// Kind says what the entry boots; Reason says why it cannot be
	// kexec'd when Kind is KindOther.
	Kind   Kind
	Reason string
	// Type is the keyword that named the image: "kernel", "linux",
	// "com32", "config", "localboot", ... (lower case).
	Type string
	// Kernel is the image as written (first word of KERNEL/LINUX/...);
	// KernelPath is where it is fetched from. For KindLocalBoot both are
	// empty and LocalBoot holds the LOCALBOOT argument.
	Kernel     string
	KernelPath Path
	LocalBoot  int
	// Initrds are the initrds to load, in order, from INITRD or the first
	// initrd= option (see the package doc).
	Initrds []Path
	// Append is the options that go on the command line: the label's
	// APPEND, else the global APPEND in force when the label ended; empty
	// for "APPEND -". Options written after the image name on the KERNEL
	// line come first, as in PXELINUX.
	Append string
	// IPAppend is the IPAPPEND/SYSAPPEND mask (see SysAppend).
	IPAppend uint32
	// Hidden is MENU HIDE: bootable by name, not shown in the menu.
	Hidden bool
	// Disabled is MENU DISABLE: shown, not selectable.
	Disabled bool
	// MenuDefault is MENU DEFAULT.
	MenuDefault bool
	// Help is the TEXT HELP block, lines joined with "\n".
	Help string
	// FDT is FDT/DEVICETREE (a U-Boot extension), as written, or "".
	FDT string
	// Implicit is set for entries made up from a DEFAULT, ONTIMEOUT or
	// prompt command that names no label.
	Implicit bool
	// File and Line are where the LABEL is (zero for implicit entries).
	File Path
	Line int

	// initrd is the INITRD argument as written; dir is the working
	// directory files are resolved against.
	initrd string
	dir    string
	menu   *Menu
}

// Bootable reports whether kexec can boot the entry.
func (e *Entry) Bootable() bool { return e.Kind == KindLinux }

// Menu is a menu: the top one or a MENU BEGIN submenu.
type Menu struct {
	// Tag is the MENU BEGIN argument ("" for the top menu).
	Tag string
	// Title is MENU TITLE (or the submenu's MENU LABEL without carets).
	Title string
	// Items are the visible items in order. Hidden entries are in
	// Config.Entries only.
	Items []*Item
	// Default is the item the cursor starts on: the DEFAULT label when it
	// is in this menu, else the last MENU DEFAULT, else nil (the first
	// selectable item).
	Default *Entry
	// Parent is nil for the top menu.
	Parent *Menu `json:"-"`
}

// Item is one line of a menu: an entry, a submenu or a separator.
type Item struct {
	Entry     *Entry
	Submenu   *Menu
	Separator bool
	// Text is the displayed text of a submenu (its MENU LABEL or tag)
	// or empty for a separator.
	Text string
}

// Config is a parsed PXELINUX configuration, INCLUDEs resolved.
type Config struct {
	// Source is the config file parsed; Tried lists every config name
	// tried before it, Source last (filled by Load and Follow).
	Source Path
	Tried  []Path
	// Dir is the working directory relative names were resolved
	// against, in PXELINUX notation ("::s390x/").
	Dir string

	// Default is the DEFAULT command as written (a label, possibly with
	// options, or a kernel with options).
	Default string
	// UI is the UI module ("menu.c32") with its arguments, or "".
	UI string
	// Append and IPAppend are the global APPEND and IPAPPEND/SYSAPPEND
	// in force at the end of the config (implicit kernels use them).
	Append   string
	IPAppend uint32
	// Timeout (TIMEOUT; 0 = none) and TotalTimeout (TOTALTIMEOUT).
	Timeout      time.Duration
	TotalTimeout time.Duration
	// OnTimeout and OnError are the ONTIMEOUT and ONERROR commands.
	OnTimeout string
	OnError   string
	// Prompt is PROMPT 1; NoEscape is NOESCAPE 1.
	Prompt   bool
	NoEscape bool
	// AllowOptions (ALLOWOPTIONS, default true): the user may add options.
	// AllowOptionsSet: the config says ALLOWOPTIONS (signed boot allows
	// typed options only when a signed config says ALLOWOPTIONS 1).
	// Implicit (IMPLICIT, default true): a command may name a kernel that
	// is not a label.
	AllowOptions    bool
	AllowOptionsSet bool
	Implicit        bool
	// Say holds the SAY lines in order.
	Say []string
	// Display holds the text of the DISPLAY files in order (files that do
	// not exist are skipped, as PXELINUX does).
	Display []string
	// Menu is the top menu; its Title is the MENU TITLE.
	Menu *Menu
	// Entries are all entries in file order, hidden and submenu ones too.
	Entries []*Entry
	// Warnings are the problems the parser worked around: unknown
	// keywords, missing includes, include cycles, over-long lines. Each
	// is a *Warning naming the file and line. Test them with errors.Is
	// (ErrUnknownKeyword, ErrIncludeCycle, ...). Their number has no cap
	// of its own (a 1 MiB file of garbage gives thousands): whoever shows
	// them decides how many.
	Warnings []error
}

// Lookup finds the entry with the label name (case-sensitive, hidden
// entries included), or nil.
func (c *Config) Lookup(label string) *Entry {
	for _, e := range c.Entries {
		if e.Label == label && !e.Implicit {
			return e
		}
	}
	return nil
}

// Numbered gives the entries a user can pick by number at the boot:
// prompt: the visible, selectable entries of all menus, depth first in menu
// order; number n is Numbered()[n-1].
func (c *Config) Numbered() []*Entry {
	var out []*Entry
	var walk func(m *Menu)
	walk = func(m *Menu) {
		for _, it := range m.Items {
			switch {
			case it.Entry != nil && !it.Entry.Disabled:
				out = append(out, it.Entry)
			case it.Submenu != nil:
				walk(it.Submenu)
			}
		}
	}
	if c.Menu != nil {
		walk(c.Menu)
	}
	return out
}
