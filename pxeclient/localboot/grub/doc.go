// Package grub interprets GRUB 2's grub.cfg as distributions write it
// (grub-mkconfig on Debian, Ubuntu, Fedora, RHEL, openSUSE) and gives the
// boot menu it shows, in the project's one menu model (package
// bootmenu): each entry's kernel, initrds and complete command line, the
// submenus, the default and timeout. It also reads grubenv (ReadEnv),
// the one reader of that file in the project.
//
//	m, err := grub.Interpret(ctx, grub.Options{
//		Volumes: vols, Root: esp, Path: "/EFI/debian/grub.cfg",
//		Arch: "amd64", Platform: "efi", Logger: log,
//	})
//	if err != nil { ... }           // the config cannot be read: errors.Is(err, grub.ErrTooLarge)
//	bootmenu.Render(os.Stdout, m, bootmenu.Plan)
//	ch := m.Auto.Choice             // what GRUB boots after m.Auto.Wait
//
// The config runs as GRUB's normal mode runs it: statement by statement,
// with configfile/source/normal, search, load_env and functions. Then
// each menu entry's body runs as GRUB runs it when the entry is chosen:
// in a copy of the environment as the config left it, with $chosen set
// and the title and extra arguments as $1…; its linux and initrd
// commands give the entry. A submenu's body runs in a new context that
// sees only exported variables, as in GRUB. Nothing is ever written:
// save_env does nothing (logged at debug level).
//
// The command line is what GRUB's Linux loaders give the kernel:
// "BOOT_IMAGE=" and the kernel as written, then the arguments, an
// argument holding a space in double quotes (grub_create_loader_cmdline).
//
// # What is supported
//
//	Language         words, '…', "…" ($var, \$ \" \\), $"…", \ escapes, line
//	                 continuation, comments, ; and newlines, { }, if/elif/else,
//	                 while/until, for … in, break/continue, function, $1… $# $@ $* $?,
//	                 return, shift, setparams, NAME=VALUE, set, unset, export, exit
//	Tests            [ ] and test: -e -f -d -s -z -n, = == != < <= > >=, -eq -ne -lt
//	                 -le -gt -ge, -pgt -plt, ! -a -o ( ); -nt -ot are false
//	Menu             menuentry, submenu (kept as a submenu), hiddenentry (SUSE),
//	                 --id --class --users --unrestricted --hotkey, $menuentry_id_option
//	Kernels          linux linux16 linuxefi, initrd initrd16 initrdefi (several files),
//	                 chainloader (an entry of Kind Other), devicetree (a warning:
//	                 kexec keeps the running device tree), blscfg/bls_import
//	Devices          (hdN) (hdN,M) (hdN,gptM) (hdN,msdosM) by DiskIndex and Partition,
//	                 ($root) and /path on $root; search, search.fs_uuid, search.fs_label,
//	                 search.file (--fs-uuid --label --file --set[=VAR], hints first)
//	Files            configfile, normal FILE, source, . with cycle detection;
//	                 load_env [-f FILE] [NAMES]; save_env does nothing
//	Defaults         default as an index, id or title, or a path of those through
//	                 submenus ("gnulinux-advanced-…>gnulinux-6.1.0-…"); saved_entry and
//	                 next_entry by the config's own script; timeout, timeout_style,
//	                 fallback (Rules.OnError)
//	Variables        $grub_platform (Options.Platform), $grub_cpu, $feature_* (2.12's),
//	                 $root, $prefix, $cmdpath, $config_file, $config_directory, $chosen
//	Quiet commands   insmod, terminal_*, serial, echo, gettext, sleep, background_*,
//	                 boot, load_video/recordfail/savedefault when not defined;
//	                 loadfont, keystatus and fwsetup fail (status 1)
//
// What is not: LVM (lvm/…), MD RAID ((md/0), mduuid/…), encrypted
// volumes ((crypto0), cryptomount), ZFS, network and memory devices: a
// path on one gives an entry of Kind Other whose Reason names the
// device. Wildcards, regexp, eval, read, the && || | < > operators, case,
// [[ ]], hwmatch, smbios and the other commands GRUB has but grub.cfg
// rarely needs are unknown commands: a warning with file:line, status 1,
// and interpretation goes on. initrd's --newc options are skipped.
// grub_users/password checks are not done (the entry is listed). When a
// configfile or normal opens a menu with entries, that menu is the one
// given (what GRUB shows and boots unattended); an entry whose body
// opens another config cannot boot (Reason says so). btrfs paths are
// resolved on the volume as mounted (its default subvolume), which is
// what $btrfs_relative_path=yes asks of SUSE's GRUB.
//
// # Security
//
// grub.cfg, the files it sources and grubenv are untrusted input (a
// disk may hold anything). Against any input, Interpret does not panic,
// does not hang (ctx is checked while it runs) and bounds its work: a
// config file above Options.MaxFileSize (DefaultMaxFileSize, 4 MiB) is
// refused after a stat, not read (ErrTooLarge); at most 64 files are
// read; grubenv above MaxEnvSize (64 KiB) is refused; the configs run at
// most half of MaxSteps statements (DefaultMaxSteps, 4,000,000; long
// words count as more), the entries' bodies the rest, each at most
// MaxEntrySteps (20,000) so an endless loop in one entry leaves the
// others bootable (ErrLimit); MaxEntries (20,000) entries and submenus;
// function calls and nested config files at most MaxDepth (32) deep; a
// file that sources or opens itself, directly or through others, is not
// read again (ErrCycle, naming the chain); blocks nest at most 200 deep
// in one file; a variable holds at most 64 KiB, a context 4096
// variables. Each problem is a warning naming file:line; the other
// entries still boot.
package grub
