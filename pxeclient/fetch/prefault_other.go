//go:build !linux

package fetch

// prefault does nothing on systems other than Linux (see
// prefault_linux.go): the pages come with the first write.
func prefault([]byte) bool { return false }
