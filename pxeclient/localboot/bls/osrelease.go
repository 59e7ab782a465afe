package bls

import (
	"errors"
	"fmt"
	"strings"
)

// ErrOSRelease (a warning): a line of an os-release text that is not a
// VAR=VALUE assignment os-release(5) allows; it is skipped.
var ErrOSRelease = errors.New("bls: not an os-release assignment")

// ParseOSRelease reads an os-release text (os-release(5); a UKI's .osrel
// section): VAR=VALUE lines, '#' comment lines and blank lines. A value
// may be in double quotes, where a backslash escapes '\\', '"', '$' and
// '`'; in single quotes, taken as written; or bare, where a backslash
// escapes the next character. Text after a closing quote is not part of
// the value (os-release does not concatenate strings). name is the file
// the warnings name (a *Warning per line skipped); a variable given
// twice keeps its last value, as a shell would.
func ParseOSRelease(name string, data []byte) (map[string]string, []error) {
	vars := map[string]string{}
	warns := warnList{max: maxFileWarnings}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.Trim(line, " \t\r")
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !isVarName(key) {
			warns.add(&Warning{File: name, Line: n + 1, Err: fmt.Errorf("%w: %q", ErrOSRelease, clip(line))})
			continue
		}
		v, err := unquote(raw)
		if err != nil {
			warns.add(&Warning{File: name, Line: n + 1, Err: fmt.Errorf("%w: %s: %w", ErrOSRelease, key, err)})
			continue
		}
		vars[key] = v
	}
	return vars, warns.result(name)
}

// unquote reads an os-release value.
func unquote(s string) (string, error) {
	var b strings.Builder
	switch {
	case strings.HasPrefix(s, "'"):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", errors.New("no closing single quote")
		}
		return s[1 : 1+end], nil
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '"':
				return b.String(), nil
			case c == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0:
				i++
				b.WriteByte(s[i])
			default:
				b.WriteByte(c)
			}
		}
		return "", errors.New("no closing double quote")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// isVarName reports whether s is a shell variable name.
func isVarName(s string) bool {
	return s != "" && !isDigit(s[0]) && allNameChars(s)
}

// clip shortens s for a message.
func clip(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
