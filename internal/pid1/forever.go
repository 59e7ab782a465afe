package pid1

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Forever runs step again and again and never returns: the first process
// must not exit, because the kernel panics when it does ("Attempted to
// kill init!"). Each time step returns, its error is logged and step runs
// again after pause. A panic in step (in the goroutine that calls it)
// becomes a *PanicError, logged with the panic value and the stack where
// it happened; a panic in a goroutine step starts cannot be caught here
// and still ends the process.
//
//	pid1.Forever(log, time.Second, func() error { return client.Run(ctx) })
func Forever(log *slog.Logger, pause time.Duration, step func() error) {
	log = logging.Or(log)
	for round := 1; ; round++ {
		err := Recover(step)
		if err == nil {
			log.Error("boot loop returned; starting again", "round", round)
		} else {
			attrs := []any{"round", round}
			var pe *PanicError
			if errors.As(err, &pe) {
				attrs = append(attrs, "where", pe.Where())
			}
			log.Error(fmt.Sprintf("boot loop ended: %v; starting again", err), attrs...)
		}
		time.Sleep(pause)
	}
}
