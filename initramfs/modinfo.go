package initramfs

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"
)

// modinfoSection is the ELF section modpost and MODULE_INFO() fill with
// NUL-terminated "key=value" strings (include/linux/moduleparam.h,
// __MODULE_INFO).
const modinfoSection = ".modinfo"

// maxModinfoSize bounds the .modinfo section read from a module. The largest
// section in Debian 12's kernels (a GPU driver with thousands of aliases) is
// well under 1 MiB.
const maxModinfoSize = 4 << 20

// ErrNoModinfo is returned (wrapped) for an ELF file without a .modinfo
// section: it is not a kernel module.
var ErrNoModinfo = errors.New("no .modinfo section (not a kernel module)")

// ModInfo is the content of a kernel module's .modinfo section, in file order.
// Keys may repeat (alias, parm, ...).
type ModInfo []ModInfoField

// ModInfoField is one "key=value" string of a .modinfo section.
type ModInfoField struct {
	Key, Value string
}

// Get returns every value of key, in file order.
func (m ModInfo) Get(key string) []string {
	var vs []string
	for _, f := range m {
		if f.Key == key {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// first returns the first value of key, "" if there is none.
func (m ModInfo) first(key string) string {
	for _, f := range m {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Name returns the module's name field ("" on kernels before 5.3, which do
// not record it).
func (m ModInfo) Name() string { return m.first("name") }

// Depends returns the modules this one needs loaded first: the depends= field
// modpost writes (scripts/mod/modpost.c, add_depends), names as given there
// ('-' and '_' both occur).
func (m ModInfo) Depends() []string {
	var deps []string
	for _, v := range m.Get("depends") {
		for d := range strings.SplitSeq(v, ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
	}
	return deps
}

// Softdeps returns the modules named by MODULE_SOFTDEP("pre: a b post: c"):
// pre should be loaded before this module, post after. Neither is required.
func (m ModInfo) Softdeps() (pre, post []string) {
	for _, v := range m.Get("softdep") {
		var cur *[]string
		for w := range strings.FieldsSeq(v) {
			switch w {
			case "pre:":
				cur = &pre
			case "post:":
				cur = &post
			default:
				if cur != nil {
					*cur = append(*cur, w)
				}
			}
		}
	}
	return pre, post
}

// ParseModinfo parses the raw bytes of a .modinfo section: NUL-separated
// "key=value" strings, possibly padded with extra NULs. A string without '='
// is an error.
func ParseModinfo(section []byte) (ModInfo, error) {
	var m ModInfo
	off := 0
	for len(section) > 0 {
		s, rest, _ := bytes.Cut(section, []byte{0})
		if len(s) > 0 {
			k, v, ok := bytes.Cut(s, []byte("="))
			if !ok || len(k) == 0 {
				return nil, fmt.Errorf("modinfo string at offset %d (%.40q): want key=value", off, s)
			}
			m = append(m, ModInfoField{Key: string(k), Value: string(v)})
		}
		off += len(s) + 1
		section = rest
	}
	return m, nil
}

// ReadModinfo reads the .modinfo section of the ELF kernel module in r (any
// byte order and class, so s390x modules can be read on amd64 and the other
// way round).
//
// # Security
//
// r may be hostile: the section size is bounded by maxModinfoSize before it
// is read, and parsing is done by debug/elf and [ParseModinfo], which do not
// panic on malformed input.
func ReadModinfo(r io.ReaderAt) (ModInfo, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(modinfoSection)
	if sec == nil {
		return nil, ErrNoModinfo
	}
	if sec.Type == elf.SHT_NOBITS {
		return nil, fmt.Errorf("%s section has no data: %w", modinfoSection, ErrNoModinfo)
	}
	if sec.Size > maxModinfoSize {
		return nil, fmt.Errorf("%s section is %d bytes, more than the %d allowed", modinfoSection, sec.Size, maxModinfoSize)
	}
	data, err := io.ReadAll(io.LimitReader(sec.Open(), maxModinfoSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s section: %w", modinfoSection, err)
	}
	if len(data) > maxModinfoSize {
		return nil, fmt.Errorf("%s section is more than the %d bytes allowed", modinfoSection, maxModinfoSize)
	}
	return ParseModinfo(data)
}
