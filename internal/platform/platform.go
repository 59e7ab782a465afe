// Package platform finds out what the netboot client needs to know about
// the machine it runs on and prepares what the kernel does not prepare by
// itself:
//
//   - the system UUID (PXELINUX's pxelinux.cfg/UUID step, DHCP option 97,
//     SYSUUID=): on s390x the UUID: lines of /proc/sysinfo (present under
//     z/VM, KVM and DPM partitions), on PCs /sys/class/dmi/id/product_uuid;
//   - the DMI strings PXELINUX's SYSAPPEND bits 0x10 and up add to a
//     command line (SYSVENDOR=, SYSPRODUCT=, ...);
//   - on IBM Z, OSA network cards (qeth) that must be grouped and set
//     online before they appear as interfaces (Qeth).
//
// The init's own settings (pxeinit.* on the kernel command line) are
// package internal/settings.
//
// Every function takes the root of the file system it reads ("/" on a
// running system) so tests run against a fake sysfs in a directory, and
// those that log take the logger as an argument (nil discards):
//
//	m := platform.Probe("/", runtime.GOARCH, log)
//	facts.UUID, facts.Sys = m.UUID, m.Sys
//
// # Security
//
// /proc and /sys are trusted kernel output; the parsers still bound what
// they read (MaxFileSize) and never panic on malformed text.
package platform

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// MaxFileSize bounds every /proc or /sys file this package reads.
// /proc/sysinfo is about 2 KiB on a z16 LPAR; DMI strings are at most 255
// bytes (SMBIOS string fields); the kernel command line is at most
// COMMAND_LINE_SIZE (4096 on s390x since Linux 5.x, 2048 on x86).
const MaxFileSize = 64 << 10

// Machine is what Probe found.
type Machine struct {
	// UUID is the system UUID, lower-case 8-4-4-4-12, or "" when unknown.
	UUID string
	// Sys maps SYSAPPEND bits to their "NAME=value" strings (value as
	// read; pxelinux.Facts.SysAppend replaces spaces). Nil when none.
	Sys map[uint32]string
}

// Probe collects the machine facts for goarch ("s390x", "amd64", ...)
// below root. What cannot be read is logged at debug level and left
// empty: a machine without a UUID still boots.
func Probe(root, goarch string, log *slog.Logger) Machine {
	log = logging.Or(log)
	var m Machine
	switch goarch {
	case "s390x":
		u, err := SysinfoUUID(root)
		if err != nil {
			log.Debug("platform: no UUID from /proc/sysinfo", "err", err)
		}
		m.UUID = u
	default:
		u, err := DMIUUID(root)
		if err != nil {
			log.Debug("platform: no DMI product UUID", "err", err)
		}
		m.UUID = u
		m.Sys = DMIStrings(root)
	}
	return m
}

// readFile reads at most MaxFileSize bytes of root/name.
func readFile(root, name string) ([]byte, error) {
	f, err := os.Open(filepath.Join(root, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxFileSize))
}
