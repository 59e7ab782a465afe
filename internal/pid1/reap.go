package pid1

import (
	"context"
	"log/slog"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// Reap collects exited children until ctx ends: the first process
// inherits every orphan of the system, and their zombies stay until it
// waits for them. It waits once at the start and again on every SIGCHLD.
func Reap(ctx context.Context, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGCHLD)
	defer signal.Stop(ch)
	for {
		ReapOnce(log)
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

// ReapOnce waits for every child that has exited, without blocking, and
// returns how many it collected.
func ReapOnce(log *slog.Logger) int {
	log = logging.Or(log)
	n := 0
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return n
		}
		n++
		log.Debug("pid1: reaped", "pid", pid, "status", ws.ExitStatus())
	}
}
