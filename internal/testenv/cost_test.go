package testenv

import (
	"testing"
	"time"
)

var sink []byte

func TestMeasure(t *testing.T) {
	const size = 8 << 20
	c := Measure(func() {
		sink = make([]byte, size)
		time.Sleep(10 * time.Millisecond)
	})
	if c.Alloc < size {
		t.Errorf("Alloc = %d, want at least %d", c.Alloc, size)
	}
	if c.InUse < size/2 {
		t.Errorf("InUse = %d, want about %d", c.InUse, size)
	}
	if c.Elapsed < 10*time.Millisecond {
		t.Errorf("Elapsed = %v, want at least 10ms", c.Elapsed)
	}
	sink = nil
}
