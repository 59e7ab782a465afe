// Package cli holds the command-line conventions every command of the
// project follows, as Unix tools do: --help or -h prints the usage on
// standard output and exits 0; a bad flag or argument prints what is wrong
// and the usage on standard error and exits 2; a command that ran and
// failed exits 1.
//
//	fs := pflag.NewFlagSet("mkpxeramfs", pflag.ContinueOnError)
//	out := fs.StringP("output", "o", "", "output file")
//	if code, done := cli.Parse(fs, args, usage, stdout, stderr); done {
//		return code
//	}
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	ExitOK    = 0 // done, or --help
	ExitFail  = 1 // the command ran and failed
	ExitUsage = 2 // bad flags or arguments
)

// Parse parses args with fs, whose flags must be defined. usage is the
// text printed before the flag list (a synopsis and what the command
// does). done is false when the command should go on; otherwise code is
// its exit status: ExitOK after --help, ExitUsage after a bad flag.
func Parse(fs *pflag.FlagSet, args []string, usage string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard) // the messages are written here, once
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		WriteUsage(stdout, fs, usage)
		return ExitOK, true
	case err != nil:
		return UsageError(fs, usage, stderr, "%v", err), true
	}
	return 0, false
}

// UsageError writes "NAME: MESSAGE" and the usage to stderr and returns
// ExitUsage, for argument errors found after Parse.
func UsageError(fs *pflag.FlagSet, usage string, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	WriteUsage(stderr, fs, usage)
	return ExitUsage
}

// WriteUsage writes usage and the flags of fs.
func WriteUsage(w io.Writer, fs *pflag.FlagSet, usage string) {
	fmt.Fprint(w, usage)
	if !strings.HasSuffix(usage, "\n") {
		fmt.Fprintln(w)
	}
	if f := fs.FlagUsages(); f != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", f)
	}
}
