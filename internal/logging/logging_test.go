package logging

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestOr(t *testing.T) {
	Or(nil).Error("dropped") // must not panic
	if Or(nil).Enabled(t.Context(), slog.LevelError) {
		t.Error("the nil logger is enabled")
	}
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	if Or(l) != l {
		t.Error("Or(l) is not l")
	}
}
