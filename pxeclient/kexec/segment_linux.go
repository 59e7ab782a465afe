//go:build linux && (s390x || arm64)

package kexec

import (
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kexecSegment is struct kexec_segment (include/uapi/linux/kexec.h):
// { void *buf; size_t bufsz; unsigned long mem; size_t memsz; }.
type kexecSegment struct {
	buf   uintptr
	bufsz uintptr
	mem   uintptr
	memsz uintptr
}

// segmentLoad calls kexec_load with the segments of l.
func segmentLoad(l Layout, log *slog.Logger) error {
	if err := CheckSegments(l.Segments, uint64(os.Getpagesize())); err != nil {
		return err
	}
	segs := make([]kexecSegment, len(l.Segments))
	for i, s := range l.Segments {
		log.Info("kexec: segment", "n", i, "mem", fmt.Sprintf("%#x", s.Mem), "memsz", s.Memsz, "bufsz", len(s.Buf))
		segs[i] = kexecSegment{bufsz: uintptr(len(s.Buf)), mem: uintptr(s.Mem), memsz: uintptr(s.Memsz)}
		if len(s.Buf) > 0 {
			segs[i].buf = uintptr(unsafe.Pointer(&s.Buf[0]))
		}
	}
	call := fmt.Sprintf("kexec_load(entry=%#x, %d segments, flags=%#x)", l.Entry, len(segs), l.Flags)
	_, _, errno := unix.Syscall6(unix.SYS_KEXEC_LOAD, uintptr(l.Entry), uintptr(len(segs)),
		uintptr(unsafe.Pointer(&segs[0])), uintptr(l.Flags), 0, 0)
	for _, s := range l.Segments {
		runtime.KeepAlive(s.Buf)
	}
	runtime.KeepAlive(segs)
	if errno != 0 {
		return explain(call, errno)
	}
	log.Info("kexec: loaded with " + call)
	return nil
}
