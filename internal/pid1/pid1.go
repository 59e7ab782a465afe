// Package pid1 does the chores of a Go program running as the first
// process of a Linux system: mounting the pseudo file systems, putting the
// console on the standard descriptors, reaping orphaned children, turning
// panics into errors and running the boot for ever (Forever), and
// rebooting or powering off.
//
// It is written for the netboot ramdisk's init (cmd/pxeinit) in the style
// of gokrazy's Boot: every step that can fail without ending the boot logs
// and goes on (to the logger each function takes; nil discards).
//
//	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
//	pid1.MountAll(log, pid1.DefaultMounts)
//	pid1.Console(log, "/dev/console")
//	go pid1.Reap(ctx, log)
//	pid1.Forever(log, time.Second, func() error { return run(ctx) })
//
// Reap collects every child of the process, so a program that uses it must
// not wait for its own children with os/exec (the init starts none).
package pid1

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
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

// Where is the function and the file:line that panicked, read from
// Stack: the first frame below the runtime's panic call that is not in
// the runtime itself (a nil map write panics inside runtime.mapassign),
// "" when the stack has no such frame. For
//
//	panic({0x4f1e20?, 0x5a7c30?})
//		/usr/lib/go/src/runtime/panic.go:783 +0x132
//	main.parse(...)
//		/src/cmd/pxeinit/parse.go:42 +0x1d
//
// it is "main.parse /src/cmd/pxeinit/parse.go:42".
func (e *PanicError) Where() string {
	lines := strings.Split(string(e.Stack), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, "panic(") {
			continue
		}
		for j := i + 2; j+1 < len(lines); j += 2 {
			fn := lines[j]
			if strings.HasPrefix(fn, "runtime.") {
				continue
			}
			if k := strings.LastIndexByte(fn, '('); k > 0 {
				fn = fn[:k]
			}
			loc := strings.TrimSpace(lines[j+1])
			if k := strings.Index(loc, " +0x"); k > 0 {
				loc = loc[:k]
			}
			return fn + " " + loc
		}
	}
	return ""
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
