#!/usr/bin/env bash
# fetch-kernels.sh: download and unpack the Debian kernels and busybox that
# the tests, benchmarks and the demo boot, into a cache that git ignores.
#
#   scripts/fetch-kernels.sh [s390x] [amd64] [arm64] [s390x-trixie]   (default: s390x amd64 arm64)
#
# For each architecture ARCH it leaves, under ${S390NETBOOT_CACHE:-.cache}/ARCH/:
#   vmlinuz        the kernel image (s390x: bzImage format; amd64: bzImage;
#                  arm64: the uncompressed Image, 31 MiB in Debian 12)
#   config         the kernel's build configuration
#   modules/       the lib/modules/VERSION tree (no modules.dep: Debian's
#                  package does not ship one)
#   version        the kernel release string
#   busybox        busybox from busybox-static (for small target userspaces)
#   kexec-tools/   the unpacked kexec-tools package (s390x only; the s390-tools
#                  method in scripts/bench-netboot.sh uses it)
#   efi-stub       systemd's EFI stub linuxaa64.efi.stub from systemd-boot-efi
#                  (arm64 only: the UEFI test builds an arm64 unified kernel
#                  image with it; the host's package has only its own stub)
#   debs/          the downloaded packages, reused on the next run
# It needs apt-get (Debian/Ubuntu); for s390x and arm64 it adds that dpkg
# architecture so that apt-get download can find the packages.
#
# ARCH-SUITE (only s390x-trixie so far) fetches the kernel of another Debian
# release into ARCH-SUITE/ (vmlinuz, config, modules/ with .ko.xz modules,
# version; no busybox): Debian 13's s390x kernel, 6.12, is built without
# kexec, so the tests boot it as a first stage that must say so, and as a
# kexec target of Debian 12's. Its package lists go to a temporary
# directory through apt-get options (Dir::Etc::SourceList, Dir::State::Lists,
# Dir::Cache); the system's apt sources and caches are left as they are.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${S390NETBOOT_CACHE:-$top/.cache}
. "$(dirname "$0")/usage.sh"
case ${1:-} in -h|--help) usage; exit 0;; esac
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(s390x amd64 arm64)

say() { printf 'fetch-kernels: %s\n' "$*" >&2; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return
	say "apt-get update"
	sudo_ apt-get update -qq
	apt_updated=1
}

# download PKG:ARCH into debs/ unless a matching .deb is already there;
# prints the .deb's path. With suite_opts set (apt-get options naming another
# release's lists) it downloads from that release.
suite_opts=()
download() {
	local pkg=$1 arch=$2 dir=$3 deb
	deb=$(ls "$dir"/"${pkg}"_*_"${arch}".deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		say "apt-get download $pkg:$arch"
		if [ ${#suite_opts[@]} -gt 0 ]; then
			(cd "$dir" && apt-get "${suite_opts[@]}" download -q "$pkg:$arch" >&2)
		else
			(cd "$dir" && apt-get download -q "$pkg:$arch" >/dev/null 2>&1) || {
				apt_update
				(cd "$dir" && apt-get download -q "$pkg:$arch" >&2)
			}
		fi
		deb=$(ls "$dir"/"${pkg}"_*_"${arch}".deb 2>/dev/null | head -n1 || true)
		[ -n "$deb" ] || { say "apt-get download $pkg:$arch failed"; return 1; }
	fi
	printf '%s\n' "$deb"
}

# add_arch ARCH adds ARCH as a dpkg foreign architecture when it is not the
# host's and not added yet, so that apt-get download finds its packages.
add_arch() {
	if [ "$1" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$1"; then
		say "dpkg --add-architecture $1"
		sudo_ dpkg --add-architecture "$1"
		apt_updated=
		apt_update
	fi
}

# fetch_suite ARCH SUITE NAME PATTERN: the newest kernel package of Debian
# SUITE for ARCH whose name matches PATTERN (an extended regular expression)
# and that the mirror serves, into $cache/NAME, from package lists in a
# temporary directory.
fetch_suite() {
	local arch=$1 suite=$2 name=$3 pattern=$4 out=$cache/$3 tmp pkg kdeb= moddir ver
	add_arch "$arch"
	tmp=$(mktemp -d)
	# The trap names the directory now: tmp is local to this function.
	trap "rm -rf '$tmp'" EXIT
	chmod 755 "$tmp" # apt's download user reads and writes the lists there
	mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$out/debs"
	printf 'deb [arch=%s signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian %s main\n' \
		"$arch" "$suite" >"$tmp/sources.list"
	suite_opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
	kdeb=$(ls "$out"/debs/linux-image-*_"$arch".deb 2>/dev/null | head -n1 || true)
	if [ -z "$kdeb" ]; then
		say "apt-get update ($suite, $arch, lists in $tmp)"
		apt-get "${suite_opts[@]}" update -qq >&2
		# The lists may name a newer kernel than the mirror still holds:
		# take the newest one that downloads.
		for pkg in $(apt-cache "${suite_opts[@]}" search --names-only "$pattern" | cut -d' ' -f1 | grep -E "$pattern" | sort -rV); do
			if kdeb=$(download "$pkg" "$arch" "$out/debs"); then break; fi
			say "$pkg: not on the mirror, trying an older one"
			kdeb=
		done
	fi
	[ -n "$kdeb" ] || { say "no package matching $pattern for $arch in Debian $suite could be downloaded"; exit 1; }
	suite_opts=()
	rm -rf "$tmp"
	trap - EXIT
	rm -rf "$out/root" "$out/modules"
	say "unpacking $(basename "$kdeb")"
	dpkg-deb -x "$kdeb" "$out/root"
	# Debian 13 keeps the modules under usr/lib (merged /usr).
	moddir=$out/root/usr/lib/modules
	[ -d "$moddir" ] || moddir=$out/root/lib/modules
	ver=$(ls "$moddir" | head -n1)
	[ -n "$ver" ] || { say "no lib/modules/VERSION in $kdeb"; exit 1; }
	cp "$out/root/boot/vmlinuz-$ver" "$out/vmlinuz"
	cp "$out/root/boot/config-$ver" "$out/config"
	mv "$moddir/$ver" "$out/modules"
	rm -rf "$out/root"
	printf '%s\n' "$ver" >"$out/version"
	touch "$out/.complete"
	say "$name: kernel $ver in $out"
}

for arch in "${archs[@]}"; do
	case $arch in
	s390x|amd64|arm64) ;;
	s390x-trixie)
		if [ -f "$cache/$arch/.complete" ]; then
			say "$arch: cached in $cache/$arch ($(cat "$cache/$arch/version"))"
		else
			fetch_suite s390x trixie "$arch" '^linux-image-6\.12\.[0-9]+\+deb13-s390x$'
		fi
		continue;;
	*) usage_error "unknown architecture $arch (s390x, amd64, arm64 or s390x-trixie)";;
	esac
	out=$cache/$arch
	if [ -f "$out/.complete" ]; then
		say "$arch: cached in $out ($(cat "$out/version"))"
		continue
	fi
	add_arch "$arch"
	mkdir -p "$out/debs"
	# linux-image-ARCH is a metapackage: its Depends names the real one.
	meta=$(download "linux-image-$arch" "$arch" "$out/debs")
	real=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
	[ -n "$real" ] || { say "cannot find the kernel package that $meta depends on"; exit 1; }
	kdeb=$(download "$real" "$arch" "$out/debs")
	bdeb=$(download busybox-static "$arch" "$out/debs")
	rm -rf "$out/root" "$out/modules" "$out/kexec-tools"
	say "unpacking $(basename "$kdeb")"
	dpkg-deb -x "$kdeb" "$out/root"
	dpkg-deb -x "$bdeb" "$out/root"
	ver=$(ls "$out/root/lib/modules" | head -n1)
	cp "$out/root/boot/vmlinuz-$ver" "$out/vmlinuz"
	cp "$out/root/boot/config-$ver" "$out/config"
	mv "$out/root/lib/modules/$ver" "$out/modules"
	cp "$out/root/bin/busybox" "$out/busybox"
	if [ "$arch" = s390x ]; then
		edeb=$(download kexec-tools "$arch" "$out/debs")
		dpkg-deb -x "$edeb" "$out/kexec-tools"
	fi
	if [ "$arch" = arm64 ]; then
		sdeb=$(download systemd-boot-efi "$arch" "$out/debs")
		dpkg-deb -x "$sdeb" "$out/root"
		cp "$out/root/usr/lib/systemd/boot/efi/linuxaa64.efi.stub" "$out/efi-stub"
	fi
	rm -rf "$out/root"
	printf '%s\n' "$ver" >"$out/version"
	touch "$out/.complete"
	say "$arch: kernel $ver in $out"
done
