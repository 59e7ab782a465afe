//go:build !linux

package kexec

// Exec fails: kexec exists only on Linux.
func Exec() error { return unsupported() }
