//go:build linux

package entropy

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// kernel is a getrandom(2) with a pool that is or is not ready, answering
// each flag the way a kernel of some version does.
type kernel struct {
	nonblock, insecure error // the error for GRND_NONBLOCK and GRND_INSECURE; nil: fills
	short              bool  // at most 3 bytes per call, and EINTR first
	ready              chan struct{}
	mu                 sync.Mutex
	calls              []int
}

func (k *kernel) getrandom(p []byte, flags int) (int, error) {
	k.mu.Lock()
	k.calls = append(k.calls, flags)
	odd := len(k.calls)%2 == 1
	k.mu.Unlock()
	var err error
	switch flags {
	case unix.GRND_NONBLOCK:
		err = k.nonblock
	case unix.GRND_INSECURE:
		err = k.insecure
	case 0:
		if k.ready != nil {
			<-k.ready
		}
	}
	if err != nil {
		return 0, err
	}
	if k.short && odd {
		return 0, unix.EINTR
	}
	n := len(p)
	if k.short {
		n = min(n, 3)
	}
	for i := range p[:n] {
		p[i] = 0xa5
	}
	return n, nil
}

func TestReadNonblocking(t *testing.T) {
	tests := []struct {
		name string
		k    *kernel
		want Source
	}{
		{"pool ready", &kernel{}, Pool},
		{"pool ready, short reads and EINTR", &kernel{short: true}, Pool},
		{"pool not ready (Linux 5.6+)", &kernel{nonblock: unix.EAGAIN}, Insecure},
		{"pool not ready, no GRND_INSECURE (before 5.6)", &kernel{nonblock: unix.EAGAIN, insecure: unix.EINVAL}, Runtime},
		{"no getrandom (before 3.17)", &kernel{nonblock: unix.ENOSYS, insecure: unix.ENOSYS}, Runtime},
	}
	for _, tt := range tests {
		b := make([]byte, 16)
		got := readNonblocking(b, tt.k.getrandom)
		if got != tt.want {
			t.Errorf("%s: source %q, want %q (calls %v)", tt.name, got, tt.want, tt.k.calls)
		}
		if tt.want != Runtime && !bytes.Equal(b, bytes.Repeat([]byte{0xa5}, 16)) {
			t.Errorf("%s: not filled from getrandom: %x", tt.name, b)
		}
		for _, f := range tt.k.calls {
			if f == 0 {
				t.Errorf("%s: a blocking getrandom (flags 0)", tt.name)
			}
		}
	}
}

// TestRuntimeFallbackDiffers: the last resort still gives different
// numbers on each call.
func TestRuntimeFallbackDiffers(t *testing.T) {
	k := &kernel{nonblock: unix.EAGAIN, insecure: unix.EINVAL}
	a, b := make([]byte, 8), make([]byte, 8)
	readNonblocking(a, k.getrandom)
	readNonblocking(b, k.getrandom)
	if bytes.Equal(a, b) {
		t.Errorf("two runtime reads gave %x", a)
	}
}

func TestReadyAndReadNonblockingOnThisKernel(t *testing.T) {
	// The machine running the tests has had its pool ready for long.
	if !Ready() {
		t.Skip("the kernel's random pool is not ready on this machine")
	}
	b := make([]byte, 32)
	if src := ReadNonblocking(b); src != Pool {
		t.Errorf("source %q with the pool ready", src)
	}
	if bytes.Equal(b, make([]byte, 32)) {
		t.Error("32 zero bytes")
	}
}

func TestWait(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))

	// Ready: no message, no blocking call.
	k := &kernel{}
	if err := new(waiter).wait(context.Background(), logger, "TLS needs it", k.getrandom); err != nil || log.Len() > 0 {
		t.Errorf("ready pool: err %v, log %q", err, log.String())
	}

	// Not ready: the message first, then the wait.
	k = &kernel{nonblock: unix.EAGAIN, ready: make(chan struct{})}
	done := make(chan error)
	var w waiter
	for range 3 { // parallel downloads: one message, one blocking call
		go func() {
			done <- w.wait(context.Background(), logger, "HTTPS (TLS) needs cryptographic randomness", k.getrandom)
		}()
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("returned before the pool was ready: %v", err)
	default:
	}
	close(k.ready)
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(log.String(), "waiting for the kernel's random pool"); n != 1 {
		t.Errorf("%d messages for three waits:\n%s", n, log.String())
	}
	k.mu.Lock()
	if n := slices.Index(k.calls, 0); n < 0 || slices.Contains(k.calls[n+1:], 0) {
		t.Errorf("want one blocking getrandom; calls (flags) %v", k.calls)
	}
	k.mu.Unlock()
	for _, want := range []string{"waiting for the kernel's random pool: HTTPS (TLS) needs cryptographic randomness", "virtio-rng", "random pool ready", "waited="} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}

	// Not ready and the context ends: its cause.
	k = &kernel{nonblock: unix.EAGAIN, ready: make(chan struct{})}
	defer close(k.ready)
	cause := errors.New("boot entry abandoned")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(20*time.Millisecond, func() { cancel(cause) })
	if err := new(waiter).wait(ctx, logger, "TLS", k.getrandom); !errors.Is(err, cause) {
		t.Errorf("cancelled wait: %v, want %v", err, cause)
	}
}
