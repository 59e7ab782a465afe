// Package uuid is the one reading of a client UUID: the 8-4-4-4-12 hex
// text (any case) that the platform reports and a user types, the 16
// bytes DHCP option 97 carries (RFC 4578 2.3, in the order written), and
// the lower-case text PXELINUX uses for pxelinux.cfg/UUID and SYSUUID=.
//
//	u, err := uuid.Parse("4C4C4544-0042-3510-8052-B7C04F4E3232")
//	opt97 := append([]byte{0}, u[:]...)
//	name := "pxelinux.cfg/" + u.String() // 4c4c4544-0042-...
//
// # Security
//
// Parse reads at most 36 bytes of its input and accepts nothing but the
// 8-4-4-4-12 form: no braces, no "urn:uuid:", no missing dashes.
package uuid

import (
	"errors"
	"fmt"
)

// UUID is the 16 bytes of a UUID in the order its text writes them.
type UUID [16]byte

// ErrSyntax is returned (wrapped, with the input) for text that is not a
// UUID in 8-4-4-4-12 form.
var ErrSyntax = errors.New("not a UUID of the form 8-4-4-4-12 hex digits")

// textLen is the length of the 8-4-4-4-12 form; dashes stand at the
// offsets where isDash is true.
const textLen = 36

func isDash(i int) bool { return i == 8 || i == 13 || i == 18 || i == 23 }

// Parse reads the 8-4-4-4-12 hex form in either case.
func Parse(s string) (UUID, error) {
	var u UUID
	if len(s) != textLen {
		return u, fmt.Errorf("%q: %w", s, ErrSyntax)
	}
	n := 0 // hex digits read
	for i := 0; i < textLen; i++ {
		c := s[i]
		if isDash(i) {
			if c != '-' {
				return UUID{}, fmt.Errorf("%q: %w", s, ErrSyntax)
			}
			continue
		}
		v, ok := unhex(c)
		if !ok {
			return UUID{}, fmt.Errorf("%q: %w", s, ErrSyntax)
		}
		u[n/2] |= v << (4 * (1 - n%2))
		n++
	}
	return u, nil
}

// String is the lower-case 8-4-4-4-12 form.
func (u UUID) String() string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, textLen)
	for _, c := range u {
		if isDash(len(b)) {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
