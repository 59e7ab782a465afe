package dhcp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Attempt is one way of getting a result in Race: DHCPv6 on one link, or
// DHCPv4 and DHCPv6 side by side.
type Attempt[T any] struct {
	// Name says in the log and in errors which attempt it is.
	Name string
	// Get returns the result, whether it carries boot information, or an
	// error. It must return soon after ctx ends.
	Get func(ctx context.Context) (T, bool, error)
}

// Race runs the attempts at once and returns the result of the first
// that carries boot information, or, when the first result without it
// is not followed by a better one within grace, that result. It says in
// the log which result it took and why. The other attempts are cancelled
// but not waited for (a DHCPv4 client may take seconds to notice), so an
// attempt's Get must not change shared state once its ctx has ended.
// When none gives a result before ctx ends, the error joins ctx's cause
// and each attempt's error.
func Race[T any](ctx context.Context, log *slog.Logger, grace time.Duration, attempts []Attempt[T]) (T, string, error) {
	log = logging.Or(log)
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		name string
		v    T
		boot bool
		err  error
	}
	results := make(chan result, len(attempts))
	for _, a := range attempts {
		go func() {
			v, boot, err := a.Get(ctx)
			results <- result{a.Name, v, boot, err}
		}()
	}
	defer cancel()

	var (
		best     *result
		decision *result
		grace1   <-chan time.Time
		errs     []error
		why      string
	)
	done := ctx.Done()
	for pending := len(attempts); decision == nil && pending > 0; {
		select {
		case r := <-results:
			pending--
			switch {
			case r.err != nil:
				errs = append(errs, fmt.Errorf("%s: %w", r.name, r.err))
			case r.boot:
				decision, why = &r, "first with boot information"
			case best == nil:
				best = &r
				log.Info("result without boot information; waiting for a better one", "from", r.name, "grace", grace)
				grace1 = time.After(grace)
			}
		case <-grace1:
			decision, why = best, "no result with boot information within the grace period"
		case <-done:
			// Collect the attempts' errors: they return soon now.
			done, grace1 = nil, nil
			if best != nil {
				decision, why = best, "the time ran out"
			}
		}
	}
	if decision == nil && best != nil {
		decision, why = best, "the only result"
	}
	if decision == nil {
		var zero T
		return zero, "", errors.Join(append([]error{context.Cause(ctx)}, errs...)...)
	}
	var others []string
	for _, a := range attempts {
		if a.Name != decision.name {
			others = append(others, a.Name)
		}
	}
	log.Info("network configuration chosen", "from", decision.name, "why", why, "boot_info", decision.boot, "dropped", others)
	return decision.v, decision.name, nil
}
