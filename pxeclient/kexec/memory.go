package kexec

import (
	"fmt"

	"github.com/s390netboot/s390netboot/internal/meminfo"
)

// Memory accounting for FitsInMemory.
const (
	// LoadCopies is how many copies of the image exist at the peak of a
	// load: the downloaded buffers; the staging copy (the memfd given to
	// kexec_file_load, or the patched kernel and joined ramdisks for
	// kexec_load); the kernel's own read of the files (kexec_file_load,
	// freed when the call returns); and the pages the kernel copies the
	// segments into, held until the reboot. kexec_load needs one copy
	// fewer; the count is the worse case.
	LoadCopies = 4
	// Headroom is memory left for the running client (its Go heap, page
	// cache) on top of the copies.
	Headroom = 16 << 20
)

// Meminfo is what /proc/meminfo says about the memory, in bytes: Total
// and Available.
type Meminfo = meminfo.Info

// MemoryNeeded returns the memory a kexec of files of the given sizes
// needs: LoadCopies times their sum plus Headroom.
func MemoryNeeded(sizes ...int64) uint64 {
	var sum uint64
	for _, s := range sizes {
		if s > 0 {
			sum += uint64(s)
		}
	}
	return LoadCopies*sum + Headroom
}

// CheckMemory reports whether files of the given sizes fit m: the copies
// MemoryNeeded counts must fit in m.Available, and the loaded image itself
// in half of m.Total (the kernel refuses segments that take more with
// EINVAL: sanity_check_segment_list in kernel/kexec_core.c). The error
// matches ErrNotEnoughMemory.
func CheckMemory(m Meminfo, sizes ...int64) error {
	need := MemoryNeeded(sizes...)
	image := (need - Headroom) / LoadCopies
	switch {
	case need > m.Available:
		return fmt.Errorf("%w: %s of files need about %s (%d copies + %s), %s available",
			ErrNotEnoughMemory, mib(image), mib(need), LoadCopies, mib(Headroom), mib(m.Available))
	case image > m.Total/2:
		return fmt.Errorf("%w: %s of files is more than half of the %s of RAM, which kexec refuses",
			ErrNotEnoughMemory, mib(image), mib(m.Total))
	}
	return nil
}

// FitsInMemory reports whether a kernel and ramdisks of the given sizes can
// be loaded with the memory free now (/proc/meminfo). Call it before
// downloading, with the sizes the server announced.
func FitsInMemory(sizes ...int64) error {
	m, err := meminfo.Read()
	if err != nil {
		return fmt.Errorf("checking free memory: %w", err)
	}
	return CheckMemory(m, sizes...)
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
