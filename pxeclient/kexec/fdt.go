package kexec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// The flattened device tree format (Devicetree Specification v0.4,
// chapter 5): a 40-byte header, the memory reservation block, the
// structure block (tokens) and the strings block, all big-endian.
const (
	fdtMagic      = 0xd00dfeed
	fdtHeaderSize = 40
	fdtVersion    = 17
	fdtLastComp   = 16
	fdtBeginNode  = 1
	fdtEndNode    = 2
	fdtProp       = 3
	fdtNop        = 4
	fdtEnd        = 9
	// fdtMaxDepth bounds the nesting parseFDT follows; real trees are a
	// handful of levels deep.
	fdtMaxDepth = 64
)

// ErrBadFDT is wrapped by the errors of parseFDT.
var ErrBadFDT = errors.New("malformed flattened device tree")

// fdtNode is one node of a device tree.
type fdtNode struct {
	name     string
	props    []fdtProperty
	children []*fdtNode
}

type fdtProperty struct {
	name  string
	value []byte
}

// fdtTree is a parsed device tree blob.
type fdtTree struct {
	reserve [][2]uint64 // the memory reservation block, without its terminator
	bootCPU uint32
	root    *fdtNode
}

// parseFDT reads a device tree blob (as /sys/firmware/fdt holds the one
// the running kernel booted with). Every offset and length is checked
// against the blob; the nesting depth is bounded.
func parseFDT(b []byte) (*fdtTree, error) {
	if len(b) < fdtHeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, the header alone is %d", ErrBadFDT, len(b), fdtHeaderSize)
	}
	be := binary.BigEndian
	h := make([]uint32, fdtHeaderSize/4)
	for i := range h {
		h[i] = be.Uint32(b[4*i:])
	}
	magic, total, offStruct, offStrings, offRsv, version := h[0], h[1], h[2], h[3], h[4], h[5]
	sizeStrings, sizeStruct := h[8], h[9]
	switch {
	case magic != fdtMagic:
		return nil, fmt.Errorf("%w: magic %#x, want %#x", ErrBadFDT, magic, fdtMagic)
	case uint64(total) > uint64(len(b)):
		return nil, fmt.Errorf("%w: total size %d, blob %d bytes", ErrBadFDT, total, len(b))
	case version < fdtLastComp:
		return nil, fmt.Errorf("%w: version %d, need %d or later", ErrBadFDT, version, fdtLastComp)
	case uint64(offStruct)+uint64(sizeStruct) > uint64(total), uint64(offStrings)+uint64(sizeStrings) > uint64(total),
		offRsv < fdtHeaderSize || offRsv >= total || offRsv%8 != 0:
		return nil, fmt.Errorf("%w: blocks outside its %d bytes", ErrBadFDT, total)
	}
	t := &fdtTree{bootCPU: h[7]}
	for off := uint64(offRsv); ; off += 16 {
		if off+16 > uint64(total) {
			return nil, fmt.Errorf("%w: unterminated memory reservation block", ErrBadFDT)
		}
		addr, size := be.Uint64(b[off:]), be.Uint64(b[off+8:])
		if addr == 0 && size == 0 {
			break
		}
		t.reserve = append(t.reserve, [2]uint64{addr, size})
	}
	strs := b[offStrings : offStrings+sizeStrings]
	s := b[offStruct : offStruct+sizeStruct]
	pos := 0
	word := func() (uint32, bool) {
		if pos+4 > len(s) {
			return 0, false
		}
		v := be.Uint32(s[pos:])
		pos += 4
		return v, true
	}
	var stack []*fdtNode
	for {
		tok, ok := word()
		if !ok {
			return nil, fmt.Errorf("%w: structure block ends without FDT_END", ErrBadFDT)
		}
		switch tok {
		case fdtBeginNode:
			i := bytes.IndexByte(s[pos:], 0)
			if i < 0 {
				return nil, fmt.Errorf("%w: unterminated node name at %#x", ErrBadFDT, pos)
			}
			n := &fdtNode{name: string(s[pos : pos+i])}
			pos = int(alignUp(uint64(pos+i+1), 4))
			switch {
			case len(stack) == 0 && t.root != nil:
				return nil, fmt.Errorf("%w: a second root node", ErrBadFDT)
			case len(stack) == 0:
				t.root = n
			case len(stack) >= fdtMaxDepth:
				return nil, fmt.Errorf("%w: nodes nested deeper than %d", ErrBadFDT, fdtMaxDepth)
			default:
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case fdtEndNode:
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: FDT_END_NODE without a node", ErrBadFDT)
			}
			stack = stack[:len(stack)-1]
		case fdtProp:
			l, ok1 := word()
			nameOff, ok2 := word()
			if !ok1 || !ok2 || uint64(pos)+uint64(l) > uint64(len(s)) || len(stack) == 0 {
				return nil, fmt.Errorf("%w: bad property at %#x", ErrBadFDT, pos)
			}
			if nameOff >= uint32(len(strs)) {
				return nil, fmt.Errorf("%w: property name offset %d outside the strings block", ErrBadFDT, nameOff)
			}
			i := bytes.IndexByte(strs[nameOff:], 0)
			if i < 0 {
				return nil, fmt.Errorf("%w: unterminated property name", ErrBadFDT)
			}
			n := stack[len(stack)-1]
			n.props = append(n.props, fdtProperty{string(strs[nameOff : nameOff+uint32(i)]), bytes.Clone(s[pos : pos+int(l)])})
			pos = int(alignUp(uint64(pos)+uint64(l), 4))
		case fdtNop:
		case fdtEnd:
			if len(stack) != 0 || t.root == nil {
				return nil, fmt.Errorf("%w: FDT_END inside a node or without a root", ErrBadFDT)
			}
			return t, nil
		default:
			return nil, fmt.Errorf("%w: token %#x at %#x", ErrBadFDT, tok, pos-4)
		}
	}
}

// encode writes t as a version 17 blob.
func (t *fdtTree) encode() []byte {
	be := binary.BigEndian
	var st, strs bytes.Buffer
	nameOff := map[string]uint32{}
	put := func(v uint32) { binary.Write(&st, be, v) }
	pad := func() {
		for st.Len()%4 != 0 {
			st.WriteByte(0)
		}
	}
	var walk func(n *fdtNode)
	walk = func(n *fdtNode) {
		put(fdtBeginNode)
		st.WriteString(n.name)
		st.WriteByte(0)
		pad()
		for _, p := range n.props {
			off, ok := nameOff[p.name]
			if !ok {
				off = uint32(strs.Len())
				nameOff[p.name] = off
				strs.WriteString(p.name)
				strs.WriteByte(0)
			}
			put(fdtProp)
			put(uint32(len(p.value)))
			put(off)
			st.Write(p.value)
			pad()
		}
		for _, c := range n.children {
			walk(c)
		}
		put(fdtEndNode)
	}
	walk(t.root)
	put(fdtEnd)
	offRsv := uint32(fdtHeaderSize)
	offStruct := offRsv + uint32(16*(len(t.reserve)+1))
	offStrings := offStruct + uint32(st.Len())
	total := offStrings + uint32(strs.Len())
	out := make([]byte, fdtHeaderSize, total)
	for i, v := range []uint32{fdtMagic, total, offStruct, offStrings, offRsv, fdtVersion, fdtLastComp, t.bootCPU, uint32(strs.Len()), uint32(st.Len())} {
		be.PutUint32(out[4*i:], v)
	}
	for _, r := range append(t.reserve, [2]uint64{}) {
		out = be.AppendUint64(out, r[0])
		out = be.AppendUint64(out, r[1])
	}
	out = append(out, st.Bytes()...)
	return append(out, strs.Bytes()...)
}

// child returns the child of n called name, adding it when there is none.
func (n *fdtNode) child(name string) *fdtNode {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	c := &fdtNode{name: name}
	n.children = append(n.children, c)
	return c
}

// set sets the property name to value, replacing any it had.
func (n *fdtNode) set(name string, value []byte) {
	for i := range n.props {
		if n.props[i].name == name {
			n.props[i].value = value
			return
		}
	}
	n.props = append(n.props, fdtProperty{name, value})
}

// remove deletes the property name.
func (n *fdtNode) remove(name string) {
	for i := range n.props {
		if n.props[i].name == name {
			n.props = append(n.props[:i], n.props[i+1:]...)
			return
		}
	}
}

// get returns the value of the property name, or nil.
func (n *fdtNode) get(name string) []byte {
	for _, p := range n.props {
		if p.name == name {
			return p.value
		}
	}
	return nil
}
