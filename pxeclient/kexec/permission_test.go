package kexec

import (
	"os"
	"strings"
	"testing"
)

func TestParseCapEff(t *testing.T) {
	tests := []struct {
		text string
		want uint64
		ok   bool
	}{
		{"Name:\tinit\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n", 0x1ffffffffff, true},
		{"CapEff:\t0000000000400000\n", 1 << capSysBoot, true},
		{"CapEff:\t0000000000000000\n", 0, true},
		{"CapPrm:\t01\n", 0, false},
		{"CapEff:\tzz\n", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseCapEff(strings.NewReader(tt.text))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseCapEff(%q) = %#x, %v", tt.text, got, err)
		}
	}
}

func TestParseLockdown(t *testing.T) {
	for in, want := range map[string]string{
		"[none] integrity confidentiality\n": "none",
		"none [integrity] confidentiality\n": "integrity",
		"none integrity [confidentiality]":   "confidentiality",
		"":                                   "",
	} {
		if got := ParseLockdown(in); got != want {
			t.Errorf("ParseLockdown(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckPermission runs on this machine: as root it must pass, as
// another user without capabilities it must name CAP_SYS_BOOT.
func TestCheckPermission(t *testing.T) {
	err := CheckPermission()
	if os.Geteuid() == 0 {
		if err != nil && !strings.Contains(err.Error(), "kexec_load_disabled") {
			t.Fatalf("as root: %v", err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "CAP_SYS_BOOT") {
		t.Fatalf("as uid %d: %v", os.Geteuid(), err)
	}
}
