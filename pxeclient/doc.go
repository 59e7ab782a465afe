// Package pxeclient is the network boot client: the one boot flow that
// the netboot ramdisk's init (cmd/pxeinit) runs and that every `pxeboot`
// subcommand runs on a live system, with the parts that differ injected.
// Beside the network it boots what is installed on the machine's disks
// (the disk source, package localboot), as petitboot does.
//
// One pass (Client.Once) goes through these steps, each logged as one
// stage line (see below), each handing its result to the next:
//
//  1. network (Client.Lease): where the lease comes from is
//     Client.Network: LinkNetwork groups OSA devices (s390x), brings
//     every Ethernet link up and waits for carrier with a bound, makes
//     the 802.1Q VLAN links of pxeinit.vlan= over them, runs DHCPv4 and
//     IPv6 (router advertisement, DHCPv6) on all of them at once, takes
//     the first lease with boot information and configures its link
//     (address, route, DNS), or applies the static IPv4 or IPv6 address
//     of pxeinit.ip=; pxeboot gives a lease made of its flags (Fixed);
//  2. config (Client.Config): find the PXELINUX config in syslinux order
//     over TFTP or HTTP(S) (or fetch the pxeinit.config= URL), logging
//     each name tried, and turn it into the boot menu model (package
//     bootmenu) that every boot source feeds; and disks (Client.DiskMenu),
//     beside steps 1 and 2 when Client.Disks is set (the init's
//     ScanDisks) and pxeinit.boot= names disk: the machine's disks,
//     waited for up to pxeinit.diskwait=, mounted read-only, their BLS,
//     GRUB and extlinux configs read into one menu (package localboot).
//     The menus of the sources are merged in pxeinit.boot= order
//     (default net,disk), a group per source and per config; the
//     unattended choice is the first source's that has one. A network
//     that fails (no link, no lease, no config) is then only a warning
//     when a disk entry can boot; with the disks first, the network gets
//     no longer than the disk default's wait once the disks are read.
//     With pxeinit.boot=net, or without Disks, the flow is the
//     network's alone;
//  3. choice (Client.Choose): SAY text, the menu and the countdown on
//     the console (package internal/menu), or the pxeinit.label= entry,
//     or, without a console, the unattended entry;
//  4. boot (Client.Boot): open CONFIG entries (Resolve), fetch the
//     kernel and initrds at once with progress at most once a second
//     (FetchChoice), then the Target's two steps: Load and Execute. The
//     default Target is kexec (KexecTarget: check and load the kernel,
//     then start it); `pxeboot fetch` writes the files and plan.json into
//     a directory instead.
//
// When a step fails the client says what and where; an entry that cannot
// be fetched, loaded or started runs the config's ONERROR command.
// Client.Run wraps Once in the init's retry loop: after a failure it
// offers the command prompt (retry, list, boot LABEL, log, reboot,
// poweroff) and starts over from DHCP (and the disks) after DHCP option 211's time (or pxeinit.retry=, default
// DefaultRetry). Client.Plan is the config step alone, following the
// CONFIG entries the unattended choice opens (`pxeboot plan`).
//
// Signed boot (Client.Signed, a signedboot.Policy) covers every step:
// configs, kernels and initrds need a valid NAME.minisig by the trusted
// key, and kernel options typed at the console are refused unless the
// signed config says ALLOWOPTIONS 1. Configs on a disk carry no
// signature, and neither do the command lines in them: under signed
// boot the disks' entries are listed with that reason and never boot
// (signedboot.ErrLocal), typed, by pxeinit.label= or unattended.
//
//	c := &pxeclient.Client{Log: log, UI: menu.New(os.Stdin, os.Stdout, nil), Console: os.Stdout}
//	c.Run(ctx) // returns only when ctx ends or the machine reboots
//
//	l, err := c.Lease(ctx)       // the steps one by one, as pxeboot and the tests use them
//	m, err := c.Config(ctx, l)
//	ch, via, err := c.Choose(ctx, m)
//	m, err = c.Boot(ctx, l, m, ch, via)
//
// # Stage lines
//
// Every step ends with one line on the console of the form
//
//	pxeinit: stage=NAME t=SECONDS dt=SECONDS key=value ...
//
// t is the time since the client started (for pxeinit: since its main
// began), dt the time since the previous stage line, both in seconds with
// three decimals and an "s". The names, in order, and their keys are:
//
//	stage=modules  count=N                      (pxeinit: bundled modules loaded)
//	stage=link     links=eth0,eth1 carrier=eth0 (links up, carrier seen)
//	stage=vlan     links=eth0.42                (pxeinit.vlan=: VLAN links made and up)
//	stage=lease    iface=eth0 addr=10.0.2.15/24 server=10.0.2.2 via=siaddr bootfile=...
//	stage=config   file=pxelinux.cfg/01-52-54-00-12-34-56 tried=N server=10.0.2.2
//	stage=disks    volumes=N configs=N entries=N sec=S (the disk step, beside link..config)
//	stage=choice   label=LABEL via=DEFAULT|ONTIMEOUT|menu default|menu|typed|pxeinit.label|ONERROR
//	stage=fetch    file=URL bytes=N sec=S mibps=R (one per file)
//	stage=fetched  files=N bytes=N mibps=R
//	stage=load     kernel=N initrd=N vmhwm=N    (kexec image loaded; peak RSS in bytes)
//	stage=kexec                                 (the last line before the new kernel)
//
// Scripts (the demo, the speed report, the end-to-end tests) parse these
// lines; keys are only ever added, never renamed. Other messages are
// "pxeinit: TEXT key=value ..." lines, warnings "pxeinit: warning: ..."
// and errors "pxeinit: error: ...".
package pxeclient
