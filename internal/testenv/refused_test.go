package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRefused(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	for _, tc := range []struct {
		name    string
		err     error
		refused bool
		fatal   string
	}{
		{"accepted", nil, false, ""},
		{"first sentinel", fmt.Errorf("x: %w", errA), true, ""},
		{"second sentinel", fmt.Errorf("x: %w", errB), true, ""},
		{"no sentinel", errors.New("x"), true, `error x wraps none of "a", "b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var refused bool
			msg := fatalOf(t, func(tb testing.TB) { refused = Refused(tb, tc.err, errA, errB) })
			if tc.fatal == "" && refused != tc.refused {
				t.Errorf("Refused = %v, want %v", refused, tc.refused)
			}
			if (tc.fatal == "") != (msg == "") || !strings.Contains(msg, tc.fatal) {
				t.Errorf("failure %q, want %q", msg, tc.fatal)
			}
		})
	}
}
