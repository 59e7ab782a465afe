#!/bin/sh
# make.sh: writes the fake sysfs trees of the Scan tests, one folder per
# machine, laid out as the kernel lays out /sys (see ../README.md for
# where each layout comes from). Run it from this folder after changing
# it; the trees are checked in.
set -eu
cd "$(dirname "$0")"

# disk MACHINE DEVPATH NAME MAJ:MIN SECTORS REMOVABLE [HOLDER...]: a whole
# disk at /sys/DEVPATH/block/NAME, linked from /sys/class/block/NAME.
disk() {
	m=$1 devpath=$2 name=$3 dev=$4 size=$5 rem=$6
	shift 6
	d=$m/devices/$devpath/block/$name
	mkdir -p "$d/holders" "$d/slaves" "$m/class/block"
	echo "$dev" >"$d/dev"
	echo "$size" >"$d/size"
	echo 0 >"$d/ro"
	echo "$rem" >"$d/removable"
	echo 0 >"$d/hidden"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\nDEVTYPE=disk\n' "${dev%:*}" "${dev#*:}" "$name" >"$d/uevent"
	for h in "$@"; do : >"$d/holders/$h"; done
	ln -sfn "../../devices/$devpath/block/$name" "$m/class/block/$name"
}

# part MACHINE DEVPATH DISK NAME NUMBER MAJ:MIN START SECTORS [HOLDER...]:
# a partition below its disk.
part() {
	m=$1 devpath=$2 parent=$3 name=$4 nr=$5 dev=$6 start=$7 size=$8
	shift 8
	d=$m/devices/$devpath/block/$parent/$name
	mkdir -p "$d/holders"
	echo "$dev" >"$d/dev"
	echo "$size" >"$d/size"
	echo "$start" >"$d/start"
	echo "$nr" >"$d/partition"
	echo 0 >"$d/ro"
	printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\nDEVTYPE=partition\nPARTN=%s\n' "${dev%:*}" "${dev#*:}" "$name" "$nr" >"$d/uevent"
	for h in "$@"; do : >"$d/holders/$h"; done
	ln -sfn "../../devices/$devpath/block/$parent/$name" "$m/class/block/$name"
}

# loops MACHINE: the eight unbound loop devices Debian's kernel creates
# (CONFIG_BLK_DEV_LOOP_MIN_COUNT=8): size 0, no loop/ folder.
loops() {
	for i in 0 1 2 3 4 5 6 7; do disk "$1" virtual loop$i 7:$i 0 0; done
}

rm -rf qemu-virtio nvme-laptop s390x-dasd cdrom md-raid1 lvm

# A QEMU q35 guest: two virtio-blk disks (GPT with ESP, /boot, root; and
# a data disk without a partition table), a SATA CD drive with an ISO.
m=qemu-virtio
disk $m pci0000:00/0000:00:04.0/virtio2 vda 254:0 20971520 0
part $m pci0000:00/0000:00:04.0/virtio2 vda vda1 1 254:1 2048 1048576
part $m pci0000:00/0000:00:04.0/virtio2 vda vda2 2 254:2 1050624 2097152
part $m pci0000:00/0000:00:04.0/virtio2 vda vda3 3 254:3 3147776 17821696
disk $m pci0000:00/0000:00:05.0/virtio3 vdb 254:16 2097152 0
disk $m pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0 sr0 11:0 1286144 1
loops $m

# An NVMe laptop: ESP, /boot and a LUKS root (opened: dm-0 holds p3),
# an SD card in the reader, a USB stick, zram swap.
m=nvme-laptop
n=pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0
disk $m $n nvme0n1 259:0 1000215216 0
part $m $n nvme0n1 nvme0n1p1 1 259:1 2048 1230848
part $m $n nvme0n1 nvme0n1p2 2 259:2 1232896 4194304
part $m $n nvme0n1 nvme0n1p3 3 259:3 5427200 994787328 dm-0
disk $m virtual dm-0 253:0 994754560 0
: >$m/devices/virtual/block/dm-0/slaves/nvme0n1p3
disk $m pci0000:00/0000:00:14.5/mmc_host/mmc0/mmc0:aaaa mmcblk0 179:0 62521344 0
part $m pci0000:00/0000:00:14.5/mmc_host/mmc0/mmc0:aaaa mmcblk0 mmcblk0p1 1 179:1 8192 62513152
u=pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host1/target1:0:0/1:0:0:0
disk $m $u sda 8:0 60063744 1
part $m $u sda sda1 1 8:1 2048 60061696
disk $m virtual zram0 252:0 16777216 0
loops $m

# An s390x KVM guest: an ECKD DASD formatted with dasdfmt (CDL, three
# partitions by fdasd) and a virtio-blk disk on the CCW bus.
m=s390x-dasd
disk $m css0/0.0.0001/0.0.0100 dasda 94:0 14424480 0
part $m css0/0.0.0001/0.0.0100 dasda dasda1 1 94:1 192 2097152
part $m css0/0.0.0001/0.0.0100 dasda dasda2 2 94:2 2097344 2097152
part $m css0/0.0.0001/0.0.0100 dasda dasda3 3 94:3 4194496 10229952
disk $m css0/0.0.0000/0.0.0000/virtio0 vda 252:0 20971520 0
part $m css0/0.0.0000/0.0.0000/virtio0 vda vda1 1 252:1 2048 20969472

# Two SATA CD drives, one with a disc and one empty (size 0), as a PC
# with an optical drive and QEMU's -cdrom without a file show them.
m=cdrom
disk $m pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0 sr0 11:0 7547904 1
disk $m pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0/1:0:0:0 sr1 11:1 0 1

# Two SATA disks, each with /boot/efi and an MD RAID1 member (mdadm
# --metadata=1.2; md127 is the assembled array holding /).
m=md-raid1
for x in a:0:ata3/host2/target2:0:0/2:0:0:0 b:16:ata4/host3/target3:0:0/3:0:0:0; do
	l=${x%%:*} r=${x#*:} min=${r%%:*} p=pci0000:00/0000:00:17.0/${r#*:}
	disk $m $p sd$l 8:$min 1953525168 0
	part $m $p sd$l sd${l}1 1 8:$((min + 1)) 2048 1048576
	part $m $p sd$l sd${l}2 2 8:$((min + 2)) 1050624 1952474511 md127
done
disk $m virtual md127 9:127 1952207872 0
: >$m/devices/virtual/block/md127/slaves/sda2
: >$m/devices/virtual/block/md127/slaves/sdb2

# A SCSI disk (virtio-scsi) with /boot and an LVM physical volume
# (Fedora/RHEL default layout; the volume group active: root and swap
# logical volumes).
m=lvm
p=pci0000:00/0000:00:06.0/virtio4/host2/target2:0:0/2:0:0:0
disk $m $p sda 8:0 41943040 0
part $m $p sda sda1 1 8:1 2048 2097152
part $m $p sda sda2 2 8:2 2099200 39843840 dm-0 dm-1
disk $m virtual dm-0 253:0 35643392 0
disk $m virtual dm-1 253:1 4194304 0
: >$m/devices/virtual/block/dm-0/slaves/sda2
: >$m/devices/virtual/block/dm-1/slaves/sda2
