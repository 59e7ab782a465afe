package testenv

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Refused reports whether err is a refusal (not nil), and fails t unless
// it wraps one of sentinels: the project's rule that callers tell errors
// apart with errors.Is. Fuzz targets call it on what a parser returns:
//
//	c, err := ParseStatic(s)
//	if testenv.Refused(t, err, ErrBadConfig) {
//		return
//	}
func Refused(t testing.TB, err error, sentinels ...error) bool {
	t.Helper()
	if err == nil {
		return false
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	var names []string
	for _, s := range sentinels {
		names = append(names, fmt.Sprintf("%q", s))
	}
	t.Fatalf("error %v wraps none of %s", err, strings.Join(names, ", "))
	return true
}
