package fetch

import "golang.org/x/sys/unix"

// prefault maps the pages of a new buffer in one madvise(2)
// (MADV_POPULATE_WRITE, Linux 5.14 and later; older kernels refuse it and
// the pages come with the first write as usual) instead of one page fault
// per 4 KiB inside the reads that fill it. In the 1-CPU s390x TCG guest
// (31 MB over HTTP, three back-to-back pairs) it took QEMU's CPU for the
// fetch from 2.74, 3.55, 2.86 s to 2.12, 2.61, 2.55 s. Buffers under
// prefaultMin, and slices that do not start on a page (a grown buffer's
// new part), are left to the page faults. It reports whether the pages
// are mapped: the kernel's MemAvailable then counts them.
func prefault(b []byte) bool {
	return len(b) >= prefaultMin && unix.Madvise(b, unix.MADV_POPULATE_WRITE) == nil
}

// prefaultMin is the smallest buffer prefault maps at once: a config file
// is not worth the system call.
const prefaultMin = 1 << 20
