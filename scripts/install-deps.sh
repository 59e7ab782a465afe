#!/usr/bin/env bash
# install-deps.sh: install the Debian/Ubuntu packages the demo and the tests
# use, when they are missing, and say what it installs.
#
#   qemu-system-misc   qemu-system-s390x (the s390x guests)
#   qemu-system-x86    qemu-system-x86_64 (the x86-64 guests)
#   qemu-system-arm    qemu-system-aarch64 (the arm64 guests on QEMU's virt machine)
#   ovmf               UEFI firmware for the x86-64 guest that boots a unified
#                      kernel image (/usr/share/OVMF/OVMF_CODE_4M.fd)
#   qemu-efi-aarch64   the same for the arm64 guest (/usr/share/AAVMF/AAVMF_CODE.fd)
#   systemd-boot-efi   systemd's EFI stub, the base of mkuki's unified kernel
#                      images (/usr/lib/systemd/boot/efi/linuxx64.efi.stub)
#   dosfstools mtools  mkfs.vfat and mmd/mcopy: mkuki --esp makes an EFI system
#                      partition image without mounting anything
#   qemu-user-static   qemu-s390x-static (unit tests on big-endian)
#   dnsmasq-base       the DHCP/TFTP server of the namespace tests
#   atftpd             a TFTP server with windowsize (RFC 7440) for the loss
#                      tests; its system service is disabled again (the tests
#                      start their own in a network namespace)
#   iproute2           ip netns, veth, tc netem
#   cpio file xz-utils zstd   reading archives back in tests
#   bzip2 lz4 lzop     ramdisks compressed as the kernel's other unpackers
#                      expect, for the tests of the ramdisk check
#   binutils           readelf (scripts/s390tools-ramfs.sh reads kexec's
#                      NEEDED libraries)
#   iputils-ping       ping, the DHCP e2e test's reachability check
#   minisign           interop tests of signed boot
#   nftables           packet loss for HTTP (this kernel has no sch_netem)
#   busybox            busybox tftp/httpd as the baseline client and server
#   e2fsprogs xfsprogs btrfs-progs fdisk xorriso genisoimage squashfs-tools
#   erofs-utils cryptsetup-bin
#                      the filesystems and partition tables internal/blockdev's
#                      tests make and compare with blkid -p
#
# Usage: scripts/install-deps.sh   (no arguments; needs root or sudo)
set -euo pipefail
. "$(dirname "$0")/usage.sh"
no_args "" "$@"
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
want() { command -v "$1" >/dev/null 2>&1 || need+=("$2"); }
wantfile() { [ -e "$1" ] || need+=("$2"); }
want qemu-system-s390x qemu-system-misc
want qemu-system-x86_64 qemu-system-x86
want qemu-system-aarch64 qemu-system-arm
wantfile /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
wantfile /usr/share/AAVMF/AAVMF_CODE.fd qemu-efi-aarch64
wantfile /usr/lib/systemd/boot/efi/linuxx64.efi.stub systemd-boot-efi
want mcopy mtools
PATH=$PATH:/usr/sbin:/sbin want mkfs.vfat dosfstools
want qemu-s390x-static qemu-user-static
want dnsmasq dnsmasq-base
want atftpd atftpd
want ip iproute2
want tc iproute2
want cpio cpio
want file file
want xz xz-utils
want zstd zstd
want bzip2 bzip2
want lz4 lz4
want lzop lzop
want readelf binutils
want ping iputils-ping
want minisign minisign
want nft nftables
want busybox busybox
PATH=$PATH:/usr/sbin:/sbin want mkfs.ext4 e2fsprogs
PATH=$PATH:/usr/sbin:/sbin want mkfs.xfs xfsprogs
PATH=$PATH:/usr/sbin:/sbin want mkfs.btrfs btrfs-progs
PATH=$PATH:/usr/sbin:/sbin want sfdisk fdisk
PATH=$PATH:/usr/sbin:/sbin want mkfs.erofs erofs-utils
want xorriso xorriso
want genisoimage genisoimage
want mksquashfs squashfs-tools
PATH=$PATH:/usr/sbin:/sbin want cryptsetup cryptsetup-bin
want apt-get apt
if [ ${#need[@]} -eq 0 ]; then
	echo "install-deps: all tools present" >&2
	exit 0
fi
pkgs=$(printf '%s\n' "${need[@]}" | sort -u | tr '\n' ' ')
echo "install-deps: apt-get install $pkgs" >&2
sudo_ apt-get update -qq
sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
if [[ " $pkgs " == *" atftpd "* ]] && command -v systemctl >/dev/null 2>&1; then
	echo "install-deps: disabling the atftpd service the package enabled (tests run their own)" >&2
	sudo_ systemctl disable --now atftpd.socket atftpd.service >/dev/null 2>&1 || true
fi
