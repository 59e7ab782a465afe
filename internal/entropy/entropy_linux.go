//go:build linux

package entropy

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
	"golang.org/x/sys/unix"
)

// getrandomFunc is unix.Getrandom's shape; tests pass their own to walk
// the fallbacks that a real kernel takes only before its pool is ready.
type getrandomFunc func(p []byte, flags int) (int, error)

// ReadNonblocking fills b and says from where, without waiting for the
// kernel's random pool: getrandom(GRND_NONBLOCK) once the pool is ready,
// getrandom(GRND_INSECURE) before (Linux 5.6+), and otherwise Go's runtime
// generator. The bytes are unpredictable only in the first case: use them
// where values merely have to differ.
func ReadNonblocking(b []byte) Source { return readNonblocking(b, unix.Getrandom) }

func readNonblocking(b []byte, getrandom getrandomFunc) Source {
	if fill(b, getrandom, unix.GRND_NONBLOCK) == nil {
		return Pool
	}
	if fill(b, getrandom, unix.GRND_INSECURE) == nil {
		return Insecure
	}
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return Runtime
}

// fill reads len(b) bytes with getrandom and flags, going on after short
// reads and EINTR; it fails with the first other error (EAGAIN: pool not
// ready; EINVAL: flags unknown to this kernel; ENOSYS: no getrandom).
func fill(b []byte, getrandom getrandomFunc, flags int) error {
	for len(b) > 0 {
		n, err := getrandom(b, flags)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return unix.EIO
		}
		b = b[n:]
	}
	return nil
}

// Ready reports whether the kernel's random pool is initialised, so that
// getrandom(2), and Go's crypto/rand with it, returns without waiting. A
// kernel without getrandom (before 3.17) counts as ready: crypto/rand then
// reads /dev/urandom, which does not wait.
func Ready() bool { return ready(unix.Getrandom) }

func ready(getrandom getrandomFunc) bool {
	var b [1]byte
	return !errors.Is(fill(b[:], getrandom, unix.GRND_NONBLOCK), unix.EAGAIN)
}

// Wait returns once the kernel's random pool is initialised. If it is not
// yet, it says so on log first, with why (what needs the randomness) and
// what would have avoided the wait, then waits in a blocking getrandom(2):
// from Linux 5.18 on, that also makes the kernel gather entropy from CPU
// timing jitter while it waits. It reports the time it waited. Callers
// that come while a wait is under way (parallel downloads) join it without
// a message of their own. When ctx ends first Wait returns ctx's cause
// (the blocking call itself ends only with the pool ready).
func Wait(ctx context.Context, log *slog.Logger, why string) error {
	return pool.wait(ctx, logging.Or(log), why, unix.Getrandom)
}

// pool is the process's one wait for the kernel's random pool.
var pool waiter

// waiter runs at most one blocking getrandom at a time and lets every
// caller wait for it.
type waiter struct {
	mu  sync.Mutex
	cur *blocking // the call under way, or nil
}

// blocking is one blocking getrandom call.
type blocking struct {
	done chan struct{} // closed when the call returned
	err  error         // its error, set before done is closed
}

func (w *waiter) wait(ctx context.Context, log *slog.Logger, why string, getrandom getrandomFunc) error {
	if ready(getrandom) {
		return nil
	}
	w.mu.Lock()
	b := w.cur
	if b == nil {
		b = &blocking{done: make(chan struct{})}
		w.cur = b
		log.Warn("waiting for the kernel's random pool: " + why + ", and this machine has given the kernel " +
			"no entropy yet (no CPU random instruction such as RDRAND, no hardware RNG such as a virtio-rng device); " +
			"the kernel gathers CPU timing jitter meanwhile")
		start := time.Now()
		go func() {
			var buf [1]byte
			b.err = fill(buf[:], getrandom, 0)
			if b.err == nil {
				log.Info("random pool ready", "waited", time.Since(start).Round(time.Millisecond).String())
			}
			w.mu.Lock()
			w.cur = nil
			w.mu.Unlock()
			close(b.done)
		}()
	}
	w.mu.Unlock()
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
