package bootmenu

import (
	"errors"
	"fmt"
)

// Located is a warning (an error in Menu.Warnings) that says where it
// is: the file as the menu names files ("vda2:/boot/grub/grub.cfg",
// a PXELINUX path) and the line (0: the file as a whole). [Warning] is
// one; a source may have its own type.
type Located interface {
	error
	Where() (file string, line int)
}

// Where is where err is: the place of the first error in its chain that
// is [Located]; ok is false when none is.
func Where(err error) (file string, line int, ok bool) {
	var l Located
	if !errors.As(err, &l) {
		return "", 0, false
	}
	file, line = l.Where()
	return file, line, true
}

// Warning is a problem a source worked around and where it is: File and
// Line (0: the file as a whole) say where, Err what; Err wraps the
// sentinel error of the source that says which problem it is, so
// errors.Is works on the Warning. Its text is "FILE:LINE: what" ("FILE:
// what" without a line), the place written as [Origin] writes it.
type Warning struct {
	File string
	Line int
	Err  error
}

func (w *Warning) Error() string {
	return fmt.Sprintf("%s: %v", Origin{File: w.File, Line: w.Line}, w.Err)
}

// Unwrap returns Err.
func (w *Warning) Unwrap() error { return w.Err }

// Where returns File and Line.
func (w *Warning) Where() (file string, line int) { return w.File, w.Line }
