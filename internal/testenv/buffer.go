package testenv

import (
	"bytes"
	"sync"
)

// Buffer is a buffer that goroutines of the code under test write to
// while the test reads it: a console shared by a logger, progress lines
// and a menu.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
