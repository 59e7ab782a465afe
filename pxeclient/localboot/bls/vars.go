package bls

import (
	"fmt"
	"strings"
)

// Cmdline is the kernel command line of a type #1 entry: its options
// lines joined by one space, $name and ${name} replaced by their values
// in vars (Fedora's and RHEL 8's $kernelopts, RHEL 9's $tuned_params, as
// GRUB's blscfg expands them from grubenv). A variable vars does not set
// expands to "" with a warning naming it, the file and the first line.
func (e *Entry) Cmdline(vars map[string]string) (string, []error) {
	var parts []string
	var warns []error
	warned := map[string]bool{}
	for _, l := range e.Options {
		s, w := e.expand(l, vars, warned)
		warns = append(warns, w...)
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " "), warns
}

// InitrdPaths are the initrds of a type #1 entry in order: every path of
// every initrd line, after expanding the variables as Cmdline does
// ("/initramfs-X.img $tuned_initrd" with tuned_initrd unset is one path).
func (e *Entry) InitrdPaths(vars map[string]string) ([]string, []error) {
	lines, warns := e.initrds(vars)
	var paths []string
	for _, l := range lines {
		paths = append(paths, l.Text)
	}
	return paths, warns
}

// initrds is InitrdPaths with the line of each path.
func (e *Entry) initrds(vars map[string]string) ([]Line, []error) {
	var paths []Line
	var warns []error
	warned := map[string]bool{}
	for _, l := range e.Initrd {
		s, w := e.expand(l, vars, warned)
		warns = append(warns, w...)
		for _, p := range strings.Fields(s) {
			paths = append(paths, Line{p, l.N})
		}
	}
	return paths, warns
}

// expand replaces the variables of l as GRUB does: $ followed by a name
// of letters, digits and '_', or ${name}; a '$' not followed by either
// stays as written. An unset variable is warned about once: warned
// holds the names already warned about.
func (e *Entry) expand(l Line, vars map[string]string, warned map[string]bool) (string, []error) {
	s := l.Text
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var warns []error
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name, rest, ok := varName(s[i+1:])
		if !ok {
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		if v, set := vars[name]; set {
			b.WriteString(v)
		} else if !warned[name] {
			warned[name] = true
			warns = append(warns, &Warning{File: e.Path, Line: l.N, Err: fmt.Errorf("%w: $%s expands to \"\"", ErrUnsetVariable, name)})
		}
		s = rest
	}
	return b.String(), warns
}

// varName reads the name after a '$': "name rest" or "{name}rest".
func varName(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 2 || !allNameChars(s[1:end]) {
			return "", s, false
		}
		return s[1:end], s[end+1:], true
	}
	i := 0
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	return s[:i], s[i:], i > 0
}

func isNameChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

func allNameChars(s string) bool {
	for i := range len(s) {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}
