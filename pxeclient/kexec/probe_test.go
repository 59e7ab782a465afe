package kexec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestProbeDecision is the decision table of Probe: which system calls a
// kernel has, per architecture, against whether it can boot a target, which
// calls the error names and which calls were asked.
func TestProbeDecision(t *testing.T) {
	tests := []struct {
		arch        string
		file, load  bool // the kernel has kexec_file_load, kexec_load
		missing     []Syscall
		asked       []string
		words       []string // in the error
		unsupported bool     // ErrArchNotSupported
	}{
		// Debian 12's s390x kernel: kexec_load only.
		{arch: "s390x", file: false, load: true, asked: []string{"kexec_file_load", "kexec_load"}},
		{arch: "s390x", file: true, load: false, asked: []string{"kexec_file_load"}},
		{arch: "s390x", file: true, load: true, asked: []string{"kexec_file_load"}},
		// Debian 13's s390x kernel: neither.
		{arch: "s390x", missing: []Syscall{FileLoadCall, LoadCall}, asked: []string{"kexec_file_load", "kexec_load"},
			words: []string{"never boot a target", "without kexec_file_load (CONFIG_KEXEC_FILE) and kexec_load (CONFIG_KEXEC)",
				"s390x needs one of them", "CONFIG_KEXEC_FILE=y or CONFIG_KEXEC=y"}},
		{arch: "amd64", file: true, load: true, asked: []string{"kexec_file_load"}},
		{arch: "amd64", file: true, asked: []string{"kexec_file_load"}},
		// kexec_load alone does not do: amd64 kernels are loaded with
		// kexec_file_load only.
		{arch: "amd64", load: true, missing: []Syscall{FileLoadCall}, asked: []string{"kexec_file_load"},
			words: []string{"built without kexec_file_load (CONFIG_KEXEC_FILE), and kexec on amd64 needs it", "kernel built with CONFIG_KEXEC_FILE=y"}},
		// Debian 12's and 13's arm64 kernels: kexec_load only.
		{arch: "arm64", load: true, asked: []string{"kexec_file_load", "kexec_load"}},
		{arch: "arm64", missing: []Syscall{FileLoadCall, LoadCall}, asked: []string{"kexec_file_load", "kexec_load"},
			words: []string{"kexec on arm64 needs one of them"}},
		{arch: "arm64", file: true, asked: []string{"kexec_file_load"}},
		{arch: "riscv64", file: true, load: true, unsupported: true, words: []string{"GOARCH=riscv64"}},
		{arch: "386", unsupported: true},
	}
	for _, tt := range tests {
		var asked []string
		has := func(c Syscall) bool {
			asked = append(asked, c.Name)
			return map[Syscall]bool{FileLoadCall: tt.file, LoadCall: tt.load}[c]
		}
		err := probe(tt.arch, has)
		name := tt.arch
		if tt.file {
			name += "+file"
		}
		if tt.load {
			name += "+load"
		}
		if !reflect.DeepEqual(asked, tt.asked) {
			t.Errorf("%s: asked %q, want %q", name, asked, tt.asked)
		}
		for _, w := range tt.words {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v lacks %q", name, err, w)
			}
		}
		if tt.unsupported {
			if !errors.Is(err, ErrArchNotSupported) {
				t.Errorf("%s: %v, want ErrArchNotSupported", name, err)
			}
			continue
		}
		var ne *NoKexecError
		switch {
		case tt.missing == nil && err != nil:
			t.Errorf("%s: %v, want nil", name, err)
		case tt.missing != nil && !errors.As(err, &ne):
			t.Errorf("%s: %v, want a *NoKexecError", name, err)
		case tt.missing != nil:
			if !reflect.DeepEqual(ne.Missing, tt.missing) || ne.Arch != tt.arch {
				t.Errorf("%s: NoKexecError{%s %v}, want {%s %v}", name, ne.Arch, ne.Missing, tt.arch, tt.missing)
			}
			if !errors.Is(err, ErrNotSupported) {
				t.Errorf("%s: %v does not match ErrNotSupported", name, err)
			}
		}
	}
}

// TestCallsAgreeWithPrepare: the architectures Probe knows are the ones
// Load takes images for.
func TestCallsAgreeWithPrepare(t *testing.T) {
	for _, arch := range []string{"s390x", "amd64", "arm64", "386", "riscv64", "ppc64le"} {
		_, err := prepare(arch, Image{})
		if got := errors.Is(err, ErrArchNotSupported); got != (Calls(arch) == nil) {
			t.Errorf("%s: prepare says unsupported=%v, Calls %v", arch, got, Calls(arch))
		}
	}
}
