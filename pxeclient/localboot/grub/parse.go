package grub

import (
	"fmt"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// node is a statement: *command, *ifNode, *loopNode, *forNode, *funcNode.
type node interface{ where() pos }

// pos is where a statement starts.
type pos struct {
	file *cfgFile
	line int
}

func (p pos) String() string { return fmt.Sprintf("%s:%d", p.file.name, p.line) }

// warning is err at p, a menu warning.
func (p pos) warning(err error) *bootmenu.Warning {
	return &bootmenu.Warning{File: p.file.name, Line: p.line, Err: err}
}

func (p pos) where() pos { return p }

// command is a simple command; block is the { … } of menuentry,
// submenu and hiddenentry.
type command struct {
	pos
	words []word
	block []node
	// blockSet: the command has a block (possibly empty).
	blockSet bool
}

type ifNode struct {
	pos
	conds  [][]node // if, elif...
	bodies [][]node
	els    []node
}

type loopNode struct {
	pos
	until bool
	cond  []node
	body  []node
}

type forNode struct {
	pos
	name  string
	items []word
	body  []node
}

type funcNode struct {
	pos
	name string
	body []node
}

// parser reads statements from a lexer.
type parser struct {
	lx    *lexer
	file  *cfgFile
	depth int
}

// maxNesting bounds how deep blocks nest in one file (the parser's
// recursion): deeper is a syntax error.
const maxNesting = 200

func (p *parser) errorf(line int, format string, args ...any) error {
	return pos{file: p.file, line: line}.warning(fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errSyntax))
}

// reserved is the reserved word a token is, "" for none.
func reserved(t token) string {
	if t.kind != tokWord || !t.word.bare || len(t.word.parts) != 1 {
		return ""
	}
	switch s := t.word.parts[0].text; s {
	case "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "function", "case", "esac", "select", "[[", "]]":
		return s
	}
	return ""
}

// skipSeparators skips newlines and semicolons.
func (p *parser) skipSeparators() {
	for {
		switch p.lx.Peek().kind {
		case tokNewline, tokSemi:
			p.lx.Next()
		default:
			return
		}
	}
}

// statement reads the next top-level statement; nil at the end of the
// file.
func (p *parser) statement() (node, error) {
	p.skipSeparators()
	if p.lx.Peek().kind == tokEOF {
		return nil, nil
	}
	return p.command()
}

// list reads statements up to one of the reserved words in stop (or '}'
// when stop has "}"), which it leaves unread.
func (p *parser) list(stop ...string) ([]node, error) {
	var out []node
	for {
		p.skipSeparators()
		t := p.lx.Peek()
		if t.kind == tokEOF {
			return out, p.errorf(t.line, "the file ends before %s", stop[len(stop)-1])
		}
		if t.kind == tokRBrace {
			for _, s := range stop {
				if s == "}" {
					return out, nil
				}
			}
			return out, p.errorf(t.line, "unexpected '}'")
		}
		if r := reserved(t); r != "" {
			for _, s := range stop {
				if s == r {
					return out, nil
				}
			}
		}
		n, err := p.command()
		if err != nil {
			return out, err
		}
		out = append(out, n)
	}
}

// expect reads the reserved word want.
func (p *parser) expect(want string) error {
	t := p.lx.Next()
	if reserved(t) != want {
		return p.errorf(t.line, "%s expected", want)
	}
	return nil
}

func (p *parser) command() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	t := p.lx.Peek()
	if p.depth > maxNesting {
		return nil, p.errorf(t.line, "blocks nest deeper than %d", maxNesting)
	}
	at := pos{p.file, t.line}
	switch reserved(t) {
	case "if":
		p.lx.Next()
		n := &ifNode{pos: at}
		for {
			cond, err := p.list("then")
			if err != nil {
				return nil, err
			}
			p.lx.Next()
			body, err := p.list("elif", "else", "fi")
			if err != nil {
				return nil, err
			}
			n.conds, n.bodies = append(n.conds, cond), append(n.bodies, body)
			switch reserved(p.lx.Next()) {
			case "elif":
				continue
			case "else":
				if n.els, err = p.list("fi"); err != nil {
					return nil, err
				}
				p.lx.Next()
			}
			return n, nil
		}
	case "while", "until":
		p.lx.Next()
		n := &loopNode{pos: at, until: reserved(t) == "until"}
		var err error
		if n.cond, err = p.list("do"); err != nil {
			return nil, err
		}
		p.lx.Next()
		if n.body, err = p.list("done"); err != nil {
			return nil, err
		}
		p.lx.Next()
		return n, nil
	case "for":
		p.lx.Next()
		nt := p.lx.Next()
		name, ok := nt.word.literal()
		if nt.kind != tokWord || !ok || !validName(name) {
			return nil, p.errorf(nt.line, "for needs a variable name")
		}
		n := &forNode{pos: at, name: name}
		if err := p.expect("in"); err != nil {
			return nil, err
		}
		for p.lx.Peek().kind == tokWord {
			n.items = append(n.items, p.lx.Next().word)
		}
		p.skipSeparators()
		if err := p.expect("do"); err != nil {
			return nil, err
		}
		var err error
		if n.body, err = p.list("done"); err != nil {
			return nil, err
		}
		p.lx.Next()
		return n, nil
	case "function":
		p.lx.Next()
		nt := p.lx.Next()
		name, ok := nt.word.literal()
		if nt.kind != tokWord || !ok || name == "" {
			return nil, p.errorf(nt.line, "function needs a name")
		}
		for p.lx.Peek().kind == tokNewline {
			p.lx.Next()
		}
		body, err := p.block()
		if err != nil {
			return nil, err
		}
		return &funcNode{pos: at, name: name, body: body}, nil
	case "then", "elif", "else", "fi", "do", "done", "in", "case", "esac", "select", "[[", "]]":
		p.lx.Next()
		return nil, p.errorf(t.line, "unexpected %q", reserved(t))
	}
	c := &command{pos: at}
	for {
		t := p.lx.Peek()
		switch t.kind {
		case tokWord:
			c.words = append(c.words, p.lx.Next().word)
			continue
		case tokLBrace:
			if len(c.words) == 0 {
				return nil, p.errorf(t.line, "unexpected '{'")
			}
			body, err := p.block()
			if err != nil {
				return nil, err
			}
			c.block, c.blockSet = body, true
		case tokBad:
			p.lx.Next()
			if p.lx.err != nil {
				err := p.lx.err
				p.lx.err = nil
				return nil, p.errorf(t.line, "%v", err)
			}
			return nil, p.errorf(t.line, "%q is not supported", t.text)
		}
		break
	}
	if len(c.words) == 0 {
		t := p.lx.Next()
		return nil, p.errorf(t.line, "a command expected")
	}
	return c, nil
}

// block reads { … }.
func (p *parser) block() ([]node, error) {
	t := p.lx.Next()
	if t.kind != tokLBrace {
		return nil, p.errorf(t.line, "'{' expected")
	}
	body, err := p.list("}")
	if err != nil {
		return nil, err
	}
	p.lx.Next()
	return body, nil
}

// validName reports whether s can name a variable.
func validName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}
