// Command pxeboot is the network boot client's command line: its
// subcommands share the lease flags (what DHCP would have said) and the
// source flags (where the TFTP root is).
//
//	pxeboot plan --root /srv/tftp --mac 52:54:00:12:34:56 --ip 10.0.2.15
//	pxeboot plan --url tftp://10.0.2.2/ --bootfile s390x/pxelinux.0 --format text
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
)

// A command is one subcommand: it parses args (without its own name) and
// returns the exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands are the subcommands. fetch and boot register themselves here
// from their own files (an init func adding to the map).
var commands = map[string]command{
	"plan": {summary: "show which config, entry and command line a machine gets", run: runPlan},
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed (no config found, fetch failed)
	exitUsage = 2 // bad flags or arguments
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "pxeboot: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: pxeboot COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun pxeboot COMMAND --help for its flags.")
}
