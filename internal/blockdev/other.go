//go:build !linux

package blockdev

import (
	"context"
	"fmt"
	"os"
	"runtime"
)

var errOS = fmt.Errorf("GOOS=%s: %w", runtime.GOOS, ErrUnsupported)

// Mount returns ErrUnsupported outside Linux.
func Mount(dev Device, fs FS, dir string) (func() error, error) { return nil, errOS }

// MountTopLevel returns ErrUnsupported outside Linux.
func MountTopLevel(dev Device, fs FS, dir string) (func() error, error) { return nil, errOS }

// AttachLoop returns ErrUnsupported outside Linux.
func AttachLoop(path string) (string, func() error, error) { return "", nil, errOS }

// AttachLoopPartition returns ErrUnsupported outside Linux.
func AttachLoopPartition(path string, p Partition) (string, func() error, error) {
	return "", nil, errOS
}

// Open returns ErrUnsupported outside Linux.
func Open(d Device) (*os.File, error) { return nil, errOS }

// ProbeDevice returns ErrUnsupported outside Linux.
func ProbeDevice(ctx context.Context, d Device) (FS, error) { return FS{}, errOS }

// PartitionEntry returns ErrUnsupported outside Linux.
func PartitionEntry(ctx context.Context, sysRoot string, d Device) (Partition, error) {
	return Partition{}, errOS
}

// uevents has nothing to listen to outside Linux: Wait polls.
func uevents(ctx context.Context) (<-chan struct{}, error) { return nil, errOS }
