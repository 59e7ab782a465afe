package kexec

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		call  string
		errno unix.Errno
		kind  error
		words string
	}{
		{"kexec_file_load()", unix.EPERM, ErrPermission, ""},
		{"kexec_file_load()", unix.EKEYREJECTED, ErrSignature, "signed"},
		{"kexec_file_load()", unix.EBADMSG, ErrSignature, "signature"},
		{"kexec_file_load()", unix.ENOEXEC, ErrUnsupportedKernel, "no kexec loader"},
		{"kexec_file_load()", unix.ENOSYS, ErrNotSupported, "CONFIG_KEXEC_FILE"},
		{"kexec_load()", unix.EBUSY, ErrBusy, "under way"},
		{"kexec_load()", unix.ENOMEM, ErrNotEnoughMemory, "memory"},
		{"kexec_load()", unix.EADDRNOTAVAIL, ErrBadLayout, "page-aligned"},
		{"kexec_load()", unix.EINVAL, nil, "half of RAM"},
		{"reboot(LINUX_REBOOT_CMD_KEXEC)", unix.EINVAL, ErrNotLoaded, "call Load first"},
		{"kexec_load()", unix.EIO, nil, "input/output error"},
	}
	for _, tt := range tests {
		err := explain(tt.call, tt.errno)
		if !errors.Is(err, tt.errno) {
			t.Errorf("%s %v: errors.Is(errno) fails: %v", tt.call, tt.errno, err)
		}
		if tt.kind != nil && !errors.Is(err, tt.kind) {
			t.Errorf("%s %v: not %v: %v", tt.call, tt.errno, tt.kind, err)
		}
		if !strings.HasPrefix(err.Error(), tt.call+": ") || !strings.Contains(err.Error(), tt.words) {
			t.Errorf("%s %v: %q does not say %q", tt.call, tt.errno, err, tt.words)
		}
	}
	var se *SyscallError
	if err := explain("kexec_load()", unix.EPERM); !errors.As(err, &se) || se.Errno != unix.EPERM {
		t.Errorf("not a *SyscallError: %v", err)
	}
}

// TestMemfd checks that memfd gives a read-only file with the ramdisks
// joined as ConcatInitrds joins them, the way kexec_file_load reads it
// (from offset 0).
func TestMemfd(t *testing.T) {
	parts := [][]byte{[]byte(strings.Repeat("kernel", 100000)), nil, []byte("second")}
	want := ConcatInitrds(parts)
	if int64(len(want)) != InitrdsSize(parts) {
		t.Errorf("InitrdsSize = %d, ConcatInitrds gives %d bytes", InitrdsSize(parts), len(want))
	}
	f, err := memfd("initrd", func(w io.Writer) (int64, error) { return WriteInitrds(w, parts) })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if err != nil || string(got) != string(want) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/self/fd"); err == nil && flags&unix.O_ACCMODE != unix.O_RDONLY {
		t.Errorf("memfd open with flags %#x, want read-only", flags)
	}
}
