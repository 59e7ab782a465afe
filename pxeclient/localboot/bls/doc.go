// Package bls reads the boot entries of the Boot Loader Specification
// (the UAPI group's boot_loader_specification.md) on a volume and gives
// them as the boot menu model (package bootmenu):
//
//   - type #1 entries, loader/entries/*.conf, as systemd's
//     kernel-install, Fedora's and RHEL's grub2 and zipl plugins and
//     Arch Linux write them: every key of the spec (several initrd lines,
//     and several paths on one, in order; options lines joined; efi
//     programs listed but not booted; devicetree; the architecture key,
//     entries for another architecture hidden), boot counting names
//     (NAME+LEFT-DONE.conf), and $variables in options and initrd lines
//     (Fedora's and RHEL 8's $kernelopts, RHEL 9's $tuned_params) from
//     the map the caller takes from GRUB's grubenv;
//   - type #2 entries, unified kernel images in EFI/Linux/*.efi, read in
//     place through package uki: kernel, microcode and initrd are the
//     image's .linux, .ucode and .initrd sections, the command line its
//     .cmdline, the title and version its .osrel (ParseOSRelease);
//   - systemd-boot's loader/loader.conf: the default (a glob over entry
//     IDs) and the timeout;
//   - the spec's order (Compare, Sort; GRUB's blscfg sorts with it too)
//     with the version comparison of the Version Format Specification
//     (CompareVersions).
//
// Load reads a volume's tree; Result.Menu makes the menu:
//
//	res, err := bls.Load(v.FS, bls.Options{Vars: grubenv}) // loader/, boot/loader/, EFI/Linux
//	if err != nil {
//		return err
//	}
//	m := res.Menu(v) // entries labelled by ID, Auto = loader.conf's default after its timeout
//	bootmenu.Render(os.Stdout, m, bootmenu.Plan)
//
// GRUB's blscfg takes the entries one by one instead:
//
//	e, warns := bls.ParseEntry("loader/entries/"+name, data)
//	cmdline, more := e.Cmdline(env) // GRUB's variables
//	bls.Sort(entries)
//
// What is left out: "default @saved" and the timeout and default that
// systemd-boot keeps in EFI variables (this client reads and writes no
// EFI variables: the first entry is the default, with a warning); boot
// counting is read, never written (an entry's counter does not go down
// when it is booted from here); the device tree an entry names is not
// passed to kexec (a warning says so); the extra command lines of UKI
// add-ons (*.efi.extra.d) and multi-profile UKIs are not read.
//
// # Security
//
// The files come from any disk put into the machine. Load reads at most
// Options.MaxEntries entry files of at most Options.MaxFileSize bytes
// each, and Options.MaxTotalSize bytes in all (defaults 4096, 64 KiB, 8
// MiB), looks at a bounded number of names per directory, and opens only
// what its directory lists as a regular file (or a symbolic link to one:
// a named pipe or device on the volume is never opened, which could
// block); a file longer than its size says is refused. Of a UKI it reads
// the headers and the .osrel and .cmdline sections (at most 64 KiB each),
// with every offset checked against the file's size. Warnings are
// bounded per file and per result. Titles lose control characters, so a
// title cannot drive the console. Malformed input gives warnings, never
// a panic (FuzzParseEntry, FuzzLoaderConf, FuzzOSRelease, and uki's
// FuzzInspect); the other entries are read all the same. Where a
// symbolic link leads is fsys's business: os.DirFS follows links out of
// the volume's tree, the fs.FS of an os.Root does not.
package bls
