package grub

import (
	"errors"
	"fmt"
	"strings"
)

// The GRUB script language as grub-core/script/yylex.l and parser.y read
// it: words made of unquoted text, '…' and "…" strings and $variables;
// ';' and newlines between commands; '#' comments at the start of a
// word; '{' '}' around blocks; if/while/until/for/function as reserved
// words in the place of a command name.

// partKind is what a piece of a word is.
type partKind uint8

const (
	partLit   partKind = iota // unquoted text, backslashes resolved
	partQuote                 // text inside '…' or "…"
	partVar                   // $name outside quotes: split at white space
	partQVar                  // $name inside "…": one field
)

type part struct {
	kind partKind
	text string // the text, or the variable's name
}

// word is one word of a command as written.
type word struct {
	parts []part
	// bare: unquoted text without backslashes, a reserved word when it
	// is one.
	bare bool
}

// literal is the word's text when it has no variables.
func (w word) literal() (string, bool) {
	var b strings.Builder
	for _, p := range w.parts {
		if p.kind == partVar || p.kind == partQVar {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokWord
	tokNewline
	tokSemi
	tokLBrace
	tokRBrace
	tokBad // an operator GRUB's grammar has no command for (| & < > && || ;;)
)

type token struct {
	kind tokKind
	word word
	text string // tokBad: the operator
	line int
}

// errSyntax marks a syntax error (with the line in its text).
var errSyntax = errors.New("syntax error")

// lexer cuts a file into tokens.
type lexer struct {
	src  string
	pos  int
	line int
	peek *token
	err  error // a token that cannot end (an unterminated quote)
}

func newLexer(src string, line int) *lexer { return &lexer{src: src, line: line} }

func (lx *lexer) Peek() token {
	if lx.peek == nil {
		t := lx.scan()
		lx.peek = &t
	}
	return *lx.peek
}

func (lx *lexer) Next() token {
	t := lx.Peek()
	lx.peek = nil
	return t
}

// skipLine drops the rest of the current line (after a syntax error).
func (lx *lexer) skipLine() {
	if lx.peek != nil {
		k := lx.peek.kind
		lx.peek = nil
		if k == tokNewline || k == tokEOF {
			return
		}
	}
	for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
		lx.pos++
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

// ends reports whether c ends an unquoted word (CHAR, yylex.l).
func ends(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\f', '\v', '\n', ';', '|', '&', '<', '>', '{', '}':
		return true
	}
	return false
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

func (lx *lexer) scan() token {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case isBlank(c):
			lx.pos++
			continue
		case c == '\\' && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '\n':
			lx.pos += 2
			lx.line++
			continue
		case c == '#':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
			continue
		}
		break
	}
	if lx.pos >= len(lx.src) {
		return token{kind: tokEOF, line: lx.line}
	}
	line := lx.line
	c := lx.src[lx.pos]
	two := ""
	if lx.pos+1 < len(lx.src) {
		two = lx.src[lx.pos : lx.pos+2]
	}
	switch {
	case c == '\n':
		lx.pos++
		lx.line++
		return token{kind: tokNewline, line: line}
	case two == ";;" || two == "&&" || two == "||":
		lx.pos += 2
		return token{kind: tokBad, text: two, line: line}
	case c == ';':
		lx.pos++
		return token{kind: tokSemi, line: line}
	case c == '{':
		lx.pos++
		return token{kind: tokLBrace, line: line}
	case c == '}':
		lx.pos++
		return token{kind: tokRBrace, line: line}
	case c == '|' || c == '&' || c == '<' || c == '>':
		lx.pos++
		return token{kind: tokBad, text: string(c), line: line}
	}
	w, err := lx.word()
	if err != nil {
		lx.err = err
		return token{kind: tokBad, text: err.Error(), line: line}
	}
	return token{kind: tokWord, word: w, line: line}
}

// word reads one word.
func (lx *lexer) word() (word, error) {
	w := word{bare: true}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if ends(c) {
			break
		}
		switch c {
		case '\\':
			w.bare = false
			lx.pos++
			if lx.pos == len(lx.src) {
				lit.WriteByte('\\')
				continue
			}
			if lx.src[lx.pos] == '\n' {
				lx.line++
			} else {
				lit.WriteByte(lx.src[lx.pos])
			}
			lx.pos++
		case '\'':
			w.bare = false
			flush()
			end := strings.IndexByte(lx.src[lx.pos+1:], '\'')
			if end < 0 {
				return w, errors.New("a '…' string does not end")
			}
			s := lx.src[lx.pos+1 : lx.pos+1+end]
			lx.line += strings.Count(s, "\n")
			w.parts = append(w.parts, part{kind: partQuote, text: s})
			lx.pos += end + 2
		case '"':
			w.bare = false
			flush()
			lx.pos++
			if err := lx.dquote(&w); err != nil {
				return w, err
			}
		case '$':
			w.bare = false
			if lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '"' {
				// $"…": a string to translate; we have no
				// translations, so it is a "…" string.
				flush()
				lx.pos += 2
				if err := lx.dquote(&w); err != nil {
					return w, err
				}
				continue
			}
			name, ok := lx.variable()
			if !ok {
				lit.WriteByte('$')
				lx.pos++
				continue
			}
			flush()
			w.parts = append(w.parts, part{kind: partVar, text: name})
		default:
			lit.WriteByte(c)
			lx.pos++
		}
	}
	flush()
	if len(w.parts) == 0 {
		w.parts = []part{{kind: partLit}}
	}
	return w, nil
}

// dquote reads a "…" string after its opening quote.
func (lx *lexer) dquote(w *word) error {
	start := lx.line
	var b strings.Builder
	quoted := false
	flush := func(force bool) {
		if b.Len() > 0 || force {
			w.parts = append(w.parts, part{kind: partQuote, text: b.String()})
			b.Reset()
			quoted = true
		}
	}
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch c {
		case '"':
			lx.pos++
			flush(!quoted)
			return nil
		case '\\':
			if lx.pos+1 < len(lx.src) {
				switch n := lx.src[lx.pos+1]; n {
				case '$', '\\', '"':
					b.WriteByte(n)
					lx.pos += 2
					continue
				case '\n':
					lx.pos += 2
					lx.line++
					continue
				}
			}
			b.WriteByte(c)
			lx.pos++
		case '$':
			name, ok := lx.variable()
			if !ok {
				b.WriteByte('$')
				lx.pos++
				continue
			}
			flush(false)
			quoted = true
			w.parts = append(w.parts, part{kind: partQVar, text: name})
		default:
			if c == '\n' {
				lx.line++
			}
			b.WriteByte(c)
			lx.pos++
		}
	}
	return fmt.Errorf("a \"…\" string from line %d does not end", start)
}

// variable reads $NAME, ${NAME}, $DIGITS or $? $# $* $@ at lx.pos (the
// '$'); ok is false when none follows.
func (lx *lexer) variable() (name string, ok bool) {
	s := lx.src[lx.pos+1:]
	braced := strings.HasPrefix(s, "{")
	if braced {
		s = s[1:]
	}
	n := 0
	switch {
	case len(s) == 0:
		return "", false
	case s[0] == '?' || s[0] == '#' || s[0] == '*' || s[0] == '@':
		n = 1
	case isDigit(s[0]):
		for n < len(s) && isDigit(s[n]) {
			n++
		}
	case isNameStart(s[0]):
		for n < len(s) && isNameChar(s[n]) {
			n++
		}
	default:
		return "", false
	}
	name = s[:n]
	used := 1 + n
	if braced {
		if n >= len(s) || s[n] != '}' {
			return "", false
		}
		used += 2
	}
	lx.pos += used
	return name, true
}
