//go:build !linux

package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
)

// ErrUnsupported is returned by Run outside Linux: nclient4's raw packet
// socket (AF_PACKET) exists only there.
var ErrUnsupported = errors.New("DHCP client needs Linux AF_PACKET sockets")

// Run returns ErrUnsupported outside Linux.
func Run(ctx context.Context, log *slog.Logger, ifaces []string, opts Options) (*Lease, error) {
	return nil, fmt.Errorf("GOOS=%s: %w", runtime.GOOS, ErrUnsupported)
}

// Run6 returns ErrUnsupported outside Linux.
func Run6(ctx context.Context, log *slog.Logger, ifaces []string, opts Options) (*Lease6, error) {
	return nil, fmt.Errorf("GOOS=%s: %w", runtime.GOOS, ErrUnsupported)
}
