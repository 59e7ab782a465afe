//go:build linux

package kexec

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestCallExists: only ENOSYS means a kernel without the call; the
// refusals of a kernel that has it (bad fd, too many segments, no
// permission, lockdown, an LSM) mean it is there.
func TestCallExists(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{unix.ENOSYS, false},
		{explain("kexec_load()", unix.ENOSYS), false},
		{unix.EBADF, true},
		{unix.EINVAL, true},
		{unix.EPERM, true},
		{unix.EACCES, true},
		{unix.EFAULT, true},
		{nil, true},
	} {
		if got := callExists(tt.err); got != tt.want {
			t.Errorf("callExists(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
