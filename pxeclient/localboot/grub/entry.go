package grub

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// menuBuild is a menu as a config defines it: its items, and the
// context they run in once the config is done.
type menuBuild struct {
	vars  *scope
	fns   *funcs
	file  *cfgFile
	items []*item
}

// item is a menuentry, hiddenentry or submenu as defined.
type item struct {
	title, id string
	args      []string // $1 (the title), $2…
	hidden    bool
	submenu   bool
	body      []node
	at        pos
	// origin, when set, is where the entry comes from instead of its
	// linux command (a BLS entry file for blscfg).
	origin *bootmenu.Origin
}

// cmdMenuentry is menuentry, hiddenentry and submenu: TITLE [--class C]
// [--users U] [--unrestricted] [--hotkey K] [--id ID] [ARG…] { … }.
// The body runs later, when the menu is built (as when chosen).
func cmdMenuentry(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	if !c.blockSet {
		in.warn(c.pos, "%s without a { } block", argv[0])
		return 1, ctl{}
	}
	if f.menu == nil {
		in.warn(c.pos, "%s inside a menu entry is ignored", argv[0])
		return 1, ctl{}
	}
	it := &item{submenu: argv[0] == "submenu", hidden: argv[0] == "hiddenentry", body: c.block, at: c.pos}
	var args []string
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		opt, val, hasVal := strings.Cut(a, "=")
		switch {
		case a == "--":
			args = append(args, argv[i+1:]...)
			i = len(argv)
		case opt == "--id" && hasVal:
			it.id = val
		case opt == "--class" && hasVal, opt == "--users" && hasVal, opt == "--hotkey" && hasVal:
		case a == "--id" || a == "--class" || a == "--users" || a == "--hotkey" || a == "--source":
			if i+1 < len(argv) {
				i++
				if a == "--id" {
					it.id = argv[i]
				}
			}
		case a == "--unrestricted":
		default:
			args = append(args, a)
		}
	}
	if len(args) == 0 {
		in.warn(c.pos, "%s without a title", argv[0])
		return 1, ctl{}
	}
	it.title, it.args = args[0], args
	return in.addItem(f, c.pos, it)
}

func (in *interp) addItem(f *frame, at pos, it *item) (int, ctl) {
	if in.entries >= in.o.MaxEntries {
		in.warnErr(&bootmenu.Warning{File: at.file.name, Err: fmt.Errorf("more than %d menu entries: the rest are left out: %w", in.o.MaxEntries, ErrLimit)})
		return 1, ctl{}
	}
	in.entries++
	f.menu.items = append(f.menu.items, it)
	return 0, ctl{}
}

// entryRun is what a menu entry's body loaded.
type entryRun struct {
	kernel     *bootmenu.File
	cmdline    string
	initrds    []bootmenu.File
	linuxAt    pos
	hasLinuxAt bool
	// failed: why the entry cannot boot (the last failure); other: it
	// runs something that is no Linux kernel.
	failed string
	other  string
	file   *bootmenu.File
}

func (e *entryRun) fail(at pos, why string) {
	if e.failed == "" {
		e.failed = why
	}
}

// loaderCmdline is the command line GRUB's Linux loaders give: the
// arguments with BOOT_IMAGE= before the first (the kernel as written),
// each argument with a space quoted in "…" and \ ' " escaped
// (grub_create_loader_cmdline, grub-core/lib/cmdline.c).
func loaderCmdline(argv []string) string {
	var b strings.Builder
	b.WriteString("BOOT_IMAGE=")
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		space := strings.ContainsRune(a, ' ')
		if space {
			b.WriteByte('"')
		}
		for j := 0; j < len(a); j++ {
			ch := a[j]
			if ch == '\\' && j+3 < len(a) && a[j+1] == 'x' && isHex(a[j+2]) && isHex(a[j+3]) {
				b.WriteString(a[j : j+4])
				j += 3
				continue
			}
			if ch == '\\' || ch == '\'' || ch == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(ch)
		}
		if space {
			b.WriteByte('"')
		}
	}
	return b.String()
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// fileOn resolves a file a kernel command names and checks that it is
// there.
func (in *interp) fileOn(f *frame, name string) (bootmenu.File, *volume.Volume, error) {
	v, p, err := in.resolve(f, name)
	if err != nil {
		return bootmenu.File{}, nil, err
	}
	st, err := stat(v, p)
	if err != nil {
		return bootmenu.File{}, v, fmt.Errorf("%s not found on %s", p, v)
	}
	if st.IsDir() {
		return bootmenu.File{}, v, fmt.Errorf("%s on %s is a directory: %w", p, v, fs.ErrInvalid)
	}
	return v.File(p), v, nil
}

// cmdLinux is linux, linux16 and linuxefi: the kernel and its command
// line. A new kernel drops the initrds loaded before it.
func cmdLinux(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	e := f.entry
	if e == nil {
		in.warn(c.pos, "%s outside a menu entry is ignored", argv[0])
		return 1, ctl{}
	}
	if len(argv) < 2 {
		in.warn(c.pos, "%s needs a kernel", argv[0])
		e.fail(c.pos, argv[0]+" without a kernel")
		return 1, ctl{}
	}
	e.kernel, e.initrds, e.cmdline = nil, nil, ""
	e.linuxAt, e.hasLinuxAt = c.pos, true
	file, _, err := in.fileOn(f, argv[1])
	if err != nil {
		e.fail(c.pos, fmt.Sprintf("kernel %s: %v", argv[1], err))
		return 1, ctl{}
	}
	e.kernel = &file
	e.cmdline = loaderCmdline(argv[1:])
	e.failed = ""
	return 0, ctl{}
}

// cmdInitrd is initrd, initrd16 and initrdefi: the initrds, in order,
// after a kernel.
func cmdInitrd(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	e := f.entry
	if e == nil {
		in.warn(c.pos, "%s outside a menu entry is ignored", argv[0])
		return 1, ctl{}
	}
	if e.kernel == nil {
		e.fail(c.pos, argv[0]+" before a kernel was loaded")
		return 1, ctl{}
	}
	var files []bootmenu.File
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, "--") {
			continue // --newc:NAME:FILE and friends are not supported
		}
		file, _, err := in.fileOn(f, a)
		if err != nil {
			e.fail(c.pos, fmt.Sprintf("initrd %s: %v", a, err))
			e.kernel = nil
			return 1, ctl{}
		}
		files = append(files, file)
	}
	e.initrds = files
	return 0, ctl{}
}

// cmdDevicetree: kexec gives the new kernel the running kernel's
// device tree, so the entry still boots, with a warning.
func cmdDevicetree(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	in.warn(c.pos, "devicetree %s is not loaded: the kernel gets the device tree the client runs with", strings.Join(argv[1:], " "))
	return 0, ctl{}
}

// cmdChainloader: an EFI program or a boot sector, which kexec cannot
// start.
func cmdChainloader(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	e := f.entry
	if e == nil {
		in.warn(c.pos, "chainloader outside a menu entry is ignored")
		return 1, ctl{}
	}
	name := ""
	for _, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") {
			name = a
			break
		}
	}
	e.other = "chainloader " + name
	if file, _, err := in.fileOn(f, name); err == nil {
		e.file = &file
	}
	return 0, ctl{}
}
