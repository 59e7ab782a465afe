package grub

// variable is one GRUB environment variable.
type variable struct {
	value    string
	exported bool
	// from names the grubenv variable the value was copied from
	// ("saved_entry", "next_entry") by load_env or a plain
	// `set x="${saved_entry}"`, for Auto.Via.
	from string
	// gone: unset here, hiding a value of an outer scope.
	gone bool
}

// scope is a GRUB environment context. A context opened by configfile,
// normal or a submenu sees only the exported variables of the one
// around it (grub_env_context_open); a menu entry's body runs in a copy
// of its context (here: a scope over it that takes the writes).
type scope struct {
	parent       *scope
	vars         map[string]*variable
	exportedOnly bool
}

func newScope(parent *scope, exportedOnly bool) *scope {
	return &scope{parent: parent, vars: map[string]*variable{}, exportedOnly: exportedOnly}
}

func (s *scope) lookup(name string) (*variable, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			if v.gone {
				return nil, false
			}
			return v, true
		}
		if c.exportedOnly && c.parent != nil {
			v, ok := c.parent.lookup(name)
			if !ok || !v.exported {
				return nil, false
			}
			return v, true
		}
	}
	return nil, false
}

func (s *scope) get(name string) string {
	if v, ok := s.lookup(name); ok {
		return v.value
	}
	return ""
}

// count is the number of variables set in s itself.
func (s *scope) count() int { return len(s.vars) }

func (s *scope) set(name, value, from string) {
	v := &variable{value: value, from: from}
	if old, ok := s.lookup(name); ok {
		v.exported = old.exported
	}
	s.vars[name] = v
}

func (s *scope) unset(name string) {
	if s.parent == nil {
		delete(s.vars, name)
		return
	}
	s.vars[name] = &variable{gone: true}
}

func (s *scope) export(name string) {
	v, ok := s.lookup(name)
	if !ok {
		s.vars[name] = &variable{exported: true}
		return
	}
	c := *v
	c.exported = true
	s.vars[name] = &c
}

// funcs is the table of functions, layered like scope: functions a
// menu entry's body defines stay in that body.
type funcs struct {
	parent *funcs
	defs   map[string]*funcNode
}

func (f *funcs) lookup(name string) (*funcNode, bool) {
	for c := f; c != nil; c = c.parent {
		if d, ok := c.defs[name]; ok {
			return d, true
		}
	}
	return nil, false
}
