package pxelinux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// genFS is a TFTP root whose files are generated as they are read, so a
// 100 MB config costs the test nothing until the opener reads it.
type genFS map[string]genFile

type genFile struct {
	size int64
	gen  func() io.Reader // yields size bytes
}

func (g genFS) Open(name string) (fs.File, error) {
	f, ok := g[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &openGen{Reader: f.gen(), name: name, size: f.size}, nil
}

type openGen struct {
	io.Reader
	name string
	size int64
}

func (o *openGen) Stat() (fs.FileInfo, error) { return genInfo{o}, nil }
func (o *openGen) Close() error               { return nil }

type genInfo struct{ o *openGen }

func (i genInfo) Name() string       { return i.o.name }
func (i genInfo) Size() int64        { return i.o.size }
func (i genInfo) Mode() fs.FileMode  { return 0o444 }
func (i genInfo) ModTime() time.Time { return time.Time{} }
func (i genInfo) IsDir() bool        { return false }
func (i genInfo) Sys() any           { return nil }

// text is a file holding data.
func text(data string) genFile {
	return genFile{int64(len(data)), func() io.Reader { return strings.NewReader(data) }}
}

// repeated is size bytes of pattern over and over, never held in memory.
func repeated(pattern string, size int64) genFile {
	return genFile{size, func() io.Reader {
		return io.LimitReader(&cycleReader{p: []byte(pattern)}, size)
	}}
}

type cycleReader struct {
	p   []byte
	off int
}

func (c *cycleReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k := copy(b[n:], c.p[c.off:])
		n += k
		c.off = (c.off + k) % len(c.p)
	}
	return n, nil
}

// garbage is size random bytes from a fixed seed.
func garbage(seed uint64, size int) genFile {
	b := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return genFile{int64(size), func() io.Reader { return bytes.NewReader(b) }}
}

// hostileAllocBound is what one Load may allocate, from the documented
// limits: every file read is at most MaxFileSize and all of them
// together MaxTotalSize; reading a file through io.ReadAll and keeping
// lines and warnings costs a small multiple of that. A parser that read a
// 100 MB file whole, or expanded an include cycle, would be far above.
const hostileAllocBound = 4 * DefaultMaxTotalSize

// TestHostileConfigs feeds broken and hostile configs through the loader
// (Parser.Load: the config name lookup, FSOpener as `pxeboot plan --root`
// uses it, includes) and checks that each ends in the documented way
// with a message naming the file, within the allocation bound and a
// generous time bound (a hang, not a speed, is what the latter catches).
// It logs one FAULT line per case for scripts/fault-report.sh.
func TestHostileConfigs(t *testing.T) {
	const cfg = "pxelinux.cfg/default"
	labels := new(strings.Builder)
	for i := range 10_000 {
		fmt.Fprintf(labels, "LABEL l%d\n  KERNEL k%d\n", i, i)
	}
	tests := []struct {
		name  string
		files genFS
		// wantErr is the sentinel the error must match (nil: no error).
		wantErr error
		// wantWarn is the sentinel one of the warnings must match.
		wantWarn error
		// wantMsg must appear in the error or a warning.
		wantMsg string
		// wantDefault is the label that must boot unattended ("": none).
		wantDefault string
	}{
		{
			name:     "INCLUDE of itself",
			files:    genFS{cfg: text("INCLUDE pxelinux.cfg/default\nDEFAULT a\nLABEL a\n  KERNEL vmlinuz\n")},
			wantWarn: ErrIncludeCycle, wantMsg: "pxelinux.cfg/default -> pxelinux.cfg/default", wantDefault: "a",
		},
		{
			name: "2-file INCLUDE cycle",
			files: genFS{
				cfg:       text("INCLUDE a.cfg\nDEFAULT a\n"),
				"a.cfg":   text("LABEL a\n  KERNEL vmlinuz\nINCLUDE b.cfg\n"),
				"b.cfg":   text("LABEL b\n  KERNEL vmlinuz\nINCLUDE a.cfg\n"),
				"vmlinuz": text("k"),
			},
			wantWarn: ErrIncludeCycle, wantMsg: "a.cfg -> b.cfg -> a.cfg", wantDefault: "a",
		},
		{
			name:    "100 MB of text",
			files:   genFS{cfg: repeated("LABEL x\n  KERNEL vmlinuz\n  APPEND quiet\n", 100<<20)},
			wantErr: ErrLimit, wantMsg: "pxelinux.cfg/default: more than 1048576 bytes",
		},
		{
			name:    "10,000 labels",
			files:   genFS{cfg: text(labels.String())},
			wantErr: ErrLimit, wantMsg: `pxelinux.cfg/default:8193: LABEL "l4096": more than 4096 entries`,
		},
		{
			name:     "1 MiB of binary garbage (seed 7)",
			files:    genFS{cfg: garbage(7, DefaultMaxFileSize)},
			wantWarn: ErrUnknownKeyword, wantMsg: "pxelinux.cfg/default:",
		},
		{
			name:        "NUL bytes",
			files:       genFS{cfg: text("DEFAULT a\x00b\nLABEL a\x00LABEL evil\n  KERNEL vmlinuz\x00 init=/bin/sh\n  APPEND ro\x00 rw\n" + strings.Repeat("\x00", 65536))},
			wantDefault: "a",
		},
		{
			name:     "100 kB line",
			files:    genFS{cfg: text("SAY " + strings.Repeat("x", 100_000) + "LABEL evil\nDEFAULT a\nLABEL a\n  KERNEL vmlinuz\n")},
			wantWarn: ErrLineTooLong, wantMsg: "pxelinux.cfg/default:1: 100014 bytes, more than 4095, rest dropped", wantDefault: "a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			p := &Parser{Opener: FSOpener(tt.files, 0), Logger: slog.New(slog.NewTextHandler(&logBuf, nil))}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()

			var c *Config
			var err error
			cost := testenv.Measure(func() { c, err = p.Load(ctx, facts) })
			elapsed, alloc, inuse := cost.Elapsed, cost.Alloc, cost.InUse

			if ctx.Err() != nil {
				t.Fatalf("Load did not finish within 30 s: %v", err)
			}
			if alloc > hostileAllocBound {
				t.Errorf("Load allocated %d bytes, more than %d (4 × MaxTotalSize)", alloc, hostileAllocBound)
			}
			var msgs []string
			outcome := ""
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Load = %v, want an error matching %v", err, tt.wantErr)
				}
				msgs = append(msgs, err.Error())
				outcome = "refused: " + err.Error()
			case err != nil:
				t.Fatalf("Load: %v", err)
			default:
				found := tt.wantWarn == nil
				for _, w := range c.Warnings {
					msgs = append(msgs, w.Error())
					if tt.wantWarn != nil && errors.Is(w, tt.wantWarn) {
						found = true
					}
				}
				if !found {
					t.Errorf("no warning matching %v among %d: %q", tt.wantWarn, len(c.Warnings), first(msgs, 3))
				}
				a := c.Autoboot()
				got := ""
				if a.Entry != nil {
					got = a.Entry.Label
				}
				if got != tt.wantDefault {
					t.Errorf("unattended boot = %q, want %q", got, tt.wantDefault)
				}
				outcome = fmt.Sprintf("parsed: %d entries, %d warnings, boots %q", len(c.Entries), len(c.Warnings), got)
				if len(msgs) > 0 {
					outcome += "; first warning: " + first(msgs, 1)[0]
				}
			}
			if tt.wantMsg != "" && !strings.Contains(strings.Join(msgs, "\n"), tt.wantMsg) {
				t.Errorf("no message contains %q: %q", tt.wantMsg, first(msgs, 3))
			}
			if c != nil && tt.name == "NUL bytes" {
				e := c.Lookup("a")
				if e == nil || c.Lookup("evil") != nil || e.Kernel != "vmlinuz" || e.Append != "ro" {
					t.Errorf("NUL must end the line: %s", describe(c))
				}
			}
			testenv.Fault(t, "config: "+tt.name, outcome, elapsed,
				fmt.Sprintf("%s allocated, heap %+d B after (bound %d MiB)", mib(alloc), inuse, hostileAllocBound>>20))
		})
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
