package initramfs

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"slices"
	"testing"
)

// fakeELF returns a minimal 64-bit ELF file of the given type and machine
// with the named sections (and .shstrtab), in the machine's byte order:
// enough for debug/elf, and for the builder's checks, to read it like a
// kernel module (ET_REL) or an executable (ET_EXEC). An interp adds a
// PT_INTERP program header, like a dynamically linked program has.
func fakeELF(t testing.TB, typ elf.Type, machine elf.Machine, sections map[string][]byte, interp bool) []byte {
	t.Helper()
	var bo binary.ByteOrder = binary.LittleEndian
	data := byte(elf.ELFDATA2LSB)
	if machine == elf.EM_S390 {
		bo, data = binary.BigEndian, byte(elf.ELFDATA2MSB)
	}
	const ehsize, phentsize, shentsize = 64, 56, 64
	names := []string{}
	for n := range sections {
		names = append(names, n)
	}
	slices.Sort(names)
	shstr := []byte{0}
	nameOff := map[string]int{}
	for _, n := range append(names, ".shstrtab") {
		nameOff[n] = len(shstr)
		shstr = append(shstr, n...)
		shstr = append(shstr, 0)
	}
	var body bytes.Buffer
	phnum := 0
	if interp {
		phnum = 1
	}
	off := ehsize + phnum*phentsize
	secOff := map[string]int{}
	for _, n := range names {
		secOff[n] = off + body.Len()
		body.Write(sections[n])
	}
	shstrOff := off + body.Len()
	body.Write(shstr)
	for (off+body.Len())%8 != 0 {
		body.WriteByte(0)
	}
	shoff := off + body.Len()
	shnum := len(names) + 2

	var b bytes.Buffer
	ident := [16]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), data, byte(elf.EV_CURRENT)}
	b.Write(ident[:])
	w := func(v any) { binary.Write(&b, bo, v) }
	w(uint16(typ))
	w(uint16(machine))
	w(uint32(elf.EV_CURRENT))
	w(uint64(0)) // entry
	if phnum > 0 {
		w(uint64(ehsize))
	} else {
		w(uint64(0))
	}
	w(uint64(shoff))
	w(uint32(0)) // flags
	w(uint16(ehsize))
	w(uint16(phentsize))
	w(uint16(phnum))
	w(uint16(shentsize))
	w(uint16(shnum))
	w(uint16(shnum - 1)) // shstrndx
	if interp {
		w(uint32(elf.PT_INTERP))
		w(uint32(elf.PF_R))
		w(uint64(0))
		w(uint64(0))
		w(uint64(0))
		w(uint64(0))
		w(uint64(0))
		w(uint64(1))
	}
	b.Write(body.Bytes())
	sh := func(name int, typ elf.SectionType, off, size int) {
		w(uint32(name))
		w(uint32(typ))
		w(uint64(0)) // flags
		w(uint64(0)) // addr
		w(uint64(off))
		w(uint64(size))
		w(uint32(0)) // link
		w(uint32(0)) // info
		w(uint64(1)) // align
		w(uint64(0)) // entsize
	}
	sh(0, elf.SHT_NULL, 0, 0)
	for _, n := range names {
		sh(nameOff[n], elf.SHT_PROGBITS, secOff[n], len(sections[n]))
	}
	sh(nameOff[".shstrtab"], elf.SHT_STRTAB, shstrOff, len(shstr))
	return b.Bytes()
}

// fakeModule returns a kernel module for machine whose .modinfo holds the
// given "key=value" strings.
func fakeModule(t testing.TB, machine elf.Machine, modinfo ...string) []byte {
	var mi []byte
	for _, s := range modinfo {
		mi = append(append(mi, s...), 0)
	}
	return fakeELF(t, elf.ET_REL, machine, map[string][]byte{".modinfo": mi, ".text": {0x07, 0x07}}, false)
}

func TestFakeELF(t *testing.T) {
	for _, m := range []elf.Machine{elf.EM_S390, elf.EM_X86_64} {
		data := fakeModule(t, m, "name=a", "depends=b,c-d")
		info, err := ReadModinfo(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if got := info.Name(); got != "a" {
			t.Errorf("%s: name %q", m, got)
		}
		f, err := elf.NewFile(bytes.NewReader(fakeELF(t, elf.ET_EXEC, m, nil, true)))
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != m || len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_INTERP {
			t.Errorf("%s: executable read back as %s with %d program headers", m, f.Machine, len(f.Progs))
		}
	}
}
