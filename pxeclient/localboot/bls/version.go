package bls

// CompareVersions orders two version strings by the UAPI group's Version
// Format Specification (the order the Boot Loader Specification sorts
// versions and file names by): -1 when a is older than b, 0 when they
// compare equal, +1 when a is newer. Characters other than ASCII letters,
// digits and "-.~^" only separate components; "~" starts a suffix that
// sorts lower ("123~rc1" < "123"), "^" one that sorts higher than "-"
// and lower than "." ("123-1" < "123^post1" < "123.1"); numbers compare
// as numbers of any length.
func CompareVersions(a, b string) int {
	for {
		a, b = skipSeparators(a), skipSeparators(b)
		// A tilde sorts lower than anything, the end of the string too.
		if ta, tb := startsWith(a, '~'), startsWith(b, '~'); ta || tb {
			if ta != tb {
				return cmpBool(tb, ta)
			}
			a, b = a[1:], b[1:]
			continue
		}
		if a == "" || b == "" {
			return cmpBool(a != "", b != "")
		}
		// '-', '^' and '.' in this order: the string with the first of
		// them where the other has none sorts lower.
		if c, ok := leadingMark(a, b); ok {
			ma, mb := startsWith(a, c), startsWith(b, c)
			if ma != mb {
				return cmpBool(mb, ma)
			}
			a, b = a[1:], b[1:]
			continue
		}
		if isDigit(a[0]) || isDigit(b[0]) {
			var na, nb string
			na, a = span(a, isDigit)
			nb, b = span(b, isDigit)
			if c := compareNumbers(na, nb); c != 0 {
				return c
			}
			continue
		}
		var la, lb string
		la, a = span(a, isLetter)
		lb, b = span(b, isLetter)
		// Letter by letter in ASCII order (capitals before lower case),
		// then the longer run of letters sorts higher.
		if la != lb {
			if la < lb {
				return -1
			}
			return 1
		}
	}
}

// leadingMark is the first of '-', '^', '.' (the spec's order of steps)
// that either string starts with.
func leadingMark(a, b string) (byte, bool) {
	for _, c := range []byte{'-', '^', '.'} {
		if startsWith(a, c) || startsWith(b, c) {
			return c, true
		}
	}
	return 0, false
}

// compareNumbers compares two runs of digits as numbers: leading zeros
// dropped, an empty run is 0, a longer run is the bigger number.
func compareNumbers(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	switch {
	case len(a) != len(b):
		return cmpBool(len(a) > len(b), len(a) < len(b))
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 0 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// skipSeparators drops the leading characters that are neither letters,
// digits nor one of "-.~^" (non-ASCII bytes too).
func skipSeparators(s string) string {
	for len(s) > 0 && !isLetter(s[0]) && !isDigit(s[0]) && !isMark(s[0]) {
		s = s[1:]
	}
	return s
}

// span splits s after its leading run of bytes for which ok holds.
func span(s string, ok func(byte) bool) (run, rest string) {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func startsWith(s string, c byte) bool { return len(s) > 0 && s[0] == c }
func isDigit(c byte) bool              { return '0' <= c && c <= '9' }
func isLetter(c byte) bool             { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isMark(c byte) bool               { return c == '-' || c == '.' || c == '~' || c == '^' }

// cmpBool is +1 when only x holds, -1 when only y holds, 0 otherwise.
func cmpBool(x, y bool) int {
	switch {
	case x && !y:
		return 1
	case y && !x:
		return -1
	}
	return 0
}
