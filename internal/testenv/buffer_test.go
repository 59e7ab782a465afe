package testenv

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestBuffer writes from several goroutines while reading (go test -race
// checks the locking) and finds every line.
func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(&b, "%d.%d\n", i, j)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Errorf("%d lines, want 800", n)
	}
	if !strings.Contains(b.String(), "7.99\n") {
		t.Errorf("last line of goroutine 7 missing")
	}
}
