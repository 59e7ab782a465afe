package platform

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/s390netboot/s390netboot/internal/uuid"
)

// ErrNoUUID is returned (wrapped) when the machine has no usable UUID.
var ErrNoUUID = errors.New("no system UUID")

// Files the UUID comes from.
const (
	// SysinfoFile is the s390 system information (arch/s390/kernel/sysinfo.c):
	// "LPAR UUID:" (SYSIB 2.2.2, DPM partitions) and "VMnn UUID:" (SYSIB
	// 3.2.2, one line per hypervisor level, VM00 the one running us).
	SysinfoFile = "proc/sysinfo"
	// DMIUUIDFile is the SMBIOS system UUID (type 1, offset 8), readable
	// by root only.
	DMIUUIDFile = "sys/class/dmi/id/product_uuid"
)

// SysinfoUUID returns the UUID of the virtual machine or partition from
// root/proc/sysinfo: the VM00 line when there is one (the hypervisor that
// runs us: z/VM or KVM), else the LPAR line.
func SysinfoUUID(root string) (string, error) {
	b, err := readFile(root, SysinfoFile)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoUUID, err)
	}
	u, err := ParseSysinfoUUID(b)
	if err != nil {
		return "", fmt.Errorf("/%s: %w", SysinfoFile, err)
	}
	return u, nil
}

// ParseSysinfoUUID picks the UUID out of /proc/sysinfo text, whose lines
// are "KEY: value" with the value padded by spaces, for example
//
//	VM00 UUID:            5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11
//
// It prefers "VM00 UUID", then the lowest-numbered VMnn, then "LPAR UUID".
// All-zero UUIDs (firmware that has none) do not count.
func ParseSysinfoUUID(b []byte) (string, error) {
	best, bestRank := "", 1<<30
	sc := bufio.NewScanner(bytes.NewReader(b))
	rank := 0
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		name, ok := strings.CutSuffix(key, " UUID")
		if !ok {
			continue
		}
		u, err := uuid.Parse(strings.TrimSpace(val))
		if err != nil || u == notPresent {
			continue
		}
		var r int
		switch {
		case strings.HasPrefix(name, "VM"):
			r = rank // VM00 is printed first
		case name == "LPAR":
			r = 1 << 20
		default:
			r = 1 << 21
		}
		rank++
		if r < bestRank {
			best, bestRank = u.String(), r
		}
	}
	if best == "" {
		return "", ErrNoUUID
	}
	return best, nil
}

// DMIUUID returns the SMBIOS system UUID from sysfs.
func DMIUUID(root string) (string, error) {
	b, err := readFile(root, DMIUUIDFile)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoUUID, err)
	}
	u, err := uuid.Parse(strings.TrimSpace(string(b)))
	if err != nil || u == notPresent || u == notPresentSettable {
		return "", fmt.Errorf("%w: /%s holds %q", ErrNoUUID, DMIUUIDFile, bytes.TrimSpace(b))
	}
	return u.String(), nil
}

// Placeholders firmware writes when it has no UUID (SMBIOS 2.6, 7.2.1:
// all ones means "not present, settable"; all zeros "not present").
var (
	notPresent         = uuid.UUID{}
	notPresentSettable = uuid.UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)
