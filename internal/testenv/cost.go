package testenv

import (
	"runtime"
	"time"
)

// Cost is what one call took, for tests that bound the time and memory
// hostile or large input may cost.
type Cost struct {
	// Elapsed is the wall-clock time of the call.
	Elapsed time.Duration
	// Alloc is the bytes allocated during the call (runtime.MemStats
	// TotalAlloc), by every goroutine of the process.
	Alloc uint64
	// InUse is how the heap in use changed (runtime.MemStats HeapInuse).
	InUse int64
}

// Measure runs f after a garbage collection and returns what it cost.
func Measure(f func()) Cost {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return Cost{
		Elapsed: elapsed,
		Alloc:   after.TotalAlloc - before.TotalAlloc,
		InUse:   int64(after.HeapInuse) - int64(before.HeapInuse),
	}
}
