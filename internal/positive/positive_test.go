package positive

import (
	"testing"
	"time"
)

func TestOr(t *testing.T) {
	for _, tc := range []struct {
		v, def, want time.Duration
	}{
		{0, time.Second, time.Second},
		{-1, time.Second, time.Second},
		{time.Millisecond, time.Second, time.Millisecond},
	} {
		if got := Or(tc.v, tc.def); got != tc.want {
			t.Errorf("Or(%v, %v) = %v, want %v", tc.v, tc.def, got, tc.want)
		}
	}
	if got := Or(0, 3); got != 3 {
		t.Errorf("Or(0, 3) = %d, want 3", got)
	}
	if got := Or(5, 3); got != 5 {
		t.Errorf("Or(5, 3) = %d, want 5", got)
	}
}
