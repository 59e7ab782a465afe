#!/usr/bin/env bash
# s390tools-ramfs.sh: build a netboot ramdisk the s390-tools way, the
# baseline that scripts/bench-netboot.sh measures our Go init against.
#
#   scripts/s390tools-ramfs.sh OUT            write a gzip newc cpio to OUT
#   scripts/s390tools-ramfs.sh --size OUT     ... and print its size
#
# It reproduces the s390-tools netboot method (s390-tools' netboot/
# mk-s390image and mk-pxelinux-ramfs: busybox shell scripts and
# kexec-tools in the ramdisk) from Debian's s390x packages
# only, not from the host:
#   - busybox from busybox-static:s390x (.cache/s390x/busybox), with one
#     symlink per applet the scripts use;
#   - /sbin/kexec from kexec-tools:s390x (.cache/s390x/kexec-tools), which is
#     dynamically linked: its NEEDED libraries (readelf -d; Debian 12's only
#     needs libc.so.6) and the dynamic loader /lib/ld64.so.1 come from
#     libc6:s390x, fetched with apt-get download into .cache/s390x/debs;
#   - the virtio network modules (failover, net_failover, virtio_net) from
#     .cache/s390x/modules, loaded with busybox insmod in dependency order;
#   - /init (a shell script): mounts /proc /sys /dev, loads the modules, runs
#     busybox udhcpc whose default.script configures the interface and
#     records siaddr and the boot file, then runs /bin/pxeboot;
#   - /bin/pxeboot: fetches pxelinux.cfg/ with busybox tftp in the syslinux
#     order (UUID, 01-MAC, hex IP shortened one digit at a time, default),
#     takes the first KERNEL/INITRD/APPEND lines of the config (the s390-tools
#     one-entry level of sophistication), downloads kernel and initrd with
#     busybox tftp (default 512-byte blocks) and runs kexec -l then kexec -e.
#     KERNEL and INITRD may be http:// URLs, fetched with busybox wget, and
#     INITRD a comma-separated list, whose files are fetched one after
#     another into one initrd (kexec-tools takes one).
# Each stage prints "s390tools: stage=NAME t=SECONDS" (t from /proc/uptime),
# NAME in init, lease, config, fetch, kexec, the way our Go init does.
#
# Needs: the cache of scripts/fetch-kernels.sh s390x, cpio, gzip, readelf
# (binutils), dpkg-deb and apt-get (only the first time, for libc6:s390x).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${S390NETBOOT_CACHE:-$top/.cache}/s390x
say() { printf 's390tools-ramfs: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

. "$(dirname "$0")/usage.sh"
case ${1:-} in -h|--help) usage; exit 0;; esac
show_size=
[ "${1:-}" = --size ] && { show_size=1; shift; }
[ $# -eq 1 ] || usage_error "want [--size] OUT"
case $1 in -*) usage_error "unknown option $1";; esac
out=$1
case $out in */) die "output $out is a directory name";; esac
outdir=$(dirname -- "$out")
[ -d "$outdir" ] || die "output directory $outdir does not exist"

[ -f "$cache/.complete" ] || die "no Debian s390x kernel cache in $cache: run scripts/fetch-kernels.sh s390x"
[ -x "$cache/kexec-tools/sbin/kexec" ] || die "$cache/kexec-tools/sbin/kexec missing: run scripts/fetch-kernels.sh s390x"
for tool in cpio gzip readelf dpkg-deb; do
	command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install cpio gzip binutils dpkg)"
done

# libc6:s390x provides the dynamic loader and libc for kexec.
libc=$cache/libc6
if [ ! -e "$libc/lib/ld64.so.1" ]; then
	deb=$(ls "$cache"/debs/libc6_*_s390x.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		say "apt-get download libc6:s390x into $cache/debs"
		(cd "$cache/debs" && apt-get download -q libc6:s390x >&2) ||
			die "cannot download libc6:s390x (is the s390x dpkg architecture added? scripts/fetch-kernels.sh does that)"
		deb=$(ls "$cache"/debs/libc6_*_s390x.deb | head -n1)
	fi
	rm -rf "$libc.tmp"
	dpkg-deb -x "$deb" "$libc.tmp"
	mv "$libc.tmp" "$libc"
fi

work=$(mktemp -d -t s390tools-ramfs.XXXXXX)
trap 'rm -rf "$work" "$out.tmp.$$"' EXIT
r=$work/root
mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,etc,lib,usr/share/udhcpc,lib/modules}

# busybox and the applets the scripts call (the s390-tools method installs busybox's
# whole applet tree; symlinks cost nothing in the archive).
cp "$cache/busybox" "$r/bin/busybox"
for a in sh mount insmod ip ifconfig route udhcpc tftp wget awk sed cat echo mkdir \
	sleep tr cut head ls rm poweroff reboot hexdump printf; do
	ln -s busybox "$r/bin/$a"
done

# kexec, its libraries and the loader, where the ELF file asks for them.
cp "$cache/kexec-tools/sbin/kexec" "$r/sbin/kexec"
interp=$(readelf -l "$r/sbin/kexec" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || die "$cache/kexec-tools/sbin/kexec has no program interpreter"
copylib() { # copylib NAME: copy lib NAME (resolving symlinks) from libc6
	local f
	f=$(find "$libc/lib" "$libc/usr/lib" -name "$1" 2>/dev/null | head -n1)
	[ -n "$f" ] || die "library $1 needed by kexec is not in libc6:s390x ($libc); apt-get download the package that has it"
	mkdir -p "$r/lib/s390x-linux-gnu"
	cp -L "$f" "$r/lib/s390x-linux-gnu/$1"
}
copylib "$(basename "$interp")"
ln -s "s390x-linux-gnu/$(basename "$interp")" "$r$interp"
for lib in $(readelf -d "$r/sbin/kexec" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	copylib "$lib"
done
printf '/lib/s390x-linux-gnu\n' >"$r/etc/ld.so.conf"

# The network modules, in load order (each needs the ones before it).
mods=(kernel/net/core/failover.ko kernel/drivers/net/net_failover.ko kernel/drivers/net/virtio_net.ko)
for m in "${mods[@]}"; do
	[ -f "$cache/modules/$m" ] || die "module $cache/modules/$m missing: run scripts/fetch-kernels.sh s390x"
	cp "$cache/modules/$m" "$r/lib/modules/"
done

cat >"$r/init" <<'EOF'
#!/bin/sh
# The init: essential file systems, network driver, DHCP, boot script.
stage() { read up _ </proc/uptime; echo "s390tools: stage=$1 t=$up"; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stage init
for m in failover net_failover virtio_net; do
	insmod /lib/modules/$m.ko || echo "s390tools: insmod $m failed"
done
ip link set lo up
dev=
for i in 1 2 3 4 5 6 7 8 9 10; do
	for d in /sys/class/net/*; do
		case ${d##*/} in lo|\*) ;; *) dev=${d##*/}; break 2;; esac
	done
	sleep 0.1
done
[ -n "$dev" ] || { echo "s390tools: no network interface"; exec sh; }
ip link set "$dev" up
if ! udhcpc -i "$dev" -s /usr/share/udhcpc/default.script -q -f -n -t 10; then
	echo "s390tools: no DHCP lease on $dev"
	exec sh
fi
stage lease
/bin/pxeboot "$dev"
echo "s390tools: network boot failed"
exec sh
EOF

cat >"$r/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the interface and record the BOOTP fields.
case $1 in
deconfig)
	ip addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	for r in $router; do route add default gw "$r" dev "$interface"; break; done
	{
		echo "ip=$ip"
		echo "siaddr=$siaddr"
		echo "serverid=$serverid"
		echo "bootfile=$boot_file"
	} >/tmp/dhcp.env
	;;
esac
exit 0
EOF

cat >"$r/bin/pxeboot" <<'EOF'
#!/bin/sh
# The boot script: PXELINUX config lookup over TFTP, one entry, kexec.
stage() { read up _ </proc/uptime; echo "s390tools: stage=$1 t=$up"; }
dev=$1
. /tmp/dhcp.env
server=$siaddr
[ -n "$server" ] && [ "$server" != 0.0.0.0 ] || server=$serverid
mac=$(cat /sys/class/net/$dev/address | tr 'A-F:' 'a-f-')
hexip=$(echo "$ip" | awk -F. '{ printf "%02X%02X%02X%02X", $1, $2, $3, $4 }')
uuid=
[ -r /proc/sysinfo ] && uuid=$(sed -n 's/^UUID: *//p' /proc/sysinfo | head -n1 | tr 'A-F' 'a-f')
names=
[ -n "$uuid" ] && names=$uuid
names="$names 01-$mac"
h=$hexip
while [ -n "$h" ]; do names="$names $h"; h=${h%?}; done
names="$names default"
cfg=
for n in $names; do
	if tftp -g -r "pxelinux.cfg/$n" -l /tmp/pxelinux.cfg "$server" 2>/dev/null; then
		cfg=pxelinux.cfg/$n
		break
	fi
done
[ -n "$cfg" ] || { echo "s390tools: no pxelinux.cfg on $server"; exit 1; }
stage config
echo "s390tools: config $cfg from $server"
# The first KERNEL (or LINUX), INITRD and APPEND lines, whatever the label.
kv() { awk -v k="$1" 'tolower($1) == k { $1 = ""; sub(/^ +/, ""); print; exit }' /tmp/pxelinux.cfg; }
kernel=$(kv kernel); [ -n "$kernel" ] || kernel=$(kv linux)
initrd=$(kv initrd)
append=$(kv append)
[ -n "$kernel" ] || { echo "s390tools: no KERNEL in $cfg"; exit 1; }
# get NAME FILE: NAME over HTTP with wget when it is a URL, otherwise
# over TFTP from the server; >>FILE appends (for several initrds).
get() {
	case $1 in
	http://*) wget -q -O - "$1" >>"$2" || { echo "s390tools: wget $1 failed"; exit 1; };;
	*) tftp -g -r "$1" -l "$2" "$server" || { echo "s390tools: tftp $1 failed"; exit 1; };;
	esac
}
rm -f /tmp/kernel /tmp/initrd
get "$kernel" /tmp/kernel
case $initrd in
*,*)
	for f in $(echo "$initrd" | tr , ' '); do
		case $f in http://*) ;; *) echo "s390tools: several initrds only over HTTP, not $f"; exit 1;; esac
		get "$f" /tmp/initrd
	done
	;;
?*) get "$initrd" /tmp/initrd;;
esac
stage fetch
if [ -n "$initrd" ]; then
	kexec -l /tmp/kernel --initrd=/tmp/initrd --command-line="$append" || exit 1
else
	kexec -l /tmp/kernel --command-line="$append" || exit 1
fi
stage kexec
kexec -e
EOF
chmod 0755 "$r/init" "$r/bin/pxeboot" "$r/usr/share/udhcpc/default.script"

# Fixed times: the same inputs give the same archive.
find "$r" -exec touch -h -d @0 {} +
(cd "$r" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) |
	gzip -9n >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
if [ -n "$show_size" ]; then
	printf '%s %d bytes\n' "$out" "$(stat -c %s "$out")"
fi
