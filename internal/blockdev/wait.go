package blockdev

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Defaults of WaitOptions.
const (
	// DefaultBound is how long Wait waits for disks at most: the
	// default of the init's pxeinit.diskwait setting.
	DefaultBound = 3 * time.Second
	// DefaultSettle is how long no device may change before Wait takes
	// the list as complete: drivers that probe several disks (AHCI,
	// virtio-scsi, NVMe namespaces) add them within a few milliseconds
	// of each other.
	DefaultSettle = 300 * time.Millisecond
	// pollInterval is how often Wait rescans sysfs without uevents;
	// pollIntervalUevents the safety net when uevents arrive (a
	// container's network namespace gets none).
	pollInterval        = 100 * time.Millisecond
	pollIntervalUevents = 500 * time.Millisecond
)

// WaitOptions are Wait's knobs; the zero value means the defaults.
type WaitOptions struct {
	// Bound is the most Wait waits (DefaultBound when 0).
	Bound time.Duration
	// Settle is how long the list must stay the same, once it has a
	// device, to be complete (DefaultSettle when 0).
	Settle time.Duration
	// Found, when set, is called (from Wait's goroutine) with the list
	// each time it changes, so a menu can show what is found so far.
	Found func([]Device)
	// Logger gets a debug line per change (nil: discard).
	Logger *slog.Logger
}

// Wait scans sysRoot (Scan) until the devices are complete: when the
// list has at least one device and has not changed for Settle, or when
// Bound has passed (a machine without disks waits the whole Bound), or
// when ctx ends (then it returns what it has and ctx's error). It
// rescans on every block uevent (NETLINK_KOBJECT_UEVENT, on Linux) and,
// as a fallback when uevents do not arrive, every 100 ms (500 ms with
// uevents; a sysRoot other than "/sys" is always polled). Wait reads only sysfs, never the disks: probe each device
// with ProbeDevice, which is bounded too.
func Wait(ctx context.Context, sysRoot string, o WaitOptions) ([]Device, []Skipped, error) {
	log := logging.Or(o.Logger)
	bound, settle := o.Bound, o.Settle
	if bound <= 0 {
		bound = DefaultBound
	}
	if settle <= 0 {
		settle = DefaultSettle
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Uevents tell of the live sysfs only; another tree (a test's) is
	// polled.
	var events <-chan struct{}
	poll := pollInterval
	if filepath.Clean(sysRoot) == "/sys" {
		var err error
		if events, err = uevents(ctx); err != nil {
			log.Debug("blockdev: no uevents, polling sysfs", "err", err)
		} else {
			poll = pollIntervalUevents
		}
	}
	start := time.Now()
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	ticker := time.NewTicker(poll)
	defer ticker.Stop()

	devs, skipped, err := Scan(sysRoot)
	if err != nil {
		return nil, nil, err
	}
	lastChange := start
	if len(devs) > 0 && o.Found != nil {
		o.Found(slices.Clone(devs))
	}
	for {
		if len(devs) > 0 && time.Since(lastChange) >= settle {
			return devs, skipped, nil
		}
		// Wake at the settle point at the latest, so that a quiet list
		// returns on time between ticks.
		settled := time.NewTimer(max(settle-time.Since(lastChange), time.Millisecond))
		select {
		case <-ctx.Done():
			settled.Stop()
			return devs, skipped, fmt.Errorf("waiting for block devices: %w", ctx.Err())
		case <-deadline.C:
			settled.Stop()
			log.Debug("blockdev: wait bound reached", "bound", bound, "devices", len(devs))
			return devs, skipped, nil
		case <-settled.C:
			continue
		case <-events:
		case <-ticker.C:
		}
		settled.Stop()
		nd, ns, err := Scan(sysRoot)
		if err != nil {
			return devs, skipped, err
		}
		if !slices.Equal(nd, devs) {
			log.Debug("blockdev: devices changed", "after", time.Since(start).Round(time.Millisecond), "devices", names(nd))
			devs, skipped, lastChange = nd, ns, time.Now()
			if o.Found != nil {
				o.Found(slices.Clone(devs))
			}
		} else {
			skipped = ns
		}
	}
}

func names(devs []Device) string {
	s := make([]string, len(devs))
	for i, d := range devs {
		s[i] = d.Name
	}
	return strings.Join(s, " ")
}

// bounded runs f in a goroutine and returns its result, or ctx's error
// (naming what) when ctx ends first. The goroutine then runs on until f
// returns: a read from a disk that never answers blocks in the kernel,
// where nothing can stop it; f must release what it holds itself.
func bounded[T any](ctx context.Context, what string, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1) // buffered: the goroutine never blocks on it
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: no answer: %w", what, ctx.Err())
	}
}

// Uevent is the part of a kernel uevent Wait looks at.
type uevent struct {
	action, subsystem, devname string
}

// parseUevent reads a kernel uevent datagram: "ACTION@DEVPATH\0" then
// KEY=VALUE strings each ended by NUL (lib/kobject_uevent.c). Messages
// that do not start that way (udevd's "libudev" ones) give ok false.
func parseUevent(b []byte) (e uevent, ok bool) {
	head, rest, found := strings.Cut(string(b), "\x00")
	if !found || !strings.Contains(head, "@") {
		return e, false
	}
	for _, kv := range strings.Split(rest, "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "ACTION":
			e.action = v
		case "SUBSYSTEM":
			e.subsystem = v
		case "DEVNAME":
			e.devname = v
		}
	}
	return e, e.action != "" && e.subsystem != ""
}
