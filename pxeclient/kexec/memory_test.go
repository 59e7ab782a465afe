package kexec

import (
	"errors"
	"strings"
	"testing"
)

const meminfoText = `MemTotal:        2030000 kB
MemFree:          900000 kB
MemAvailable:    1500000 kB
Buffers:           10000 kB
HugePages_Total:       0
`

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		want  Meminfo
		words string
	}{
		{"linux 6.1", meminfoText, Meminfo{Total: 2030000 << 10, Available: 1500000 << 10}, ""},
		{"before 3.14: MemFree", "MemTotal: 1000 kB\nMemFree: 600 kB\n", Meminfo{Total: 1000 << 10, Available: 600 << 10}, ""},
		{"no MemTotal", "MemAvailable: 1 kB\n", Meminfo{}, "no MemTotal"},
		{"no free figure", "MemTotal: 1 kB\n", Meminfo{}, "neither MemAvailable nor MemFree"},
		{"not a number", "MemTotal: lots kB\n", Meminfo{}, `bad MemTotal value "lots"`},
		{"overflow", "MemTotal: 18446744073709551615 kB\n", Meminfo{}, "bad MemTotal value"},
		{"other unit", "MemTotal: 5 MB\n", Meminfo{}, "bad MemTotal line"},
		{"empty", "", Meminfo{}, "no MemTotal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMeminfo(strings.NewReader(tt.text))
			if tt.words != "" {
				if err == nil || !strings.Contains(err.Error(), tt.words) {
					t.Fatalf("err = %v, want one saying %q", err, tt.words)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseMeminfo = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

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

func FuzzParseMeminfo(f *testing.F) {
	f.Add(meminfoText)
	f.Add("MemTotal: 1 kB\nMemFree: 1 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMeminfo(strings.NewReader(s))
		if err == nil && !strings.Contains(s, "MemTotal") {
			t.Fatalf("parsed %+v without MemTotal", m)
		}
	})
}
