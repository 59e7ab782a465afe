package kexec

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckMemory(t *testing.T) {
	const mib = 1 << 20
	m := Meminfo{Total: 1024 * mib, Available: 600 * mib}
	tests := []struct {
		name  string
		sizes []int64
		words string
	}{
		{"small", []int64{5 * mib, 20 * mib}, ""},
		{"just fits", []int64{146 * mib}, ""}, // 4*146+16 = 600
		{"too much", []int64{146*mib + 1}, "600.0 MiB available"},
		{"negative sizes count as 0", []int64{-1 << 40}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMemory(m, tt.sizes...)
			if tt.words == "" && err != nil {
				t.Fatal(err)
			}
			if tt.words != "" && (!errors.Is(err, ErrNotEnoughMemory) || !strings.Contains(err.Error(), tt.words)) {
				t.Fatalf("err = %v, want ErrNotEnoughMemory saying %q", err, tt.words)
			}
		})
	}
	// Much free memory, little RAM in all: kexec's half-of-RAM rule.
	if err := CheckMemory(Meminfo{Total: 100 * mib, Available: 1 << 40}, 51*mib); !errors.Is(err, ErrNotEnoughMemory) || !strings.Contains(err.Error(), "half") {
		t.Errorf("half-of-RAM rule: %v", err)
	}
}

func TestFitsInMemory(t *testing.T) {
	if err := FitsInMemory(1 << 20); err != nil {
		t.Fatalf("1 MiB does not fit on this machine: %v", err)
	}
	if err := FitsInMemory(1 << 50); !errors.Is(err, ErrNotEnoughMemory) {
		t.Fatalf("1 PiB: %v", err)
	}
}
