#!/usr/bin/env bash
# qemu-s390x.sh: the one place that says how this project runs an s390x
# guest. The demo, the bench and the end-to-end tests start every
# qemu-system-s390x through it; they add only the memory, the network and
# what to boot.
#
#   scripts/qemu-s390x.sh ARGS...      exec qemu-system-s390x with the
#                                      settings below, then ARGS
#   scripts/qemu-s390x.sh --settings   print what it would run: the QEMU
#                                      binary, its version and the -accel
#                                      value, on one line
#
# The settings: TCG (KVM needs an s390x host), -nographic -no-reboot
# -nodefaults, and the SCLP line console on stdio (ttysclp0 in the guest).
#
# The -accel value depends on the QEMU version (docs/kexec-tcg-delay.md has
# the measurements). A kexec'd s390x kernel's decompressor stores ~10^8
# times into a page where the first kernel's code was translated; while
# QEMU still holds translated blocks (TBs) there, each store takes its
# slow path, and the kexec'd kernel needs 44-88 s instead of 2 s to start.
# pxeinit's kexec_load layout zero-fills that page (pxeclient/kexec).
#   QEMU >= 10.0  tcg             the relocation's copy of the zeros drops
#                                 the old TBs: no setting is needed, and
#                                 the default translation cache is the
#                                 fastest for the download.
#   QEMU < 10.0   tcg,tb-size=16  7.2's block copies leave the old TBs in
#                                 place; only a full translation cache
#                                 drops them, and a 16 MiB cache fills a
#                                 few times during the first boot
#                                 (kexec -> banner ~2 s instead of ~50).
#                                 8.x and 9.x were not measured: they get
#                                 the setting that does not depend on how
#                                 QEMU treats the zeros.
#
# Environment:
#   S390NETBOOT_QEMU         the qemu-system-s390x to run (default: the one
#                            on PATH); scripts/fetch-qemu.sh prints the path
#                            of QEMU 10.0 from Debian's bookworm-backports
#   S390NETBOOT_QEMU_ACCEL   an -accel value that replaces the choice above
#                            (scripts/bench-netboot.sh --accel)
set -euo pipefail
. "$(dirname "$0")/usage.sh"
case ${1:-} in -h|--help) usage; exit 0;; esac
qemu=${S390NETBOOT_QEMU:-qemu-system-s390x}

die() { echo "qemu-s390x.sh: $*" >&2; exit 1; }
command -v "$qemu" >/dev/null 2>&1 ||
	die "$qemu not found: install qemu-system-misc (scripts/install-deps.sh), or set S390NETBOOT_QEMU to a qemu-system-s390x (scripts/fetch-qemu.sh prints one)"

# version: "MAJOR.MINOR.MICRO" from "QEMU emulator version 10.0.2 (...)".
version=$("$qemu" --version 2>/dev/null | sed -nE '1s/^QEMU emulator version ([0-9]+\.[0-9]+(\.[0-9]+)?).*/\1/p')
[ -n "$version" ] || die "$qemu --version does not name a QEMU version"
major=${version%%.*}

if [ -n "${S390NETBOOT_QEMU_ACCEL:-}" ]; then
	accel=$S390NETBOOT_QEMU_ACCEL
	why=S390NETBOOT_QEMU_ACCEL
elif [ "$major" -lt 10 ]; then
	accel=tcg,tb-size=16 why="QEMU < 10.0"
else
	accel=tcg why="QEMU >= 10.0"
fi

case ${1:-} in
--settings) printf 'qemu=%s version=%s accel=%s (%s)\n' "$(command -v "$qemu")" "$version" "$accel" "$why"; exit 0;;
esac
exec "$qemu" -accel "$accel" -nographic -no-reboot -nodefaults \
	-device sclpconsole,chardev=con0 -chardev stdio,id=con0,signal=off "$@"
