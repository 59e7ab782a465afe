package ramdiskflags

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/initramfs"
)

func TestRegister(t *testing.T) {
	var f Flags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--kernel-config", "c", "--kexec-check", "off", "--foreign-ramdisk"}); err != nil {
		t.Fatal(err)
	}
	if f != (Flags{KernelConfig: "c", KexecCheck: "off", Foreign: true}) {
		t.Errorf("parsed %+v", f)
	}
	var d Flags
	d.Register(pflag.NewFlagSet("d", pflag.ContinueOnError))
	if d.KexecCheck != string(initramfs.KexecCheckAuto) {
		t.Errorf("default --kexec-check %q, want %q", d.KexecCheck, initramfs.KexecCheckAuto)
	}
}

func TestHint(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("ramdisk r: %w", initramfs.ErrNotUnpackable), "--foreign-ramdisk"},
		{fmt.Errorf("kernel k: %w", initramfs.ErrCannotKexec), "--kexec-check=off"},
		{initramfs.ErrNoKernelConfig, "--kexec-check=off"},
		{errors.New("disk full"), ""},
	} {
		got := Hint(tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("Hint(%v) = %q, want it to name %q", tc.err, got, tc.want)
		}
	}
}

func TestReport(t *testing.T) {
	var b bytes.Buffer
	Report(&b, "mkuki", fmt.Errorf("kernel k: %w", initramfs.ErrCannotKexec))
	if want := "mkuki: kernel k: the kernel cannot kexec\nmkuki: --kexec-check=off builds the image anyway\n"; b.String() != want {
		t.Errorf("Report wrote %q, want %q", b.String(), want)
	}
	b.Reset()
	Report(&b, "mkuki", errors.New("disk full"))
	if want := "mkuki: disk full\n"; b.String() != want {
		t.Errorf("Report wrote %q, want %q", b.String(), want)
	}
}
