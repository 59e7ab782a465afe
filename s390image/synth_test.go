package s390image

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// synth describes a synthetic s390 kernel image made in the test: the
// parameter area as a real kernel has it, the rest a byte pattern that
// shows where every byte went.
type synth struct {
	size       int    // file size; default 0x14000
	maxCmdline uint64 // value at MaxCmdlineSizeOffset; 0 as on kernels before 5.16
	version    string // stored near the end, pointed to by KernelVersionOffset
	cmdline    string // the built-in command line
}

// synthPSW is the start of a real s390 image (Debian 6.1): the IPL PSW and
// the first CCWs, followed by 0x40 fill bytes up to 64, which file(1)
// calls "Linux S390".
var synthPSW = []byte{
	0x00, 0x08, 0x00, 0x00, 0x80, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x18,
	0x60, 0x00, 0x00, 0x50, 0x02, 0x00, 0x00, 0x68, 0x60, 0x00, 0x00, 0x50,
}

func (s synth) bytes() []byte {
	if s.size == 0 {
		s.size = 0x14000
	}
	b := make([]byte, s.size)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	copy(b, synthPSW)
	for i := len(synthPSW); i < 64; i++ {
		b[i] = 0x40
	}
	copy(b[MagicOffset:], MagicString)
	max := LegacyCmdlineSize
	if s.maxCmdline != 0 {
		max = int(s.maxCmdline)
	}
	clear(b[ParmAreaOffset:min(len(b), CmdlineOffset+max)])
	binary.BigEndian.PutUint64(b[MaxCmdlineSizeOffset:], s.maxCmdline)
	if s.version != "" {
		off := len(b) - 0x200
		copy(b[off:], s.version+"\x00")
		binary.BigEndian.PutUint64(b[KernelVersionOffset:], uint64(off))
	}
	copy(b[CmdlineOffset:], s.cmdline)
	return b
}

// debianLike is a synthetic kernel shaped like Debian 12's s390x kernel.
var debianLike = synth{
	size:       0x13000,
	maxCmdline: 4096,
	version:    "6.1.0-synthetic-s390x (test@example.org) #1 SMP Debian 6.1.0-1 (2026-01-01)",
	cmdline:    "root=/dev/ram0 ro",
}

// catAndPatch is the reference method: the kernel padded to 4096 bytes,
// the ramdisk appended, offset and size patched in.
func catAndPatch(kernel, ramdisk []byte) []byte {
	out := append([]byte(nil), kernel...)
	for len(out)%RamdiskAlign != 0 {
		out = append(out, 0)
	}
	off := len(out)
	out = append(out, ramdisk...)
	binary.BigEndian.PutUint64(out[InitrdStartOffset:], uint64(off))
	binary.BigEndian.PutUint64(out[InitrdSizeOffset:], uint64(len(ramdisk)))
	return out
}

// build runs Build on in-memory inputs.
func build(t testing.TB, kernel, ramdisk []byte, opts Options) ([]byte, *Layout, error) {
	t.Helper()
	var out bytes.Buffer
	var rd *bytes.Reader
	if ramdisk != nil {
		rd = bytes.NewReader(ramdisk)
		l, err := Build(&out, bytes.NewReader(kernel), int64(len(kernel)), rd, int64(len(ramdisk)), opts)
		return out.Bytes(), l, err
	}
	l, err := Build(&out, bytes.NewReader(kernel), int64(len(kernel)), nil, 0, opts)
	return out.Bytes(), l, err
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pattern returns n bytes that are not all alike.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) ^ seed ^ byte(i>>9)
	}
	return b
}
