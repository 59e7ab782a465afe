// Package pxelinux is the PXELINUX configuration engine of the netboot
// client: it finds the config file a machine gets, parses the PXELINUX
// config language and says which entry boots, after how long, with which
// kernel, initrds and command line — the same choices PXELINUX makes.
// It does no I/O of its own: files come through an Opener, so the DHCP/
// TFTP/HTTP client, `pxeboot plan` and the tests share it.
//
//	p := &pxelinux.Parser{Opener: opener, Logger: logger}
//	cfg, err := p.Load(ctx, facts) // lookup: 209, UUID, 01-MAC, hex IP, default
//	if err != nil { ... }           // errors.Is(err, pxelinux.ErrNoConfig)
//	a := cfg.Autoboot()             // what boots unattended, after a.Wait
//	kernel, initrds := a.Entry.KernelPath, a.Initrds(facts)
//	cmdline := a.Cmdline(facts)
//	ch, err := cfg.Command("2 quiet") // a line typed at the boot: prompt
//	m := cfg.BootMenu(facts, src.URL, p) // the boot menu model (package bootmenu)
//
// The netboot client, its console menu and `pxeboot plan` read a config
// through the boot menu model every boot source feeds (Config.BootMenu).
//
// # Lookup and paths
//
// ConfigNames gives the names in PXELINUX's order; Prefix the path
// prefix (option 210, else the boot file's directory). Names in configs
// are relative to the prefix; "::name" is relative to the TFTP root;
// "host::name" is on another TFTP server; tftp://, http://, https:// and
// ftp:// URLs are used as given (Path says which; fetching is the
// Opener's business).
//
// # Language
//
// Every keyword of syslinux's readconfig.c is implemented or deliberately
// ignored: looks (MENU COLOR, MENU BACKGROUND, geometry, FONT, KBDMAP),
// PC consoles (SERIAL, CONSOLE, NOHALT), F1..F12 help files, MENU PASSWD
// and PATH are accepted with a debug message. Unknown keywords become
// warnings (Config.Warnings, ErrUnknownKeyword), never errors. Keywords
// are case-insensitive, labels case-sensitive; CRLF, tabs and comments
// are fine. A KERNEL whose name says it is no Linux kernel (.c32, .0,
// .bin, .bs, .bss, .com, .cbt, or BOOT/BSS/PXE/FDIMAGE/COMBOOT/COM32)
// gives an entry of KindOther with the reason; the rest of the menu
// works. Unlike ldlinux, a KERNEL named *.img is a Linux kernel (s390x
// kernels are called kernel.img; use FDIMAGE for floppy images). KERNEL menu.c32/vesamenu.c32 with a config in APPEND, and CONFIG,
// give KindConfig entries that Parser.Follow loads. CONFIG outside a LABEL
// is ignored, as ldlinux ignores it. Global INITRD is ignored, as PXELINUX
// does. An implicit kernel (DEFAULT or a prompt line naming a file that is
// no label) gets the options given with it and the global SYSAPPEND, but
// not the global APPEND: that is what syslinux 6's new_linux_kernel()
// does.
//
// # Command line, BOOT_IMAGE= and initrd=
//
// PXELINUX passes "BOOT_IMAGE=<kernel> <APPEND> initrd=<INITRD>
// <SYSAPPEND strings> <typed options>" with initrd= left in, and loads
// the files of the first initrd= option it finds. Entry.Cmdline and
// Choice.Cmdline give the same line with two differences:
//
//   - BOOT_IMAGE=<kernel as written> stays first, as installers and
//     dracut read it;
//   - every initrd= option is removed, because kexec passes the initrds
//     as files (Choice.Initrds: the files of the first initrd= option,
//     comma-separated, in order, as PXELINUX loads them; an APPEND
//     initrd= comes before INITRD's and so wins, as in PXELINUX). Options
//     are split at white space outside double quotes and joined with one
//     space; only whole options starting with "initrd=" count, so
//     rd.initrd= or xinitrd= stay (PXELINUX's strstr would take them).
//
// IPAPPEND/SYSAPPEND bits: 1 ip=client:server:gateway:netmask (for an
// IPv6 client dracut's ip=[client]::[gateway]:prefixlen:::none), 2 BOOTIF=,
// 4 SYSUUID=, higher bits from Facts.Sys (DMI strings where the platform
// has them); bits without data add nothing. A lease that came over an
// 802.1Q VLAN (Facts.VLAN) changes bits 1 and 2 so that the target comes
// up on the same VLAN: ip= names the VLAN link in dracut's full form
// (ip=client::gateway:netmask::eth0.42:none) and vlan=eth0.42:eth0
// follows BOOTIF= (Facts.SysAppend).
//
// # Security
//
// Configs, included files and DISPLAY files are untrusted input (anyone on
// the boot network may answer). Against any input the parser does not
// panic, does not hang and bounds its memory: each file is at most
// Limits.MaxFileSize (1 MiB), all files together MaxTotalSize (8 MiB),
// at most MaxFiles (256) files are read, INCLUDEs nest at most
// MaxIncludeDepth (16) deep and an INCLUDE of a file that is being
// included already is skipped with ErrIncludeCycle, at most MaxEntries
// (4096) labels; lines longer than 4095 bytes are cut there (the rest is
// dropped, not parsed as a new line as PXELINUX would). Exceeding a size
// or count limit is an error wrapping ErrLimit; nothing is booted from a
// half-read config. The parser keeps MENU PASSWD hashes out of its result
// and does not enforce them: a password only guards a menu entry against
// the person at the console, and the unattended default boots without it
// in PXELINUX as well. Nothing here authenticates what is fetched: that
// is the transport's job (https with certificate checks) or a signature
// check's.
package pxelinux
