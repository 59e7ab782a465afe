package initramfs

import (
	"bytes"
	"crypto/rand"
	"debug/buildinfo"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// testArchive returns a newc archive holding an init (a shell script, or
// the bytes of initData) and a file.
func testArchive(t testing.TB, initData []byte) []byte {
	t.Helper()
	var a Archive
	if initData == nil {
		initData = []byte("#!/bin/sh\nexec sh\n")
	}
	for _, err := range []error{
		a.AddConsoleNodes(),
		a.AddFile("etc/motd", []byte("hello\n"), 0o644),
		a.AddFile("init", initData, 0o755),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := a.Bytes(0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compressed returns data compressed by one of the package's writers.
func compressed(t testing.TB, c Compression, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := c.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// tool runs a compressor's command line (args, reading standard input),
// skipping the test when it is not installed.
func tool(t *testing.T, pkg string, in []byte, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(testenv.Command(t, args[0], pkg), args[1:]...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestIdentify(t *testing.T) {
	arc := testArchive(t, nil)
	gz := compressed(t, Gzip, arc)
	random := make([]byte, 100)
	rand.Read(random)
	random[0] = 0x8f // no magic of any kind
	s390 := make([]byte, describeLen)
	copy(s390[0x10008:], "S390EP")

	type want struct {
		desc string // Contents.String(), for an accepted ramdisk
		err  string // a fragment of the error, for a refused one
	}
	tests := []struct {
		name string
		in   func(t *testing.T) []byte
		want want
	}{
		{"newc", func(*testing.T) []byte { return arc }, want{desc: "newc cpio"}},
		{"gzip", func(*testing.T) []byte { return gz }, want{desc: "gzip-compressed newc cpio (anything after it not checked)"}},
		{"zstd", func(t *testing.T) []byte { return compressed(t, Zstd, arc) }, want{desc: "zstd-compressed newc cpio"}},
		{"xz", func(t *testing.T) []byte { return compressed(t, XZ, arc) }, want{desc: "xz-compressed newc cpio"}},
		{"gzip CLI", func(t *testing.T) []byte { return tool(t, "gzip", arc, "gzip", "-9n") }, want{desc: "gzip-compressed newc cpio"}},
		{"xz CLI", func(t *testing.T) []byte { return tool(t, "xz-utils", arc, "xz", "--check=crc32") }, want{desc: "xz-compressed newc cpio"}},
		{"zstd CLI", func(t *testing.T) []byte { return tool(t, "zstd", arc, "zstd", "-q", "-19") }, want{desc: "zstd-compressed newc cpio"}},
		{"bzip2 CLI", func(t *testing.T) []byte { return tool(t, "bzip2", arc, "bzip2") }, want{desc: "bzip2-compressed newc cpio"}},
		{"lzma CLI", func(t *testing.T) []byte { return tool(t, "xz-utils", arc, "xz", "--format=lzma") }, want{desc: "lzma-compressed data (content not checked)"}},
		{"lz4 legacy CLI", func(t *testing.T) []byte { return tool(t, "lz4", arc, "lz4", "-l", "-c") }, want{desc: "lz4 (legacy)-compressed data (content not checked)"}},
		{"lzop CLI", func(t *testing.T) []byte { return tool(t, "lzop", arc, "lzop", "-c") }, want{desc: "lzop-compressed data (content not checked)"}},
		{"cpio CLI newc", func(t *testing.T) []byte { return cpioCLI(t, "newc") }, want{desc: "newc cpio"}},
		{"cpio CLI crc", func(t *testing.T) []byte { return cpioCLI(t, "crc") }, want{desc: "newc cpio"}},
		{"microcode cpio then zstd", func(t *testing.T) []byte { return cat(arc, compressed(t, Zstd, arc)) }, want{desc: "newc cpio + zstd-compressed newc cpio"}},
		{"cpio, padding, gzip", func(*testing.T) []byte { return cat(arc, make([]byte, 512), gz) }, want{desc: "newc cpio + gzip-compressed newc cpio"}},
		{"two archives in one gzip", func(t *testing.T) []byte { return compressed(t, Gzip, cat(arc, make([]byte, 8), arc)) }, want{desc: "gzip-compressed newc cpio"}},
		{"leading zeros", func(*testing.T) []byte { return cat(make([]byte, 4096), gz) }, want{desc: "gzip-compressed newc cpio"}},
		{"trailing zeros", func(*testing.T) []byte { return cat(arc, make([]byte, 3)) }, want{desc: "newc cpio"}},

		{"empty", func(*testing.T) []byte { return nil }, want{err: "an empty file"}},
		{"zeros", func(*testing.T) []byte { return make([]byte, 100) }, want{err: "100 zero bytes and nothing else"}},
		{"100 random bytes", func(*testing.T) []byte { return random }, want{err: "bytes 8f "}},
		{"html page", func(*testing.T) []byte { return []byte("<!DOCTYPE html><html>404</html>") }, want{err: "HTML page"}},
		{"s390 kernel", func(*testing.T) []byte { return s390 }, want{err: "s390 kernel image"}},
		{"ELF", func(*testing.T) []byte { return append([]byte("\x7fELF\x02\x02\x01"), make([]byte, 64)...) }, want{err: "ELF file"}},
		{"gzip of random bytes", func(t *testing.T) []byte { return compressed(t, Gzip, random) }, want{err: "gzip-compressed, but not a cpio archive inside: bytes 8f"}},
		{"gzip of a kernel", func(t *testing.T) []byte { return compressed(t, Gzip, s390) }, want{err: "not a cpio archive inside: an s390 kernel image"}},
		{"gzip, cut", func(*testing.T) []byte { return gz[:40] }, want{err: "unexpected EOF"}},
		{"gzip with a corrupt header", func(*testing.T) []byte { return cat([]byte("\x1f\x8b\x07"), gz[3:]) }, want{err: "gzip data"}},
		{"cpio, cut", func(*testing.T) []byte { return arc[:300] }, want{err: "unexpected EOF"}},
		{"cpio, junk after", func(*testing.T) []byte { return cat(arc, []byte("junk")) }, want{err: "at offset"}},
		{"cpio, misaligned cpio after", func(*testing.T) []byte { return cat(arc, []byte{0, 0}, arc) }, want{err: "not a multiple of 4"}},
		{"bad hex in header", func(*testing.T) []byte { return cat([]byte("070701zzzzzzzz"), arc[14:]) }, want{err: "not 8 hex digits"}},
		{"odc cpio CLI", func(t *testing.T) []byte { return cpioCLI(t, "odc") }, want{err: "cpio -H newc"}},
		{"lz4 frame CLI", func(t *testing.T) []byte { return tool(t, "lz4", arc, "lz4", "-c") }, want{err: "lz4 -l"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in(t)
			// One byte at a time: no part of Identify may depend on how
			// the stream is cut.
			c, err := Identify(iotest.OneByteReader(bytes.NewReader(in)))
			if tt.want.err != "" {
				if !errors.Is(err, ErrNotUnpackable) || !strings.Contains(err.Error(), tt.want.err) {
					t.Fatalf("Identify: %v; want ErrNotUnpackable mentioning %q", err, tt.want.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Identify: %v", err)
			}
			if got := c.String(); !strings.HasPrefix(got, tt.want.desc) {
				t.Errorf("Identify = %q, want %q", got, tt.want.desc)
			}
		})
	}
}

// cpioCLI returns an archive of one file written by cpio(1) in format.
func cpioCLI(t *testing.T, format string) []byte {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/init", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.Command(t, "cpio", "cpio"), "--quiet", "-o", "-H", format)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("init\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -H %s: %v", format, err)
	}
	return out
}

// TestIdentifyInit checks that Identify names the Go program that is /init,
// in a plain and in a compressed archive, and the offsets of the members.
func TestIdentifyInit(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Skipf("the test binary has no build information: %v", err)
	}
	prog, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	arc := testArchive(t, prog)
	small := testArchive(t, nil)
	for _, tt := range []struct {
		name    string
		in      []byte
		offsets []int64
	}{
		{"plain", arc, []int64{0}},
		{"zstd", fastZstd(t, arc), []int64{0}},
		{"cpio then zstd", cat(small, make([]byte, 4), fastZstd(t, arc)), []int64{0, int64(len(small) + 4)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Identify(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if c.Init != bi.Path {
				t.Errorf("Init = %q, want %q", c.Init, bi.Path)
			}
			var offs []int64
			for _, m := range c.Members {
				offs = append(offs, m.Offset)
			}
			if !slices.Equal(offs, tt.offsets) {
				t.Errorf("member offsets %v, want %v", offs, tt.offsets)
			}
		})
	}
	// An /init behind more than identifyBudget bytes of records in a
	// compressed member is not looked for.
	var late Archive
	if err := errors.Join(late.AddFile("big", make([]byte, identifyBudget), 0o644), late.AddFile("init", prog, 0o755)); err != nil {
		t.Fatal(err)
	}
	lateBytes, err := late.Bytes(0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := Identify(bytes.NewReader(fastZstd(t, lateBytes))); err != nil || c.Init != "" || !c.Members[0].Verified {
		t.Errorf("late init: %+v, %v", c, err)
	}
	// A shell script init is no Go program.
	if c, err := Identify(bytes.NewReader(compressed(t, Gzip, testArchive(t, nil)))); err != nil || c.Init != "" {
		t.Errorf("script init: Init %q, %v", c.Init, err)
	}
}

// fastZstd compresses at zstd's fastest level: the test binary is large.
func fastZstd(t *testing.T, data []byte) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

func FuzzIdentify(f *testing.F) {
	arc := testArchive(f, nil)
	f.Add(arc)
	f.Add(compressed(f, Gzip, arc))
	f.Add(compressed(f, Zstd, arc))
	f.Add(compressed(f, XZ, arc))
	f.Add(cat(arc, make([]byte, 4), compressed(f, Gzip, arc)))
	f.Add([]byte("070707"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Identify(bytes.NewReader(in))
		if testenv.Refused(t, err, ErrNotUnpackable) {
			return
		}
		if len(c.Members) == 0 {
			t.Fatalf("accepted %q without a member", in)
		}
	})
}
