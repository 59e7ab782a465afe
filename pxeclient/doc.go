// Package pxeclient is the network boot client: the boot flow that the
// netboot ramdisk's init (cmd/pxeinit) runs and that `pxeboot fetch` and
// `pxeboot boot` run on a live system.
//
// One pass of Client.Once goes through these steps, each logged as one
// stage line (see below):
//
//  1. network: group OSA devices (s390x), bring every Ethernet link up and
//     wait for carrier with a bound, run DHCPv4 on all of them at once and
//     configure the winning link (address, route, DNS); or apply the static
//     address of pxeinit.ip=;
//  2. config: find the PXELINUX config in syslinux order over TFTP (or
//     fetch the pxeinit.config= URL), logging each name tried;
//  3. choice: SAY text, the menu and the countdown on the console (package
//     menu), or the pxeinit.label= entry;
//  4. fetch: the kernel and initrds at once, progress at most once a second;
//  5. kexec: check and load the kernel, then start it.
//
// When a step fails the client says what and where; a kernel that cannot
// be fetched or loaded runs the config's ONERROR command. Client.Run wraps
// Once in the init's retry loop: after a failure it offers the command
// prompt (retry, list, boot LABEL, log, reboot, poweroff) and starts over
// from DHCP after DHCP option 211's time (or pxeinit.retry=, default
// DefaultRetry).
//
//	c := &pxeclient.Client{Log: log, UI: menu.New(os.Stdin, os.Stdout, nil), Console: os.Stdout}
//	c.Run(ctx) // returns only when ctx ends or the machine reboots
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
//	stage=lease    iface=eth0 addr=10.0.2.15/24 server=10.0.2.2 via=siaddr bootfile=...
//	stage=config   file=pxelinux.cfg/01-52-54-00-12-34-56 tried=N server=10.0.2.2
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
