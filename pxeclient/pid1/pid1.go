// Package pid1 does the chores of a Go program running as the first
// process of a Linux system: mounting the pseudo file systems, putting the
// console on the standard descriptors, reaping orphaned children, turning
// panics into errors so the caller can retry, and rebooting or powering
// off.
//
// It is written for the netboot ramdisk's init (cmd/pxeinit) in the style
// of gokrazy's Boot: every step that can fail without ending the boot logs
// and goes on.
//
//	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
//	pid1.MountAll(log, pid1.DefaultMounts)
//	pid1.Console(log, "/dev/console")
//	go pid1.Reap(ctx, log)
//	for {
//		err := pid1.Recover(func() error { return run(ctx) })
//		log.Error("boot failed", "err", err)
//	}
//
// Reap collects every child of the process, so a program that uses it must
// not wait for its own children with os/exec (the init starts none).
package pid1

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// ErrPanic is matched (errors.Is) by the error Recover returns for a panic.
var ErrPanic = errors.New("panic")

// PanicError is a panic caught by Recover, with the stack where it
// happened.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack)
}

// Is makes errors.Is(err, ErrPanic) hold.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// Recover runs fn and returns its error; a panic in fn (in the calling
// goroutine) becomes a *PanicError with the stack instead of ending the
// process. Panics in goroutines fn starts are not caught: they cannot be.
func Recover(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}
