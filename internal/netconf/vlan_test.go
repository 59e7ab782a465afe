package netconf

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestParseVLANs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []VLAN
	}{
		{"42", []VLAN{{ID: 42}}},
		{"1", []VLAN{{ID: 1}}},
		{"4094", []VLAN{{ID: 4094}}},
		{"eth0.42", []VLAN{{Parent: "eth0", ID: 42}}},
		{"eth0.42,enc8000.7, 100", []VLAN{{Parent: "eth0", ID: 42}, {Parent: "enc8000", ID: 7}, {ID: 100}}},
		{"bond0.10.20", []VLAN{{Parent: "bond0.10", ID: 20}}}, // cut at the last dot
		{"42,,", []VLAN{{ID: 42}}},
		{"0", nil},
		{"4095", nil},
		{"65536", nil},
		{"-1", nil},
		{"+42", nil},
		{"abc", nil},
		{"eth0.", nil},
		{".42", nil},
		{"eth0.0", nil},
		{"eth0.4095", nil},
		{"eth0.x", nil},
		{"a/b.42", nil},
		{"eth:0.42", nil},
		{"enP1p0s0f0np0.42", nil}, // 16 bytes: longer than a link name
		{"", nil},
		{",", nil},
		{"42 43", nil},
	} {
		got, err := ParseVLANs(tc.in)
		if tc.want == nil {
			if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), fmt.Sprintf("%q", strings.TrimSpace(tc.in))) && tc.in != "," {
				t.Errorf("ParseVLANs(%q) = %v, %v; want ErrBadConfig naming the input", tc.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseVLANs(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		var back []string
		for _, v := range got {
			back = append(back, v.String())
		}
		if again, err := ParseVLANs(strings.Join(back, ",")); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParseVLANs(%q) = %+v, %v; does not round-trip %+v", strings.Join(back, ","), again, err, got)
		}
	}
}

func TestVLANName(t *testing.T) {
	for _, tc := range []struct {
		parent string
		id     uint16
		want   string
	}{
		{"eth0", 42, "eth0.42"},
		{"enc8000", 4094, "enc8000.4094"},
		{"enp0s25", 1, "enp0s25.1"},
		{"eno123456789", 42, "eno123456789.42"}, // 15 bytes: fits
		{"eno1234567890", 42, ""},               // 16 bytes
		{"", 42, ""},
		{"a b", 42, ""},
	} {
		got, err := VLANName(tc.parent, tc.id)
		if tc.want == "" {
			if !errors.Is(err, ErrBadConfig) {
				t.Errorf("VLANName(%q, %d) = %q, %v; want ErrBadConfig", tc.parent, tc.id, got, err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("VLANName(%q, %d) = %q, %v; want %q", tc.parent, tc.id, got, err, tc.want)
		}
	}
	for s, want := range map[string]bool{
		"eth0": true, "enc8000": true, "eth0.42": true, "a-b_c@d": true,
		"": false, ".": false, "..": false, "a/b": false, "a:1": false, "a b": false, "a\tb": false,
		"a\"b": false, "ä": false, "a\x00": false, strings.Repeat("x", 16): false, strings.Repeat("x", 15): true,
	} {
		if got := ValidLinkName(s); got != want {
			t.Errorf("ValidLinkName(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzParseVLANs: whatever ParseVLANs accepts has IDs in range and link
// names that are valid and fit with the ID, and prints back to itself.
func FuzzParseVLANs(f *testing.F) {
	for _, s := range []string{"42", "eth0.42,enc8000.7", "bond0.10.20", "0", "eth0.", "a/b.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := ParseVLANs(s)
		if testenv.Refused(t, err, ErrBadConfig) {
			return
		}
		for _, v := range vs {
			if v.ID < MinVLANID || v.ID > MaxVLANID {
				t.Fatalf("ParseVLANs(%q) accepted ID %d", s, v.ID)
			}
			if v.Parent != "" {
				if _, err := VLANName(v.Parent, v.ID); err != nil {
					t.Fatalf("ParseVLANs(%q) accepted %+v: %v", s, v, err)
				}
			}
			if again, err := ParseVLANs(v.String()); err != nil || len(again) != 1 || again[0] != v {
				t.Fatalf("%+v prints as %q, which parses to %+v, %v", v, v.String(), again, err)
			}
		}
	})
}
