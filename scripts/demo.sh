#!/usr/bin/env bash
# demo.sh: the main job, in one command. Builds pxelinux.0 (the Debian s390x
# kernel + our netboot ramdisk as one single boot image), lays out a TFTP
# folder with a pxelinux.cfg menu, and network-boots a qemu-system-s390x
# guest through its firmware with QEMU's built-in DHCP/TFTP server. The Go
# init in the ramdisk gets a lease, finds the config, shows the menu,
# downloads the chosen kernel and initrds and kexecs into them; the target's
# /init says where it came from. Ends with a per-stage timing summary.
#
#   scripts/demo.sh                 unattended: the menu's default boots
#   scripts/demo.sh --interactive   the menu waits for you (type 1, 2 or a label)
#   scripts/demo.sh --arch amd64    the x86-64 path: qemu-system-x86_64 starts
#                                   the Debian amd64 kernel with our ramdisk
#   scripts/demo.sh --keep DIR      leave the TFTP folder in DIR
#
# It installs what is missing (scripts/install-deps.sh), fetches the Debian
# kernel packages (scripts/fetch-kernels.sh, cached in .cache/), and builds
# the tools from this checkout. The s390x guest runs through
# scripts/qemu-s390x.sh, which picks the TCG settings for the QEMU it finds
# (S390NETBOOT_QEMU, else qemu-system-s390x on PATH): on QEMU 7.2 a small
# translation cache (tb-size=16) saves the kexec'd kernel ~50 s
# (docs/kexec-tcg-delay.md).
set -euo pipefail
. "$(dirname "$0")/usage.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
arch=s390x interactive= keep=
while [ $# -gt 0 ]; do
	case $1 in
	--arch) arch=${2:?--arch needs s390x or amd64}; shift 2;;
	--arch=*) arch=${1#--arch=}; shift;;
	--interactive|-i) interactive=1; shift;;
	--keep) keep=${2:?--keep needs a directory}; shift 2;;
	-h|--help) usage; exit 0;;
	*) usage_error "unknown argument $1";;
	esac
done
case $arch in s390x|amd64) ;; *) echo "demo.sh: --arch must be s390x or amd64, not $arch" >&2; exit 2;; esac
say() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; }
command -v go >/dev/null || { echo "demo.sh: Go is not installed (https://go.dev/doc/install)" >&2; exit 1; }

say "checking tools (qemu, cpio...)"
scripts/install-deps.sh
say "fetching the Debian $arch kernel package (cached in .cache/$arch)"
scripts/fetch-kernels.sh "$arch"
cache=${S390NETBOOT_CACHE:-$top/.cache}/$arch

work=${keep:-$(mktemp -d -t s390netboot-demo.XXXXXX)}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/tftp/pxelinux.cfg" "$work/tftp/images"
say "building mkpxeramfs and mks390image into $work/bin"
CGO_ENABLED=0 go build -trimpath -o "$work/bin/" ./cmd/mkpxeramfs ./cmd/mks390image

say "building the netboot ramdisk (Go init + network modules) for $arch"
"$work/bin/mkpxeramfs" --arch "$arch" --modules-dir "$cache/modules" -o "$work/pxeramfs.cpio.gz"

if [ "$arch" = s390x ]; then
	console=ttysclp0
	say "building pxelinux.0: mks390image vmlinuz pxeramfs.cpio.gz -o pxelinux.0"
	"$work/bin/mks390image" "$cache/vmlinuz" "$work/pxeramfs.cpio.gz" -o "$work/tftp/pxelinux.0" \
		--cmdline "console=$console"
else
	console=ttyS0
fi

# The target userspace: Debian's busybox-static for $arch and an /init that
# says what booted it. A second initrd adds one file, to show that several
# initrds arrive.
say "building the target userspace from Debian's busybox-static:$arch"
mkcpio() { # mkcpio DIR OUT
	(cd "$1" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) | gzip -9n >"$2"
}
t=$work/target
mkdir -p "$t/bin" "$t/proc" "$t/sys" "$t/dev" "$t/etc"
cp "$cache/busybox" "$t/bin/busybox"
ln -sf busybox "$t/bin/sh"
cat >"$t/init" <<'INIT'
#!/bin/sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev 2>/dev/null
echo "target: Linux $($bb uname -r) on $($bb uname -m), booted over the network by s390netboot"
echo "target: command line: $($bb cat /proc/cmdline)"
for f in /etc/initrd-*; do [ -f "$f" ] && echo "target: $($bb cat "$f")"; done
case " $($bb cat /proc/cmdline) " in
*" demo=shell "*) echo "target: a busybox shell; 'poweroff -f' ends the demo"; $bb --install -s /bin; exec $bb sh;;
esac
echo "target: done, powering off"
$bb poweroff -f
INIT
chmod 755 "$t/init"
echo "first initrd: busybox userspace ($(stat -c %s "$cache/busybox") bytes of busybox)" >"$t/etc/initrd-1"
mkcpio "$t" "$work/tftp/images/target.cpio.gz"
mkdir -p "$work/extra/etc"
echo "second initrd: this file came from images/extra.cpio.gz" >"$work/extra/etc/initrd-2"
mkcpio "$work/extra" "$work/tftp/images/extra.cpio.gz"
cp "$cache/vmlinuz" "$work/tftp/images/vmlinuz"

timeout=30
[ -n "$interactive" ] && timeout=0
cat >"$work/tftp/pxelinux.cfg/default" <<CFG
# s390netboot demo menu (syslinux pxelinux.cfg syntax)
UI menu.c32
MENU TITLE s390netboot demo: Debian $arch kernel, busybox userspace
SAY Booting the first entry in $((timeout / 10)) s unless you pick one.
TIMEOUT $timeout
DEFAULT hello

LABEL hello
  MENU LABEL ^Hello: the target prints what booted it, then powers off
  KERNEL images/vmlinuz
  INITRD images/target.cpio.gz,images/extra.cpio.gz
  APPEND console=$console quiet demo=hello
  IPAPPEND 3

LABEL shell
  MENU LABEL ^Shell: the same kernel with a busybox shell
  KERNEL images/vmlinuz
  INITRD images/target.cpio.gz
  APPEND console=$console quiet demo=shell
CFG
say "TFTP folder $work/tftp:"
(cd "$work/tftp" && find . -type f | sort | while read -r f; do printf '  %-32s %9d bytes\n' "${f#./}" "$(stat -c %s "$f")"; done) >&2

mac=52:54:00:12:34:56
if [ "$arch" = s390x ]; then
	say "QEMU: $(scripts/qemu-s390x.sh --settings)"
	qemu=(scripts/qemu-s390x.sh -m 1024M
		-netdev "user,id=n0,tftp=$work/tftp,bootfile=pxelinux.0"
		-device "virtio-net-ccw,netdev=n0,mac=$mac,bootindex=1")
	say "network-booting qemu-system-s390x through its firmware (DHCP+TFTP: QEMU's user network)"
else
	qemu=(qemu-system-x86_64 -accel tcg -m 1024M -nographic -no-reboot -nodefaults -serial stdio
		-kernel "$cache/vmlinuz" -initrd "$work/pxeramfs.cpio.gz" -append "console=$console quiet"
		-netdev "user,id=n0,tftp=$work/tftp,bootfile=pxelinux.0"
		-device "virtio-net-pci,netdev=n0,mac=$mac")
	say "starting qemu-system-x86_64 with the Debian amd64 kernel and our ramdisk"
fi
say "${qemu[*]}"
log=$work/console.log
if [ -n "$interactive" ]; then
	"${qemu[@]}" | tee "$log"
	exit 0
fi

# Stream the console with the time since QEMU started on every line.
start=${EPOCHREALTIME/./}
set +e
timeout 600 "${qemu[@]}" </dev/null 2>&1 | while IFS= read -r line; do
	line=${line%$'\r'}
	d=$((${EPOCHREALTIME/./} - start))
	printf '[%4d.%02d] %s\n' $((d / 1000000)) $((d / 10000 % 100)) "$line"
done | tee "$log"
status=${PIPESTATUS[0]}
set -e

# The summary: when each stage was first seen on the console.
first() { grep -m1 -E "$1" "$log" | sed -E 's/^\[ *([0-9.]+)\].*/\1/'; }
nth() { grep -E "$1" "$log" | sed -n "${2}p" | sed -E 's/^\[ *([0-9.]+)\].*/\1/'; }
row() { [ -n "$2" ] && printf '  %-34s %8.2f s\n' "$1" "$2" || printf '  %-34s %8s\n' "$1" "-"; }
echo
say "per-stage timing (seconds since QEMU started):"
[ "$arch" = s390x ] && row "firmware loaded pxelinux.0" "$(first 'Network loading done')"
row "our /init started"             "$(first 'pxeinit: starting')"
row "modules loaded"                "$(first 'pxeinit: stage=modules')"
row "link up"                       "$(first 'pxeinit: stage=link')"
row "DHCP lease"                    "$(first 'pxeinit: stage=lease')"
row "config found"                  "$(first 'pxeinit: stage=config')"
row "menu choice"                   "$(first 'pxeinit: stage=choice')"
row "kernel and initrds fetched"    "$(first 'pxeinit: stage=fetched')"
row "kexec"                         "$(first 'pxeinit: stage=kexec')"
row "target /init"                  "$(first '^\[ *[0-9.]+\] target: Linux')"
[ "$arch" = s390x ] && echo "  (the init's own clock: $(grep -m1 'pxeinit: stage=kexec' "$log" | sed -E 's/.*stage=kexec t=([0-9.]+s).*/\1/') from /init to kexec;" \
	"then the target kernel boots)" >&2
if grep -q 'target: done' "$log"; then
	say "the target booted: done"
	exit 0
fi
say "the target did not report back (qemu exit status $status); console log: $log"
[ -n "$keep" ] || trap - EXIT
exit 1
