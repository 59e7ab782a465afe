//go:build !linux

package entropy

import (
	"context"
	"crypto/rand"
	"log/slog"
)

// ReadNonblocking fills b from crypto/rand, which does not wait on the
// systems other than Linux that Go supports.
func ReadNonblocking(b []byte) Source {
	rand.Read(b)
	return Pool
}

// Ready reports true: only Linux's getrandom waits for its pool.
func Ready() bool { return true }

// Wait returns at once: only Linux's getrandom waits for its pool.
func Wait(context.Context, *slog.Logger, string) error { return nil }
