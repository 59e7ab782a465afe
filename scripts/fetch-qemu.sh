#!/usr/bin/env bash
# fetch-qemu.sh: download a newer qemu-system-s390x than Debian 12's (7.2)
# and unpack it into the cache, without installing it: the system's QEMU
# stays as the distribution ships it. The tests and the bench then boot the
# same s390x guests under both versions (scripts/qemu-s390x.sh).
#
#   scripts/fetch-qemu.sh          fetch (or find in the cache) and print
#                                  the path of its qemu-system-s390x
#
# What it does, on Debian 12 (bookworm) and derivatives with apt-get:
#   1. apt-get update with a temporary sources list that holds only
#      "deb http://deb.debian.org/debian bookworm-backports main" and a
#      temporary lists directory (the system's apt state is not touched);
#   2. apt-get download qemu-system-s390x (the emulator) and
#      qemu-system-data (its firmware, s390-ccw.img) from there, and the
#      shared libraries qemu-system-s390x depends on that dpkg says are not
#      installed (from the system's own sources, then backports);
#   3. dpkg-deb -x them into ${S390NETBOOT_CACHE:-.cache}/qemu-X.Y/root/;
#   4. writes ${S390NETBOOT_CACHE:-.cache}/qemu-X.Y/qemu-system-s390x, a
#      wrapper that runs root/usr/bin/qemu-system-s390x with -L for the
#      firmware of the same version and LD_LIBRARY_PATH for the libraries
#      unpacked next to it, and checks that it starts (--version).
# X.Y is the upstream version backports has (10.0 when this was written).
# Nothing is installed: apt-get works in a private directory. The libraries
# of Debian 12's own QEMU (scripts/install-deps.sh) cover all of 10.0's, so
# there step 2 downloads no library.
set -euo pipefail
. "$(dirname "$0")/usage.sh"
no_args "" "$@"
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${S390NETBOOT_CACHE:-$top/.cache}
suite=bookworm-backports
mirror=http://deb.debian.org/debian

say() { printf 'fetch-qemu: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for tool in apt-get apt-cache dpkg-deb dpkg-query; do
	command -v "$tool" >/dev/null || die "$tool is not installed: this script needs a Debian-based system"
done

# A finished unpack from an earlier run: print it and stop.
for done_ in "$cache"/qemu-*/.complete; do
	[ -f "$done_" ] || continue
	dir=$(dirname "$done_")
	if "$dir/qemu-system-s390x" --version >/dev/null 2>&1; then
		say "cached in $dir ($("$dir/qemu-system-s390x" --version | head -n1))"
		printf '%s\n' "$dir/qemu-system-s390x"
		exit 0
	fi
done

apt=$(mktemp -d -t s390netboot-apt.XXXXXX)
trap 'rm -rf "$apt"' EXIT
mkdir -p "$apt/lists/partial" "$apt/debs"
# The system's sources come second so that a library missing on this
# machine is taken from the system's own release when it has one.
{
	echo "deb $mirror $suite main"
	cat /etc/apt/sources.list 2>/dev/null || true
} >"$apt/sources.list"
sysparts=/etc/apt/sources.list.d
aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$sysparts"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
mkdir -p "$apt/cache/archives/partial"
say "apt-get update ($suite and the system's sources, in $apt)"
apt-get "${aptopts[@]}" -qq update >&2 || die "apt-get update of $suite failed"

# candidate PKG: the version apt would take from $suite.
candidate() {
	apt-cache "${aptopts[@]}" policy "$1" 2>/dev/null | awk -v s="$suite" '
		/^     [^ ]/ || /^ \*\*\* / { v = $(NF - 1) }
		index($0, s) && v != "" { print v; exit }'
}
ver=$(candidate qemu-system-s390x)
[ -n "$ver" ] || die "no qemu-system-s390x in $suite ($mirror)"
upstream=${ver#*:}
xy=$(printf '%s' "$upstream" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
out=$cache/qemu-$xy
say "qemu-system-s390x $ver from $suite -> $out"

# download PKG=VERSION or PKG into $apt/debs.
download() {
	(cd "$apt/debs" && apt-get "${aptopts[@]}" -qq download "$1" >&2) || die "apt-get download $1 failed"
}
download "qemu-system-s390x=$ver"
download "qemu-system-data=$ver"

# The libraries: every Depends of qemu-system-s390x that is not installed
# (and, in turn, theirs). qemu-system-common holds helpers and keymaps that
# a -nographic guest does not use; qemu-system-data is fetched above.
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
depends() { # depends DEB: one package name per line
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/^ *//; s/[ (|].*//' | grep -v '^$' || true
}
declare -A seen=([qemu-system-common]=1 [qemu-system-data]=1 [qemu-system-s390x]=1)
queue=($(depends "$apt/debs"/qemu-system-s390x_*.deb))
while [ ${#queue[@]} -gt 0 ]; do
	pkg=${queue[0]}
	queue=("${queue[@]:1}")
	[ -z "${seen[$pkg]:-}" ] || continue
	seen[$pkg]=1
	installed "$pkg" && continue
	say "library package $pkg is not installed: downloading it"
	download "$pkg"
	deb=$(ls "$apt/debs/${pkg}"_*.deb | head -n1)
	queue+=($(depends "$deb"))
done

rm -rf "$out"
mkdir -p "$out"
for deb in "$apt/debs"/*.deb; do
	say "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$out/root"
done
[ -f "$out/root/usr/share/qemu/s390-ccw.img" ] || die "qemu-system-data $ver has no s390-ccw.img"
# The library directories of the unpacked packages: the wrapper puts them
# first on LD_LIBRARY_PATH.
libpath=
for d in "$out"/root/usr/lib/*-linux-gnu "$out"/root/lib/*-linux-gnu; do
	[ -d "$d" ] && libpath=${libpath:+$libpath:}\$here/${d#"$out/"}
done
{
	echo '#!/bin/sh'
	echo "# qemu-system-s390x $ver from Debian $suite, unpacked by"
	echo '# scripts/fetch-qemu.sh: its own firmware (-L) and libraries.'
	echo 'here=$(dirname "$(readlink -f "$0")")'
	if [ -n "$libpath" ]; then
		echo "LD_LIBRARY_PATH=\"$libpath\"\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
		echo 'export LD_LIBRARY_PATH'
	fi
	echo 'exec "$here/root/usr/bin/qemu-system-s390x" -L "$here/root/usr/share/qemu" "$@"'
} >"$out/qemu-system-s390x"
chmod 0755 "$out/qemu-system-s390x"
missing=$(here=$out && eval "LD_LIBRARY_PATH=\"$libpath\"" && export LD_LIBRARY_PATH &&
	ldd "$out/root/usr/bin/qemu-system-s390x" | grep 'not found' || true)
[ -z "$missing" ] || die "qemu-system-s390x $ver still misses libraries: $missing"
"$out/qemu-system-s390x" --version >/dev/null || die "$out/qemu-system-s390x does not start"
printf '%s\n' "$ver" >"$out/version"
touch "$out/.complete"
say "$("$out/qemu-system-s390x" --version | head -n1) in $out"
printf '%s\n' "$out/qemu-system-s390x"
