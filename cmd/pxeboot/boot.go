package main

import (
	"context"
	"io"
)

// pxeboot boot is pxeboot fetch followed by kexec; see fetchOrBoot.
func init() {
	commands["boot"] = command{summary: "download the entry a machine would boot and kexec it", run: runBoot}
}

func runBoot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return fetchOrBoot(ctx, "boot", args, stdout, stderr)
}
