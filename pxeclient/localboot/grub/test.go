package grub

import (
	"strconv"
	"strings"
)

// cmdTest is test and [ … ] (grub-core/commands/test.c): file tests -e
// -f -d -s, string tests -z -n = == != < <= > >=, integer tests -eq -ne
// -lt -le -gt -ge, ! -a -o and ( ); a lone word is true when it is not
// empty. Malformed expressions are false.
func cmdTest(in *interp, f *frame, c *command, argv []string) (int, ctl) {
	args := argv[1:]
	if argv[0] == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			in.warn(c.pos, "[ without ]")
			return 1, ctl{}
		}
		args = args[:len(args)-1]
	}
	t := &tester{in: in, f: f, args: args}
	ok := t.or()
	if t.i < len(t.args) {
		ok = false
	}
	if ok {
		return 0, ctl{}
	}
	return 1, ctl{}
}

type tester struct {
	in   *interp
	f    *frame
	args []string
	i    int
	// depth bounds nested '(' and '!'.
	depth int
}

func (t *tester) peek(k int) (string, bool) {
	if t.i+k < len(t.args) {
		return t.args[t.i+k], true
	}
	return "", false
}

func (t *tester) or() bool {
	v := t.and()
	for {
		if s, ok := t.peek(0); ok && s == "-o" {
			t.i++
			w := t.and()
			v = v || w
			continue
		}
		return v
	}
}

func (t *tester) and() bool {
	v := t.not()
	for {
		if s, ok := t.peek(0); ok && s == "-a" {
			t.i++
			w := t.not()
			v = v && w
			continue
		}
		return v
	}
}

func (t *tester) not() bool {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > 100 {
		t.i = len(t.args) + 1
		return false
	}
	if s, ok := t.peek(0); ok && s == "!" {
		if _, more := t.peek(1); more {
			t.i++
			return !t.not()
		}
	}
	return t.primary()
}

var binaryOps = map[string]bool{
	"=": true, "==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"-eq": true, "-ne": true, "-lt": true, "-le": true, "-gt": true, "-ge": true,
	"-pgt": true, "-plt": true, "-nt": true, "-ot": true,
}

func (t *tester) primary() bool {
	a, ok := t.peek(0)
	if !ok {
		return false
	}
	if op, ok := t.peek(1); ok && binaryOps[op] {
		b, ok := t.peek(2)
		if ok {
			t.i += 3
			return t.binary(a, op, b)
		}
	}
	if a == "(" {
		t.i++
		v := t.or()
		if s, ok := t.peek(0); ok && s == ")" {
			t.i++
			return v
		}
		t.i = len(t.args) + 1
		return false
	}
	if len(a) == 2 && a[0] == '-' && strings.ContainsRune("efdszn", rune(a[1])) {
		if b, ok := t.peek(1); ok {
			t.i += 2
			return t.unary(a[1], b)
		}
	}
	t.i++
	return a != ""
}

func (t *tester) unary(op byte, arg string) bool {
	switch op {
	case 'z':
		return arg == ""
	case 'n':
		return arg != ""
	}
	v, p, err := t.in.resolve(t.f, arg)
	if err != nil {
		return false
	}
	st, err := stat(v, p)
	if err != nil {
		return false
	}
	switch op {
	case 'f':
		return st.Mode().IsRegular()
	case 'd':
		return st.IsDir()
	case 's':
		return st.Size() > 0
	}
	return true
}

func (t *tester) binary(a, op, b string) bool {
	switch op {
	case "=", "==":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "-nt", "-ot":
		return false // no file times here
	case "-pgt", "-plt":
		// compare the numbers after a common non-numeric prefix
		x, y := trimPrefixNumber(a, b)
		if op == "-pgt" {
			return x > y
		}
		return x < y
	}
	x, y := atoi(a), atoi(b)
	switch op {
	case "-eq":
		return x == y
	case "-ne":
		return x != y
	case "-lt":
		return x < y
	case "-le":
		return x <= y
	case "-gt":
		return x > y
	}
	return x >= y // -ge
}

// atoi reads a number as grub_strtol does: leading digits with a sign,
// 0 when there are none.
func atoi(s string) int64 {
	s = strings.TrimSpace(s)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && isDigit(s[end]) {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 64)
	return n
}

func trimPrefixNumber(a, b string) (int64, int64) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] && !isDigit(a[i]) {
		i++
	}
	return atoi(a[i:]), atoi(b[i:])
}
