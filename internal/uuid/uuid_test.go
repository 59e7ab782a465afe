package uuid

import (
	"errors"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want UUID
		text string // String(); "" when Parse must fail
	}{
		{"4C4C4544-0042-3510-8052-b7c04f4e3232",
			UUID{0x4c, 0x4c, 0x45, 0x44, 0x00, 0x42, 0x35, 0x10, 0x80, 0x52, 0xb7, 0xc0, 0x4f, 0x4e, 0x32, 0x32},
			"4c4c4544-0042-3510-8052-b7c04f4e3232"},
		{"00000000-0000-0000-0000-000000000000", UUID{}, "00000000-0000-0000-0000-000000000000"},
		{"FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF",
			UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			"ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{"", UUID{}, ""},
		{"4c4c4544004235108052b7c04f4e3232", UUID{}, ""},
		{"4c4c4544-0042-3510-8052-b7c04f4e323g", UUID{}, ""},
		{"4c4c4544-0042-3510-8052_b7c04f4e3232", UUID{}, ""},
		{"{4c4c4544-0042-3510-8052-b7c04f4e32}", UUID{}, ""},
		{"4c4c4544-0042-3510-8052-b7c04f4e32323", UUID{}, ""},
		{"-4c4c4544-042-3510-8052-b7c04f4e3232", UUID{}, ""},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if tt.text == "" {
			if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("Parse(%q) = %s, %v; want ErrSyntax naming the input", tt.in, u, err)
			}
			continue
		}
		if err != nil || u != tt.want || u.String() != tt.text {
			t.Errorf("Parse(%q) = %x (%s), %v; want %x (%s)", tt.in, u[:], u, err, tt.want[:], tt.text)
		}
	}
}

// FuzzParse checks that Parse accepts exactly the 8-4-4-4-12 text and
// that String gives it back in lower case.
func FuzzParse(f *testing.F) {
	f.Add("4C4C4544-0042-3510-8052-b7c04f4e3232")
	f.Add("b8945908-d6a6-41a9-611d-74a6ab80b83d")
	f.Add("4c4c4544004235108052b7c04f4e3232")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if testenv.Refused(t, err, ErrSyntax) {
			return
		}
		if got := u.String(); got != strings.ToLower(s) {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if v, err := Parse(u.String()); err != nil || v != u {
			t.Fatalf("round trip of %q: %s, %v", s, v, err)
		}
	})
}
