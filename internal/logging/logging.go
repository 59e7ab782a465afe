// Package logging holds the project's one rule for loggers: a library
// takes a *slog.Logger (a field of its options or of its type, never also
// an argument), and nil means "log nothing".
//
//	func New(o Options) *Fetcher { return &Fetcher{log: logging.Or(o.Logger)} }
package logging

import "log/slog"

// discard is the logger that drops everything.
var discard = slog.New(slog.DiscardHandler)

// Or returns l, or a logger that discards everything when l is nil.
func Or(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}
