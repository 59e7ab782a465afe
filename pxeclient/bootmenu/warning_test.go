package bootmenu_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// TestWhere: a warning's place, from bootmenu.Warning or a source's own
// type (PXELINUX's), through wrapping; none for a plain error.
func TestWhere(t *testing.T) {
	errX := errors.New("x")
	pxe := menuOf(t, "DEFAULT a\nNOSUCHKEYWORD\nLABEL a\n  KERNEL k\n").Warnings
	if len(pxe) != 1 {
		t.Fatalf("PXELINUX warnings %v, want 1", pxe)
	}
	for _, tt := range []struct {
		err  error
		file string
		line int
		ok   bool
		text string
	}{
		{err: &bootmenu.Warning{File: "vda2:/boot/grub/grub.cfg", Line: 3, Err: errX}, file: "vda2:/boot/grub/grub.cfg", line: 3, ok: true, text: "vda2:/boot/grub/grub.cfg:3: x"},
		{err: &bootmenu.Warning{File: "vda1:/loader/loader.conf", Err: errX}, file: "vda1:/loader/loader.conf", ok: true, text: "vda1:/loader/loader.conf: x"},
		{err: fmt.Errorf("wrapped: %w", &bootmenu.Warning{File: "f", Line: 1, Err: errX}), file: "f", line: 1, ok: true, text: "wrapped: f:1: x"},
		{err: pxe[0], file: "pxelinux.cfg/default", line: 2, ok: true, text: pxe[0].Error()},
		{err: errX, text: "x"},
	} {
		file, line, ok := bootmenu.Where(tt.err)
		if file != tt.file || line != tt.line || ok != tt.ok || tt.err.Error() != tt.text {
			t.Errorf("Where(%q) = %q, %d, %v; want %q, %d, %v, text %q", tt.err, file, line, ok, tt.file, tt.line, tt.ok, tt.text)
		}
		if tt.ok && !errors.Is(tt.err, errX) && tt.err != pxe[0] {
			t.Errorf("%q does not wrap its cause", tt.err)
		}
	}
}
