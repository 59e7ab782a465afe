#!/usr/bin/env bash
# bench-netboot.sh: the side-by-side speed report. Network-boots
# the same one-entry TFTP tree twice in one run through the s390-ccw
# firmware of qemu-system-s390x (QEMU's user network: DHCP + TFTP):
#
#   s390tools  pxelinux.0 = Debian's vmlinuz + a ramdisk built the s390-tools
#              way (scripts/s390tools-ramfs.sh: busybox udhcpc + tftp, kexec-tools)
#   ours  pxelinux.0 = Debian's vmlinuz + mkpxeramfs (the Go init,
#         cmd/pxeinit), both joined by mks390image
#
# and prints per-stage times side by side, the /init -> kexec time on the
# guest's own clock, and the image and ramdisk sizes.
#
# With --proto http the config (still from QEMU's TFTP) names the kernel
# and two initrds by http://10.0.2.2:PORT/ URLs on a file server of this
# script that listens on the host's 127.0.0.1 only (QEMU's user network
# forwards the guest's connections to 10.0.2.2 there): the s390tools side
# then fetches them one after another with busybox wget, ours with its
# HTTP client.
#
#   scripts/bench-netboot.sh                  both, s390tools first
#   scripts/bench-netboot.sh --proto http     the same over HTTP (default:
#                                             tftp)
#   scripts/bench-netboot.sh --until kexec    stop each guest at its kexec
#                                             line instead of waiting for
#                                             the target (the fetch and
#                                             /init -> kexec rows are the
#                                             same; the kexec'd kernel of
#                                             the s390tools side takes
#                                             minutes under TCG)
#   scripts/bench-netboot.sh --only s390tools one side only (s390tools|ours)
#   scripts/bench-netboot.sh --accel tcg      QEMU -accel argument (default:
#                                             what scripts/qemu-s390x.sh
#                                             chooses for the QEMU version,
#                                             as the tests and the demo)
#   scripts/bench-netboot.sh --keep DIR       keep the TFTP tree, images and
#                                             console logs in DIR
#   scripts/bench-netboot.sh --timeout SEC    per boot (default 600)
#
# The TFTP tree: the Debian s390x vmlinuz, a 26 MB initrd (a busybox target
# whose /init prints "target: up" and powers off, followed by a 24 MiB
# incompressible file from a fixed-seed ChaCha8 stream, so every run
# transfers the same bytes), and pxelinux.cfg/default with one entry.
# Over HTTP the entry has a second initrd of 1 MiB (incompressible too):
# 31 MiB in three files.
#
# The guests run through scripts/qemu-s390x.sh: S390NETBOOT_QEMU chooses
# the QEMU (scripts/fetch-qemu.sh prints QEMU 10.0's), and the report
# names its version and -accel value.
#
# Stage times are seconds since QEMU started, taken when the line reached
# the host. The machine's load shows in them: the script prints the load
# average; compare runs made under the same load. The "QEMU CPU" rows are
# the CPU seconds the qemu process used between two console lines
# (/proc/PID/stat), which depend much less on the load.
#
# Under TCG a kexec'd kernel's decompressor can be ~30x slower than in a
# direct boot (docs/kexec-tcg-delay.md): the "kexec -> banner" rows show
# it (--accel tcg on QEMU 7.2 shows the slow case).
#
# The targets are printed with "met" or "MISSED": ours
# /init -> kexec <= 6.5 s, <= 0.5 x the s390-tools method's, and the init's peak RSS
# under the downloaded bytes + 32 MiB; over HTTP: ours /init -> kexec <= 1.5 s
# and ours fetch <= 1.0 x busybox wget's. The exit status is 1 when a side did
# not boot its target (or, with --until kexec, did not reach kexec), 0
# otherwise (timings depend on the machine's load and are reported, not
# enforced).
set -euo pipefail
. "$(dirname "$0")/usage.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
only= keep= accel= boot_timeout=600 proto=tftp until=target
while [ $# -gt 0 ]; do
	case $1 in
	--only) only=${2:?--only needs s390tools or ours}; shift 2;;
	--only=*) only=${1#--only=}; shift;;
	--accel) accel=${2:?--accel needs an argument such as tcg,tb-size=16}; shift 2;;
	--accel=*) accel=${1#--accel=}; shift;;
	--keep) keep=${2:?--keep needs a directory}; shift 2;;
	--keep=*) keep=${1#--keep=}; shift;;
	--timeout) boot_timeout=${2:?--timeout needs seconds}; shift 2;;
	--timeout=*) boot_timeout=${1#--timeout=}; shift;;
	--proto) proto=${2:?--proto needs tftp or http}; shift 2;;
	--proto=*) proto=${1#--proto=}; shift;;
	--until) until=${2:?--until needs target or kexec}; shift 2;;
	--until=*) until=${1#--until=}; shift;;
	-h|--help) usage; exit 0;;
	*) usage_error "unknown argument $1";;
	esac
done
case $only in ''|s390tools|ours) ;; *) echo "bench-netboot.sh: --only must be s390tools or ours, not $only" >&2; exit 2;; esac
case $boot_timeout in ''|*[!0-9]*) echo "bench-netboot.sh: --timeout must be whole seconds, not $boot_timeout" >&2; exit 2;; esac
case $proto in tftp|http) ;; *) echo "bench-netboot.sh: --proto must be tftp or http, not $proto" >&2; exit 2;; esac
case $until in target|kexec) ;; *) echo "bench-netboot.sh: --until must be target or kexec, not $until" >&2; exit 2;; esac
sides=(s390tools ours)
[ -n "$only" ] && sides=("$only")

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for tool in go cpio gzip timeout; do
	command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs what the project needs)"
done
[ -z "$accel" ] || export S390NETBOOT_QEMU_ACCEL=$accel
settings=$(scripts/qemu-s390x.sh --settings) || exit 1
cache=${S390NETBOOT_CACHE:-$top/.cache}/s390x
[ -f "$cache/.complete" ] || die "no Debian s390x kernel in $cache: run scripts/fetch-kernels.sh s390x"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d -t s390netboot-bench.XXXXXX)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/bin" "$work/tftp/pxelinux.cfg" "$work/target/bin" "$work/target/proc" \
	"$work/target/dev" "$work/pad" "$work/extra" "$work/http" "$work/httpd"

say "building mks390image and mkpxeramfs"
CGO_ENABLED=0 go build -trimpath -o "$work/bin/" ./cmd/mks390image ./cmd/mkpxeramfs

# The target: busybox, an /init that reports and powers off, and 24 MiB of
# incompressible bytes from a fixed seed (math/rand/v2's ChaCha8).
say "building the 26 MB target initrd"
cp "$cache/busybox" "$work/target/bin/busybox"
ln -sf busybox "$work/target/bin/sh"
cat >"$work/target/init" <<'EOF'
#!/bin/sh
/bin/busybox mount -t proc proc /proc
read up _ </proc/uptime
echo "target: up t=$up pad=$(/bin/busybox stat -c %s /pad.bin 2>/dev/null) extra=$(/bin/busybox stat -c %s /extra.bin 2>/dev/null)"
/bin/busybox poweroff -f
EOF
chmod 0755 "$work/target/init"
cat >"$work/pad/main.go" <<'EOF'
// Writes N bytes of a ChaCha8 stream with a fixed seed (a second argument
// changes it): incompressible and the same on every run.
package main

import (
	"bufio"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	seed := [32]byte{'s', '3', '9', '0', 'n', 'e', 't', 'b', 'o', 'o', 't'}
	if len(os.Args) > 2 {
		copy(seed[11:], os.Args[2])
	}
	r := rand.NewChaCha8(seed)
	w := bufio.NewWriter(os.Stdout)
	buf := make([]byte, 1<<16)
	for n > 0 {
		k := min(n, len(buf))
		r.Read(buf[:k])
		w.Write(buf[:k])
		n -= k
	}
	w.Flush()
}
EOF
(cd "$work/pad" && go run main.go $((24 << 20))) >"$work/target/pad.bin"
find "$work/target" -exec touch -h -d @0 {} +
(cd "$work/target" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) |
	gzip -1n >"$work/tftp/initrd.img"
cp "$cache/vmlinuz" "$work/tftp/vmlinuz"
# loglevel=6 keeps the target's console short but shows its banner
# ("Linux version", a notice).
if [ "$proto" = tftp ]; then
	cat >"$work/tftp/pxelinux.cfg/default" <<'EOF'
DEFAULT bench
LABEL bench
  KERNEL vmlinuz
  INITRD initrd.img
  APPEND console=ttysclp0 loglevel=6
EOF
else
	# The second initrd: a 1 MiB file from another seed's stream.
	(cd "$work/pad" && go run main.go $((1 << 20)) x) >"$work/extra/extra.bin"
	find "$work/extra" -exec touch -h -d @0 {} +
	(cd "$work/extra" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 --reproducible) |
		gzip -1n >"$work/http/extra.img"
	mv "$work/tftp/vmlinuz" "$work/tftp/initrd.img" "$work/http/"
	# The file server: Go's http.FileServer (Content-Length, keep-alive,
	# sendfile) on 127.0.0.1 only, on a free port it writes to a file.
	cat >"$work/httpd/main.go" <<'EOF'
// Serves the directory os.Args[1] on 127.0.0.1 at a free port, which it
// writes to the file os.Args[2] once it listens.
package main

import (
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(os.Args[2], []byte(port+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.Serve(ln, http.FileServer(http.Dir(os.Args[1]))))
}
EOF
	(cd "$work/httpd" && CGO_ENABLED=0 go build -o httpd main.go)
	rm -f "$work/httpd/port"
	"$work/httpd/httpd" "$work/http" "$work/httpd/port" &
	httpd_pid=$!
	trap 'kill "$httpd_pid" 2>/dev/null; [ -n "$keep" ] || rm -rf "$work"' EXIT
	for _ in $(seq 100); do [ -s "$work/httpd/port" ] && break; sleep 0.05; done
	[ -s "$work/httpd/port" ] || die "the file server did not start"
	base=http://10.0.2.2:$(cat "$work/httpd/port")
	say "serving $work/http on 127.0.0.1 (the guest's $base)"
	cat >"$work/tftp/pxelinux.cfg/default" <<EOF
DEFAULT bench
LABEL bench
  KERNEL $base/vmlinuz
  INITRD $base/initrd.img,$base/extra.img
  APPEND console=ttysclp0 loglevel=6
EOF
fi

cmdline="console=ttysclp0 quiet"
for side in "${sides[@]}"; do
	case $side in
	s390tools)
		say "building the s390-tools method's ramdisk (scripts/s390tools-ramfs.sh)"
		scripts/s390tools-ramfs.sh "$work/s390tools.ramfs"
		;;
	ours)
		say "building our ramdisk (mkpxeramfs)"
		"$work/bin/mkpxeramfs" --arch s390x --modules-dir "$cache/modules" -o "$work/ours.ramfs"
		;;
	esac
	"$work/bin/mks390image" "$cache/vmlinuz" "$work/$side.ramfs" -o "$work/$side.pxelinux.0" --cmdline "$cmdline"
done

# boot SIDE: network-boot SIDE's pxelinux.0, console with times to SIDE.log:
# "[WALL CPU] line", seconds since QEMU started and QEMU's CPU seconds.
boot() {
	local side=$1 dir=$work/tftp-$1 start line d pid= st cpu
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -al "$work/tftp/." "$dir/" 2>/dev/null || cp -a "$work/tftp/." "$dir/"
	cp "$work/$side.pxelinux.0" "$dir/pxelinux.0"
	rm -f "$dir.pid"
	local qemu=(scripts/qemu-s390x.sh -m 1024M -pidfile "$dir.pid"
		-netdev "user,id=n0,tftp=$dir,bootfile=pxelinux.0"
		-device "virtio-net-ccw,netdev=n0,mac=52:54:00:12:34:56,bootindex=1")
	say "$side: ${qemu[*]}"
	start=${EPOCHREALTIME/./}
	set +e
	timeout "$boot_timeout" "${qemu[@]}" </dev/null 2>&1 | while IFS= read -r line; do
		line=${line%$'\r'}
		[ -n "${line// /}" ] || continue
		d=$((${EPOCHREALTIME/./} - start))
		[ -n "$pid" ] || read -r pid 2>/dev/null <"$dir.pid" || true
		cpu=0
		# utime and stime, fields 14 and 15, in clock ticks
		[ -n "$pid" ] && read -r -a st 2>/dev/null <"/proc/$pid/stat" && cpu=$((st[13] + st[14]))
		printf '[%4d.%03d %4d.%02d] %s\n' $((d / 1000000)) $((d / 1000 % 1000)) \
			$((cpu / hz)) $((cpu % hz * 100 / hz)) "$line"
		if [ "$until" = kexec ] && [ -n "$pid" ] && [[ $line == *": stage=kexec "* ]]; then
			kill "$pid"
		fi
	done >"$work/$side.log"
	set -e
	if [ "$until" = kexec ]; then
		grep -q ': stage=kexec ' "$work/$side.log" && return
		say "$side: no kexec within ${boot_timeout}s (console: $work/$side.log)"
		failed=1
	elif ! grep -q 'target: up' "$work/$side.log"; then
		say "$side: the target did not come up within ${boot_timeout}s (console: $work/$side.log)"
		failed=1
	fi
}
failed=0
hz=$(getconf CLK_TCK)

say "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for side in "${sides[@]}"; do
	boot "$side"
done

# at SIDE REGEX: wall time (s since QEMU start) of the first line matching
# REGEX; "-" when there is none. cpuat: QEMU's CPU seconds at that line.
at() {
	local t
	t=$(grep -m1 -E "$2" "$work/$1.log" 2>/dev/null | sed -E 's/^\[ *([0-9.]+) +[0-9.]+\].*/\1/' || true)
	printf '%s' "${t:--}"
}
cpuat() {
	local t
	t=$(grep -m1 -E "$2" "$work/$1.log" 2>/dev/null | sed -E 's/^\[ *[0-9.]+ +([0-9.]+)\].*/\1/' || true)
	printf '%s' "${t:--}"
}
# guest SIDE REGEX: the t= value of the first line matching REGEX.
guest() {
	local t
	t=$(grep -m1 -E "$2" "$work/$1.log" 2>/dev/null | sed -E 's/.* t=([0-9.]+)s?( .*)?$/\1/' || true)
	printf '%s' "${t:--}"
}
# banner SIDE: "WALL CPU" of the first "Linux version" after the kexec line.
banner() {
	awk '/stage=kexec/ {k=1} k && /Linux version/ {sub(/^\[ */, ""); sub(/\].*/, ""); print; exit}' "$work/$1.log" 2>/dev/null
}
sub() { # sub A B: B - A, or "-"
	if [ "$1" = - ] || [ "$2" = - ] || [ -z "$1" ] || [ -z "$2" ]; then printf -- '-'; else awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; fi
}
if [ "$proto" = tftp ]; then
	download=$(($(stat -c %s "$work/tftp/vmlinuz") + $(stat -c %s "$work/tftp/initrd.img")))
else
	download=$(($(stat -c %s "$work/http/vmlinuz") + $(stat -c %s "$work/http/initrd.img") + $(stat -c %s "$work/http/extra.img")))
fi
declare -A row
for side in s390tools ours; do
	if [ "$side" = s390tools ]; then p=s390tools; else p=pxeinit; fi
	if [ ! -f "$work/$side.log" ]; then
		for k in init lease config fetch kexec banner target total gap cputotal cpugap cpufetch fetchsec mibps; do row[$side.$k]=-; done
		row[$side.image]=- row[$side.ramfs]=-
		continue
	fi
	if [ "$side" = s390tools ]; then
		row[$side.init]=$(at s390tools 's390tools: stage=init')
		row[$side.fetch]=$(at s390tools 's390tools: stage=fetch')
		row[$side.total]=$(sub "$(guest s390tools 's390tools: stage=init')" "$(guest s390tools 's390tools: stage=kexec')")
		row[$side.cputotal]=$(sub "$(cpuat s390tools 's390tools: stage=init')" "$(cpuat s390tools 's390tools: stage=kexec')")
		fetchsec=$(sub "$(guest s390tools 's390tools: stage=config')" "$(guest s390tools 's390tools: stage=fetch')")
		row[$side.cpufetch]=$(sub "$(cpuat s390tools 's390tools: stage=config')" "$(cpuat s390tools 's390tools: stage=fetch')")
	else
		# pxeinit's t counts from its main: the first stage line minus its t.
		first=$(at ours 'pxeinit: stage=')
		t0=$(guest ours 'pxeinit: stage=')
		row[$side.init]=$(sub "$t0" "$first")
		row[$side.fetch]=$(at ours 'pxeinit: stage=fetched')
		row[$side.total]=$(guest ours 'pxeinit: stage=kexec')
		row[$side.cputotal]=$(sub "$(cpuat ours 'pxeinit: starting on')" "$(cpuat ours 'pxeinit: stage=kexec')")
		fetchsec=$(sub "$(guest ours 'pxeinit: stage=config')" "$(guest ours 'pxeinit: stage=fetched')")
		row[$side.cpufetch]=$(sub "$(cpuat ours 'pxeinit: stage=config')" "$(cpuat ours 'pxeinit: stage=fetched')")
	fi
	row[$side.fetchsec]=$fetchsec
	row[$side.mibps]=$(awk -v b="$download" -v s="$fetchsec" 'BEGIN { if (s + 0 > 0) printf "%.2f", b / 1048576 / s; else print "-" }')
	row[$side.lease]=$(at "$side" "$p: stage=lease")
	row[$side.config]=$(at "$side" "$p: stage=config")
	row[$side.kexec]=$(at "$side" "$p: stage=kexec")
	read -r bw bc <<<"$(banner "$side")" || true
	row[$side.banner]=${bw:--}
	row[$side.target]=$(at "$side" 'target: up')
	row[$side.gap]=$(sub "${row[$side.kexec]}" "${row[$side.banner]}")
	row[$side.cpugap]=$(sub "$(cpuat "$side" "$p: stage=kexec")" "${bc:--}")
	row[$side.image]=$(stat -c %s "$work/$side.pxelinux.0")
	row[$side.ramfs]=$(stat -c %s "$work/$side.ramfs")
done

if [ "$proto" = tftp ]; then
	printf '\nnetwork boot of vmlinuz + %d-byte initrd (s since QEMU start)\n' "$(stat -c %s "$work/tftp/initrd.img")"
else
	printf '\nnetwork boot over HTTP of vmlinuz + %d- and %d-byte initrds, %d bytes (s since QEMU start)\n' \
		"$(stat -c %s "$work/http/initrd.img")" "$(stat -c %s "$work/http/extra.img")" "$download"
fi
printf '%s\n' "$settings"
if [ "$proto" = tftp ]; then
	printf '%-30s %14s %14s\n' stage s390tools ours
else
	printf '%-30s %14s %14s\n' stage "busybox wget" ours
fi
line() { printf '%-30s %14s %14s\n' "$1" "${row[s390tools.$2]}" "${row[ours.$2]}"; }
line "init (first stage line)" init
line "lease" lease
line "config" config
line "kernel+initrd fetched" fetch
line "kexec" kexec
line "target banner" banner
line "target /init" target
line "/init -> kexec (guest clock)" total
line "kexec -> banner" gap
line "QEMU CPU s: /init -> kexec" cputotal
line "QEMU CPU s: kexec -> banner" cpugap
line "QEMU CPU s: config -> fetched" cpufetch
line "fetch s (guest clock)" fetchsec
line "download MiB/s (guest clock)" mibps
line "pxelinux.0 bytes" image
line "ramdisk bytes" ramfs
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v <= lim) ? "met" : "MISSED" }'; }
if [ "$proto" = http ]; then
	if [ "${row[ours.total]}" != - ]; then
		printf 'ours /init -> kexec over HTTP: %s s (target: <= 1.5 s): %s\n' "${row[ours.total]}" "$(verdict "${row[ours.total]}" 1.5)"
	fi
	if [ "${row[s390tools.fetchsec]}" != - ] && [ "${row[ours.fetchsec]}" != - ]; then
		ratio=$(awk -v s="${row[s390tools.fetchsec]}" -v o="${row[ours.fetchsec]}" 'BEGIN { if (s > 0) printf "%.2f", o / s; else print "-" }')
		printf 'ours/busybox wget fetch: %s (target: <= 1.0): %s\n' "$ratio" "$(verdict "$ratio" 1.0)"
	fi
elif [ "${row[ours.total]}" != - ]; then
	printf 'ours /init -> kexec: %s s (target: <= 6.5 s): %s\n' "${row[ours.total]}" "$(verdict "${row[ours.total]}" 6.5)"
fi
if [ "$proto" = tftp ] && [ "${row[s390tools.total]}" != - ] && [ "${row[ours.total]}" != - ]; then
	ratio=$(awk -v s="${row[s390tools.total]}" -v o="${row[ours.total]}" 'BEGIN { if (s > 0) printf "%.2f", o / s; else print "-" }')
	printf 'ours/s390tools /init -> kexec: %s (target: <= 0.5): %s\n' "$ratio" "$(verdict "$ratio" 0.5)"
fi
if [ -f "$work/ours.log" ]; then
	hwm=$(grep -m1 'pxeinit: stage=load' "$work/ours.log" | sed -nE 's/.* vmhwm=([0-9]+).*/\1/p')
	got=$(grep -m1 'pxeinit: stage=fetched' "$work/ours.log" | sed -nE 's/.* bytes=([0-9]+).*/\1/p')
	if [ -n "$hwm" ] && [ -n "$got" ]; then
		awk -v h="$hwm" -v g="$got" 'BEGIN {
			lim = g + 32 * 1048576
			printf "ours peak RSS: %.1f MiB (target: <= downloaded %.1f MiB + 32 MiB = %.1f MiB): %s\n",
				h / 1048576, g / 1048576, lim / 1048576, (h <= lim) ? "met" : "MISSED" }'
	fi
fi
[ -n "$keep" ] && say "console logs: $work/s390tools.log $work/ours.log"
exit "$failed"
