// Package localboot is the disk boot source of the boot flow: it finds
// the boot configs on the volumes of the machine's disks, reads each with
// its parser and merges their menus into one boot menu
// (bootmenu.Menu), as petitboot shows the systems installed on a
// machine. The boot flow (package pxeclient) shows it beside the
// network's entries and fetches the chosen entry's files from the
// mounted volumes (file:// URLs).
//
//	d, err := localboot.Discover(ctx, localboot.DiscoverOptions{Wait: 3 * time.Second}) // the disks, mounted read-only
//	defer d.Release()
//	res := localboot.Read(ctx, d.Volumes, localboot.Options{Arch: "amd64"})
//	bootmenu.Render(os.Stdout, res.Menu, bootmenu.Plan)
//
// # What is discovered where
//
// On every volume (a partition, a whole disk without partitions, a CD)
// Find looks for these paths, in this order (Places; "*" is any one
// folder, and names match without regard to case, as on FAT):
//
//	path on a volume             parser    whose layout
//	loader/entries               bls       BLS #1: an ESP, XBOOTLDR or /boot partition
//	boot/loader/entries          bls       BLS #1: /boot on the root (Fedora, zipl)
//	EFI/Linux                    bls       BLS #2: unified kernel images (*.efi)
//	boot/grub/grub.cfg           grub      Debian, Ubuntu: /boot on the root
//	grub/grub.cfg                grub      Debian, Ubuntu: a /boot partition
//	boot/grub2/grub.cfg          grub      Fedora, RHEL, openSUSE: /boot on the root
//	grub2/grub.cfg               grub      Fedora, RHEL: a /boot partition
//	@/boot/grub/grub.cfg         grub      Ubuntu on btrfs: the @ subvolume
//	@rootfs/boot/grub/grub.cfg   grub      Debian on btrfs: the @rootfs subvolume
//	EFI/*/grub.cfg               grub      an ESP's folders (often stubs for /boot)
//	boot/extlinux/extlinux.conf  extlinux  extlinux, U-Boot's distro boot
//	extlinux/extlinux.conf       extlinux  extlinux on a /boot partition
//	extlinux.conf                extlinux  Alpine: a /boot partition
//	boot/extlinux.conf           extlinux  Alpine: /boot on the root
//	boot/syslinux/syslinux.cfg   extlinux  syslinux
//	syslinux/syslinux.cfg        extlinux  syslinux: a /boot partition, a USB stick
//	isolinux/isolinux.cfg        extlinux  a CD or a hybrid ISO image
//
// A volume gives at most one BLS source (its loader/entries, EFI/Linux
// and loader/loader.conf read together by package bls; $kernelopts and
// other variables from the volume's grubenv, read with grub.ReadEnv), one
// grub.cfg outside EFI/ and one per EFI/*/ folder (package grub; search,
// $root and (hdN,gptM) resolve among all volumes), and one extlinux
// config, the first that exists, as extlinux reads one: it is read by
// the PXELINUX engine (package pxelinux, not a second parser) with names
// relative to the config's folder and a leading '/' the volume's root.
// When a volume's grub.cfg runs blscfg (Fedora, RHEL), that volume's BLS
// entries come through GRUB only, which adds its own variables and
// default.
//
// # Order and the merged menu
//
// Configs are ordered disk by disk (Volume.DiskIndex, the order the
// disks were found), then by the table above, then by partition. Each
// config with entries becomes a group of the menu titled by volume and
// path ("vda2 (ext4 "boot") /grub/grub.cfg"); labels are kept unique
// across the menu (bootmenu.Merge); the unattended choice is the default
// of the first config that has one, after that config's timeout. A config
// whose bootable entries all repeat an earlier config's (an ESP's
// grub.cfg that loads the one in /boot) is left out; one that cannot be
// read, or has no entry, adds its warnings only.
//
// # Never written
//
// Nothing here writes to a volume: configs, grubenv and kernels are
// read; GRUB's save_env, savedefault and boot counting (BLS +LEFT-DONE
// renames) are not done. Discover mounts read-only without journal
// replay (ext4 ro,noload; xfs ro,norecovery; btrfs ro,rescue=nologreplay),
// and nosuid, nodev, noexec (package blockdev).
//
// # Security
//
// A disk's contents are untrusted: each parser bounds file sizes, entry
// counts and work, and says what it worked around in the menu's
// Warnings; one config that fails leaves the others usable. Nothing on a
// disk is signed: under signed boot the boot flow passes Options.Refuse
// and every entry is listed as one that cannot boot.
package localboot
