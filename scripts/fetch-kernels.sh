#!/usr/bin/env bash
# fetch-kernels.sh: download and unpack the Debian kernels and busybox that
# the tests, benchmarks and the demo boot, into a cache that git ignores.
#
#   scripts/fetch-kernels.sh [s390x] [amd64] [arm64]   (default: all three)
#
# For each architecture ARCH it leaves, under ${S390NETBOOT_CACHE:-.cache}/ARCH/:
#   vmlinuz        the kernel image (s390x: bzImage format; amd64: bzImage;
#                  arm64: the uncompressed Image, 31 MiB in Debian 12)
#   config         the kernel's build configuration
#   modules/       the lib/modules/VERSION tree (no modules.dep: Debian's
#                  package does not ship one)
#   version        the kernel release string
#   busybox        busybox from busybox-static (for small target userspaces)
#   kexec-tools/   the unpacked kexec-tools package (s390x only; the seed's
#                  method in scripts/bench-netboot.sh uses it)
#   efi-stub       systemd's EFI stub linuxaa64.efi.stub from systemd-boot-efi
#                  (arm64 only: the UEFI test builds an arm64 unified kernel
#                  image with it; the host's package has only its own stub)
#   debs/          the downloaded packages, reused on the next run
# It needs apt-get (Debian/Ubuntu); for s390x and arm64 it adds that dpkg
# architecture so that apt-get download can find the packages.
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
# prints the .deb's path.
download() {
	local pkg=$1 arch=$2 dir=$3 deb
	deb=$(ls "$dir"/"${pkg}"_*_"${arch}".deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		say "apt-get download $pkg:$arch"
		(cd "$dir" && apt-get download -q "$pkg:$arch" >/dev/null 2>&1) || {
			apt_update
			(cd "$dir" && apt-get download -q "$pkg:$arch" >&2)
		}
		deb=$(ls "$dir"/"${pkg}"_*_"${arch}".deb | head -n1)
	fi
	printf '%s\n' "$deb"
}

for arch in "${archs[@]}"; do
	case $arch in s390x|amd64|arm64) ;; *) usage_error "unknown architecture $arch (s390x, amd64 or arm64)";; esac
	out=$cache/$arch
	if [ -f "$out/.complete" ]; then
		say "$arch: cached in $out ($(cat "$out/version"))"
		continue
	fi
	if [ "$arch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
		say "dpkg --add-architecture $arch"
		sudo_ dpkg --add-architecture "$arch"
		apt_updated=
		apt_update
	fi
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
