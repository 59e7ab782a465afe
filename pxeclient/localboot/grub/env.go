package grub

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// envHeader opens every GRUB environment block (GRUB_ENVBLK_SIGNATURE,
// include/grub/lib/envblk.h). grub-editenv creates the file 1024 bytes
// long (DEFAULT_ENVBLK_SIZE, util/grub-editenv.c) and pads it with '#'.
const envHeader = "# GRUB Environment Block\n"

// MaxEnvSize bounds the grubenv file ReadEnv and load_env read: GRUB's
// own is 1024 bytes; a bigger file is refused rather than read.
const MaxEnvSize = 64 << 10

// ErrBadEnv is returned by ReadEnv for data that is no GRUB environment
// block, or whose block is broken after some variables.
var ErrBadEnv = errors.New("not a GRUB environment block")

// Env is the variables of a grubenv file ("saved_entry", "next_entry",
// "kernelopts", "tuned_params", ...), their values unescaped.
type Env map[string]string

// ReadEnv reads a grubenv file as GRUB's load_env does
// (grub_envblk_iterate, grub-core/lib/envblk.c): after the header, lines
// NAME=VALUE; lines starting with '#' (the padding) are skipped; in a
// value, a backslash takes the next byte as it is (grub-editenv writes
// '\\' and a newline as "\\\\" and "\\\n"). A later line for the same
// name wins. A block that ends inside a line, or a line without '=', is
// broken there, as GRUB stops there: ReadEnv returns the variables read
// before it with an error matching ErrBadEnv that names the offset.
func ReadEnv(data []byte) (Env, error) {
	if len(data) > MaxEnvSize {
		return nil, fmt.Errorf("grubenv of %d bytes (at most %d): %w", len(data), MaxEnvSize, ErrBadEnv)
	}
	if !bytes.HasPrefix(data, []byte(envHeader)) {
		return nil, fmt.Errorf("grubenv does not start with %q: %w", envHeader[:len(envHeader)-1], ErrBadEnv)
	}
	env := Env{}
	p := len(envHeader)
	for p < len(data) {
		if data[p] == '#' || data[p] == '\n' {
			p = nextEnvLine(data, p)
			continue
		}
		eq := bytes.IndexByte(data[p:], '=')
		if eq < 0 {
			return env, fmt.Errorf("grubenv offset %d: a line without '=': %w", p, ErrBadEnv)
		}
		if nl := bytes.IndexByte(data[p:p+eq], '\n'); nl >= 0 {
			return env, fmt.Errorf("grubenv offset %d: a line without '=': %w", p, ErrBadEnv)
		}
		name := string(data[p : p+eq])
		var val []byte
		q := p + eq + 1
		for ; q < len(data) && data[q] != '\n'; q++ {
			if data[q] == '\\' {
				q++
				if q == len(data) {
					break
				}
			}
			val = append(val, data[q])
		}
		if q >= len(data) {
			return env, fmt.Errorf("grubenv offset %d: variable %q does not end with a newline: %w", p, name, ErrBadEnv)
		}
		env[name] = string(val)
		p = q + 1
	}
	return env, nil
}

// nextEnvLine is the offset after the line at p, a backslash taking the
// byte after it (find_next_line, grub-core/lib/envblk.c).
func nextEnvLine(data []byte, p int) int {
	for p < len(data) {
		switch data[p] {
		case '\\':
			p += 2
			continue
		case '\n':
			return p + 1
		}
		p++
	}
	return p
}

// sortedKeys are env's names in order.
func sortedKeys(env Env) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
