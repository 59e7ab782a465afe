//go:build !linux

package kexec

// Probe fails: kexec exists only on Linux.
func Probe() error { return unsupported() }
