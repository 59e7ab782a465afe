package meminfo

import (
	"strings"
	"testing"
)

const linux61 = `MemTotal:        2030000 kB
MemFree:          900000 kB
MemAvailable:    1500000 kB
Buffers:           10000 kB
HugePages_Total:       0
`

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		want  Info
		words string // in the error; "" when Parse must succeed
	}{
		{"linux 6.1", linux61, Info{Total: 2030000 << 10, Available: 1500000 << 10}, ""},
		{"before 3.14: MemFree", "MemTotal: 1000 kB\nMemFree: 600 kB\n", Info{Total: 1000 << 10, Available: 600 << 10}, ""},
		{"garbage lines skipped", "garbage\n:\nMemTotal: 2 kB\nMemAvailable: 1 kB\n", Info{Total: 2 << 10, Available: 1 << 10}, ""},
		{"no MemTotal", "MemAvailable: 1 kB\n", Info{}, "no MemTotal"},
		{"no free figure", "MemTotal: 1 kB\n", Info{}, "neither MemAvailable nor MemFree"},
		{"not a number", "MemTotal: lots kB\n", Info{}, `bad MemTotal value "lots"`},
		{"bad MemAvailable", "MemTotal: 2 kB\nMemAvailable: x kB\n", Info{}, `bad MemAvailable value "x"`},
		{"overflow", "MemTotal: 18446744073709551615 kB\n", Info{}, "bad MemTotal value"},
		{"too large to parse", "MemTotal: 1 kB\nMemAvailable: 99999999999999999999 kB\n", Info{}, "bad MemAvailable value"},
		{"other unit", "MemTotal: 5 MB\n", Info{}, "bad MemTotal line"},
		{"empty", "", Info{}, "no MemTotal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.text))
			if tt.words != "" {
				if err == nil || !strings.Contains(err.Error(), tt.words) {
					t.Fatalf("err = %v, want one saying %q", err, tt.words)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRead parses this machine's report.
func TestRead(t *testing.T) {
	m, err := Read()
	if err != nil {
		t.Fatal(err)
	}
	if m.Total == 0 || m.Available > m.Total {
		t.Errorf("Read() = %+v: no memory, or more available than there is", m)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(linux61)
	f.Add("MemTotal: 1 kB\nMemFree: 1 kB\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(strings.NewReader(s))
		if err != nil {
			return
		}
		if !strings.Contains(s, "MemTotal") {
			t.Fatalf("parsed %+v without MemTotal", m)
		}
		if m.Total%1024 != 0 || m.Available%1024 != 0 {
			t.Fatalf("parsed %+v: not whole kB", m)
		}
	})
}
