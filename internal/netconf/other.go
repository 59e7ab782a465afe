//go:build !linux

package netconf

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"time"
)

var errOS = fmt.Errorf("GOOS=%s: %w", runtime.GOOS, ErrUnsupported)

// Links returns ErrUnsupported outside Linux.
func Links() ([]Link, error) { return nil, errOS }

// LinkByName returns ErrUnsupported outside Linux.
func LinkByName(name string) (Link, error) { return Link{}, errOS }

// EthernetLinks returns ErrUnsupported outside Linux.
func EthernetLinks() ([]Link, error) { return nil, errOS }

// SetUp returns ErrUnsupported outside Linux.
func SetUp(name string) error { return errOS }

// WaitCarrier returns ErrUnsupported outside Linux.
func WaitCarrier(ctx context.Context, log *slog.Logger, name string, timeout time.Duration) error {
	return errOS
}

// AddAddress returns ErrUnsupported outside Linux.
func AddAddress(name string, p netip.Prefix) error { return errOS }

// AddDefaultRoute returns ErrUnsupported outside Linux.
func AddDefaultRoute(name string, gw netip.Addr, onLink bool) error { return errOS }

// Apply returns ErrUnsupported outside Linux.
func Apply(ctx context.Context, log *slog.Logger, name string, cfg Config, opts ApplyOptions) error {
	return errOS
}

// EnableIPv6 returns ErrUnsupported outside Linux.
func EnableIPv6(name string) error { return errOS }

// RouterAdvert returns ErrUnsupported outside Linux.
func RouterAdvert(name string) (RA, error) { return RA{}, errOS }

// Addrs6 returns ErrUnsupported outside Linux.
func Addrs6(name string) ([]Addr6, error) { return nil, errOS }

// WaitAddr6 returns ErrUnsupported outside Linux.
func WaitAddr6(ctx context.Context, name string, pick func(Addr6) bool) (Addr6, error) {
	return Addr6{}, errOS
}
