// Package entropy tells the netboot client's two needs for randomness
// apart: numbers that only have to differ (DHCP transaction IDs), which it
// gets without waiting, and cryptographic randomness (TLS), which it waits
// for, saying why.
//
// Linux's getrandom(2), which Go's crypto/rand calls, blocks until the
// kernel's random pool is initialised. A machine with a CPU random
// instruction (RDRAND, s390x's PRNO TRNG) or a hardware RNG the kernel has
// a driver for (virtio-rng) is ready at once; QEMU's default x86 CPU under
// TCG has neither, and its pool can take minutes.
//
//	n := make([]byte, 4)
//	src := entropy.ReadNonblocking(n) // never waits
//	if err := entropy.Wait(ctx, log, "HTTPS (TLS) needs cryptographic randomness"); err != nil { ... }
package entropy

// Source says where ReadNonblocking got its bytes.
type Source string

// The sources of ReadNonblocking, best first.
const (
	// Pool: getrandom(2) from the initialised pool (cryptographic).
	Pool Source = "getrandom"
	// Insecure: getrandom(GRND_INSECURE) before the pool is initialised
	// (Linux 5.6 and later): the kernel's generator, not yet fully seeded.
	Insecure Source = "getrandom(GRND_INSECURE)"
	// Runtime: Go's runtime generator (math/rand/v2, ChaCha8 seeded at
	// process start from the 16 bytes the kernel passes in AT_RANDOM).
	Runtime Source = "runtime"
)
