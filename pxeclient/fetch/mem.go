package fetch

import (
	"fmt"
	"math"
	"strconv"

	"github.com/s390netboot/s390netboot/internal/meminfo"
)

// MemCheck decides whether need more bytes can be held in memory. It
// returns nil when they fit and otherwise an error that wraps
// [ErrNoMemory] and gives the sizes. The Fetcher calls it before it
// allocates a buffer, with need counting the file plus the parts of
// buffers of other transfers in flight that are not in memory yet (not
// written, nor mapped ahead: see prefault_linux.go).
//
// Callers that keep their own budget (the kexec loader needs the kernel
// and initrds a second time inside the kernel) pass their own.
type MemCheck func(need int64) error

// MemMargin is the memory [MemAvailable] keeps free for the rest of the
// boot (the kexec segments are copied out of these buffers, the init
// keeps running).
const MemMargin = 32 << 20

// MemAvailable is the default [MemCheck]: need must fit in the kernel's
// MemAvailable estimate (/proc/meminfo, Linux 3.14 and later; MemFree on
// older kernels) minus [MemMargin]. When /proc/meminfo cannot be read or
// parsed it lets everything through: the allocation then fails or
// succeeds on its own.
func MemAvailable(need int64) error {
	m, err := meminfo.Read()
	if err != nil {
		return nil
	}
	return checkFits(need, int64(min(m.Available, math.MaxInt64)), MemMargin)
}

// checkFits reports whether need fits in avail minus margin.
func checkFits(need, avail, margin int64) error {
	if need <= avail-margin {
		return nil
	}
	return fmt.Errorf("%w: needs %s, %s available (MemAvailable %s minus %s kept free)",
		ErrNoMemory, formatSize(need), formatSize(max(avail-margin, 0)), formatSize(avail), formatSize(margin))
}

// formatSize prints a byte count for people: "900 MiB", "12.5 KiB".
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, suffix := range []string{"KiB", "MiB", "GiB", "TiB"} {
		v /= unit
		if v < unit || suffix == "TiB" {
			if v < 10 {
				return strconv.FormatFloat(v, 'f', 1, 64) + " " + suffix
			}
			return strconv.FormatFloat(v, 'f', 0, 64) + " " + suffix
		}
	}
	return "" // unreachable
}
