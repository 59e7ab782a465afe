package pxeclient

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// LogLines is how many log lines ConsoleHandler keeps for the command
// prompt's log command.
const LogLines = 500

// ConsoleHandler is a slog.Handler writing plain lines to a console:
// "PREFIX: message key=value ...", with "warning: " or "error: " before
// the message of those levels and no time stamp (the stage lines carry
// their own). A message of several lines (errors.Join of several failed
// files, a panic's stack) gives one console line each, the attributes
// after the first and every further line with the same start and
// indented, so that on a line-mode console each still says what it is:
//
//	pxeinit: error: boot "linux": entry "linux": fetch tftp://10.0.2.2/vmlinuz ...: file not found next="command prompt"
//	pxeinit: error:   fetch tftp://10.0.2.2/initrd.img ...: file not found
//
// It keeps the last LogLines lines, debug ones included, for Lines.
type ConsoleHandler struct {
	shared *consoleShared
	pre    string // attributes of WithAttrs, rendered
	group  string
}

type consoleShared struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	level  slog.Leveler
	ring   []string
	next   int
	full   bool
}

// NewConsoleHandler returns a handler writing to w records at level and
// above, each line starting with prefix ("pxeinit").
func NewConsoleHandler(w io.Writer, prefix string, level slog.Leveler) *ConsoleHandler {
	return &ConsoleHandler{shared: &consoleShared{w: w, prefix: prefix, level: level, ring: make([]string, LogLines)}}
}

// Enabled keeps every record: debug lines go to the log ring even when
// the console does not show them.
func (h *ConsoleHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle formats and writes r.
func (h *ConsoleHandler) Handle(_ context.Context, r slog.Record) error {
	start := h.shared.prefix + ": "
	switch {
	case r.Level >= slog.LevelError:
		start += "error: "
	case r.Level >= slog.LevelWarn:
		start += "warning: "
	}
	msg := strings.Split(strings.TrimRight(r.Message, "\n"), "\n")
	var b strings.Builder
	b.WriteString(start)
	b.WriteString(msg[0])
	b.WriteString(h.pre)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	lines := []string{b.String()}
	for _, l := range msg[1:] {
		lines = append(lines, start+continuationIndent+l)
	}
	s := h.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		s.ring[s.next] = l
		s.next = (s.next + 1) % len(s.ring)
		if s.next == 0 {
			s.full = true
		}
	}
	if r.Level >= s.level.Level() {
		_, err := io.WriteString(s.w, strings.Join(lines, "\n")+"\n")
		return err
	}
	return nil
}

// continuationIndent starts the second and further lines of a message.
const continuationIndent = "  "

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		g := a.Key
		if group != "" {
			g = group + "." + g
		}
		for _, ga := range a.Value.Group() {
			writeAttr(b, g, ga)
		}
		return
	}
	b.WriteByte(' ')
	if group != "" {
		b.WriteString(group + ".")
	}
	b.WriteString(a.Key)
	b.WriteByte('=')
	var v string
	switch a.Value.Kind() {
	case slog.KindDuration:
		v = fmt.Sprintf("%.3fs", a.Value.Duration().Seconds())
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339Nano)
	default:
		v = a.Value.String()
	}
	if v == "" || strings.ContainsAny(v, " \t\n\"=") || !strconv.CanBackquote(v) {
		v = strconv.Quote(v)
	}
	b.WriteString(v)
}

// WithAttrs implements slog.Handler.
func (h *ConsoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	var b strings.Builder
	for _, a := range attrs {
		writeAttr(&b, h.group, a)
	}
	h2.pre += b.String()
	return &h2
}

// WithGroup implements slog.Handler.
func (h *ConsoleHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	if h2.group != "" {
		name = h2.group + "." + name
	}
	h2.group = name
	return &h2
}

// Lines returns the kept log lines, oldest first.
func (h *ConsoleHandler) Lines() []string {
	s := h.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if s.full {
		out = append(out, s.ring[s.next:]...)
	}
	return append(out, s.ring[:s.next]...)
}

// stages writes the stage lines (see the package documentation).
type stages struct {
	log   *slog.Logger
	start time.Time
	now   func() time.Time
	mu    sync.Mutex
	last  time.Time
}

func newStages(log *slog.Logger, start time.Time) *stages {
	return &stages{log: log, start: start, now: time.Now, last: start}
}

// mark logs "stage=NAME t=... dt=..." followed by attrs.
func (s *stages) mark(name string, attrs ...any) {
	s.mu.Lock()
	now := s.now()
	t, dt := now.Sub(s.start), now.Sub(s.last)
	s.last = now
	s.mu.Unlock()
	s.log.Info(fmt.Sprintf("stage=%s t=%.3fs dt=%.3fs", name, t.Seconds(), dt.Seconds()), attrs...)
}
