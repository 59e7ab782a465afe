package s390image

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// goldenDir holds the fixtures shared with cmd/mks390image's tests.
const goldenDir = "../testdata/s390image"

// TestGolden builds the small golden image from the synthetic kernel and
// ramdisk fixtures. With -update it rewrites all three from debianLike.
func TestGolden(t *testing.T) {
	kernel := filepath.Join(goldenDir, "kernel.img")
	ramdisk := filepath.Join(goldenDir, "ramdisk.cpio")
	golden := filepath.Join(goldenDir, "image.golden")
	if testenv.Update() {
		k := debianLike
		k.size = 0x12345 // not a multiple of 4096: the padding shows
		writeFile(t, goldenDir, "kernel.img", k.bytes())
		writeFile(t, goldenDir, "ramdisk.cpio", []byte(goldenRamdisk()))
	}
	out := filepath.Join(t.TempDir(), "image")
	if _, err := BuildFile(out, kernel, ramdisk, Options{Cmdline: "console=ttysclp0 quiet", SetCmdline: true}); err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, golden, readFile(t, out))
}

// goldenRamdisk is a tiny newc cpio archive with one file, /init.
func goldenRamdisk() string {
	rec := func(name, data string, mode int) string {
		zero := strings.Repeat("0", 8)
		// ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
		// rdevmajor, rdevminor, namesize, check
		h := "070701" + zero + hex8(mode) + zero + zero + hex8(1) + zero + hex8(len(data)) +
			zero + zero + zero + zero + hex8(len(name)+1) + zero
		s := h + name + "\x00"
		for len(s)%4 != 0 {
			s += "\x00"
		}
		s += data
		for len(s)%4 != 0 {
			s += "\x00"
		}
		return s
	}
	return rec("init", "#!/bin/sh\necho hello\n", 0o100755) + rec("TRAILER!!!", "", 0)
}

func hex8(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[n&15]
		n >>= 4
	}
	return string(b)
}

// listing returns the names and contents of the files in dir.
func listing(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRefusalsLeaveNoFiles checks that every refused build leaves the
// output folder as it was, an existing output included.
func TestRefusalsLeaveNoFiles(t *testing.T) {
	dir := t.TempDir()
	k := writeFile(t, dir, "vmlinuz", debianLike.bytes())
	rd := writeFile(t, dir, "initrd", pattern(10000, 7))
	vmlinux := writeFile(t, dir, "vmlinux", append([]byte(elfMagic), make([]byte, 100)...))
	empty := writeFile(t, dir, "empty", nil)
	out := writeFile(t, dir, "pxelinux.0", []byte("the old image"))
	link := filepath.Join(dir, "link-to-initrd")
	if err := os.Symlink("initrd", link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hardlink-to-vmlinuz")
	if err := os.Link(k, hard); err != nil {
		t.Fatal(err)
	}
	before := listing(t, dir)
	for _, tc := range []struct {
		name                 string
		out, kernel, ramdisk string
		cmdline              string
		want                 error
		wantMsg              string
	}{
		{"vmlinux", out, vmlinux, rd, "", ErrELFVmlinux, "kernel " + vmlinux},
		{"missing ramdisk", out, k, filepath.Join(dir, "nope"), "", fs.ErrNotExist, "nope"},
		{"empty ramdisk", out, k, empty, "", ErrEmpty, "ramdisk " + empty},
		{"empty kernel", out, empty, rd, "", ErrEmpty, "kernel " + empty},
		{"bad command line", out, k, rd, "lang=\xe9", ErrBadCmdline, "position 5"},
		{"output is the kernel", k, k, rd, "", ErrOutputIsInput, "vmlinuz"},
		{"output is the ramdisk", rd, k, rd, "", ErrOutputIsInput, "initrd"},
		{"output links to the ramdisk", link, k, rd, "", ErrOutputIsInput, "initrd"},
		{"output is a hard link to the kernel", hard, k, rd, "", ErrOutputIsInput, "vmlinuz"},
		{"output in a missing folder", filepath.Join(dir, "no/such/dir/out"), k, rd, "", fs.ErrNotExist, "no/such/dir"},
		{"output is a folder", dir, k, rd, "", nil, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Cmdline: tc.cmdline, SetCmdline: tc.cmdline != ""}
			_, err := BuildFile(tc.out, tc.kernel, tc.ramdisk, opts)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("BuildFile: %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not name %q", err, tc.wantMsg)
			}
			if after := listing(t, dir); !maps.Equal(before, after) {
				t.Errorf("the folder changed: %v", slices.Sorted(maps.Keys(after)))
			}
		})
	}
	// The load files refuse the same way, leaving no folder content.
	ins := filepath.Join(dir, "ins")
	if _, err := WriteLoadDir(ins, vmlinux, rd, Options{}); !errors.Is(err, ErrELFVmlinux) {
		t.Errorf("WriteLoadDir(vmlinux): %v", err)
	}
	if _, err := WriteLoadDir(ins, k, "", Options{}); !errors.Is(err, ErrNoRamdisk) {
		t.Errorf("WriteLoadDir without a ramdisk: %v", err)
	}
	// Nor the folder itself, or the parents it would have made.
	nested := filepath.Join(dir, "new", "ins")
	if _, err := WriteLoadDir(nested, k, "", Options{}); !errors.Is(err, ErrNoRamdisk) {
		t.Errorf("WriteLoadDir into new folders without a ramdisk: %v", err)
	}
	for _, d := range []string{ins, filepath.Dir(nested)} {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a refused WriteLoadDir left the folder %s (%v)", d, err)
		}
	}
	// A folder that was there stays, empty.
	if err := os.Mkdir(ins, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLoadDir(ins, k, "", Options{}); !errors.Is(err, ErrNoRamdisk) {
		t.Errorf("WriteLoadDir without a ramdisk: %v", err)
	}
	if m := listing(t, ins); len(m) != 0 {
		t.Errorf("refused load files left %v", m)
	}
}

func TestBuildFileStdio(t *testing.T) {
	dir := t.TempDir()
	kb, rdb := debianLike.bytes(), pattern(50000, 8)
	k := writeFile(t, dir, "vmlinuz", kb)
	want := catAndPatch(kb, rdb)

	// Ramdisk from a stream of unknown size into a file.
	out := filepath.Join(dir, "a.img")
	if _, err := BuildFile(out, k, StdioPath, Options{Stdin: bytes.NewBufferString(string(rdb))}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, out), want) {
		t.Error("ramdisk from stdin into a file: wrong image")
	}
	// Into a stream: the ramdisk is spooled to learn its size.
	var stdout bytes.Buffer
	l, err := BuildFile(StdioPath, k, StdioPath, Options{Stdin: bytes.NewBufferString(string(rdb)), Stdout: &stdout})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), want) || l.Size != int64(len(want)) {
		t.Error("stdin to stdout: wrong image")
	}
	// Standard input redirected from a file has a size.
	f, err := os.Open(writeFile(t, dir, "rd", rdb))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdout.Reset()
	if _, err := BuildFile(StdioPath, k, StdioPath, Options{Stdin: f, Stdout: &stdout}); err != nil || !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("stdin from a file: %v", err)
	}
	// An existing output is replaced whole.
	writeFile(t, dir, "b.img", bytes.Repeat([]byte("x"), 1<<20))
	if _, err := BuildFile(filepath.Join(dir, "b.img"), k, filepath.Join(dir, "rd"), Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "b.img")), want) {
		t.Error("replacing an existing output: wrong image")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "b.img")); fi.Mode().Perm() != outputMode {
		t.Errorf("output mode %v", fi.Mode())
	}
}

// TestBuildFileIntoFIFO writes the image into an existing FIFO in place:
// renaming a temporary file over it would replace the FIFO.
func TestBuildFileIntoFIFO(t *testing.T) {
	dir := t.TempDir()
	kb, rdb := debianLike.bytes(), pattern(20000, 11)
	k := writeFile(t, dir, "vmlinuz", kb)
	rd := writeFile(t, dir, "initrd", rdb)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if _, err := BuildFile(fifo, k, rd, Options{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		t.Fatalf("after the build %s is %v, %v; want the FIFO", fifo, fi, err)
	}
	if !bytes.Equal(<-got, catAndPatch(kb, rdb)) {
		t.Error("the image read from the FIFO differs")
	}
	es, err := os.ReadDir(dir)
	if err != nil || len(es) != 3 {
		t.Errorf("the folder holds %v, %v; want the kernel, the ramdisk and the FIFO", es, err)
	}
}

func TestExtractFile(t *testing.T) {
	dir := t.TempDir()
	kb, rdb := debianLike.bytes(), pattern(3000, 9)
	img := writeFile(t, dir, "image", catAndPatch(kb, rdb))
	k, rd := filepath.Join(dir, "k"), filepath.Join(dir, "rd")
	if _, err := ExtractFile(img, k, rd, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readFile(t, k), kb) || !bytes.Equal(readFile(t, rd), rdb) {
		t.Error("extracted files differ")
	}
	if _, err := ExtractFile(img, img, rd, Options{}); !errors.Is(err, ErrOutputIsInput) {
		t.Errorf("extracting over the image: %v", err)
	}
	if _, err := ExtractFile(k, filepath.Join(dir, "k2"), "", Options{}); !errors.Is(err, ErrNoRamdisk) {
		t.Errorf("extracting a plain kernel: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "k2")); err == nil {
		t.Error("a refused extract left its output")
	}
}

func TestWriteLoadDir(t *testing.T) {
	dir := t.TempDir()
	kb, rdb := debianLike.bytes(), pattern(7000, 10)
	k := writeFile(t, dir, "vmlinuz", kb)
	rd := writeFile(t, dir, "initrd", rdb)
	img := writeFile(t, dir, "image", catAndPatch(kb, rdb))
	check := func(t *testing.T, out, cmdline string) {
		t.Helper()
		if got := readFile(t, filepath.Join(out, InsInitrdName)); !bytes.Equal(got, rdb) {
			t.Error("initrd.img differs from the ramdisk")
		}
		if got := string(readFile(t, filepath.Join(out, InsParmfileName))); got != cmdline+"\n" {
			t.Errorf("parmfile %q", got)
		}
		if got := readFile(t, filepath.Join(out, InsAddrSizeName)); !bytes.Equal(got, AddrSize(InsInitrdAddress, uint64(len(rdb)))) {
			t.Errorf("initrd.addrsize %x", got)
		}
		kernel := readFile(t, filepath.Join(out, InsKernelName))
		p, err := ReadParmArea(kernel)
		if err != nil || len(kernel) != len(kb) || p.InitrdStart != InsInitrdAddress || p.InitrdSize != uint64(len(rdb)) || p.Cmdline != "" {
			t.Errorf("kernel.img: %d bytes, %+v, %v", len(kernel), p, err)
		}
		if binary.BigEndian.Uint64(kernel[MaxCmdlineSizeOffset:]) != 4096 {
			t.Error("kernel.img lost its command line size")
		}
		want := "* s390netboot mks390image load files: Linux " + debianLike.version + "\n" +
			"kernel.img 0x00000000\ninitrd.img 0x02000000\ngeneric.prm 0x00010480\ninitrd.addrsize 0x00010408\n"
		if got := string(readFile(t, filepath.Join(out, InsFileName))); got != want {
			t.Errorf("generic.ins:\n%s\nwant:\n%s", got, want)
		}
	}
	t.Run("kernel and ramdisk", func(t *testing.T) {
		out := filepath.Join(dir, "ins1")
		l, err := WriteLoadDir(out, k, rd, Options{Cmdline: "cio_ignore=all,!condev", SetCmdline: true})
		if err != nil {
			t.Fatal(err)
		}
		check(t, out, "cio_ignore=all,!condev")
		if l.FromImage || l.InitrdSize != int64(len(rdb)) {
			t.Errorf("layout %+v", l)
		}
	})
	t.Run("from a single boot image", func(t *testing.T) {
		out := filepath.Join(dir, "ins2")
		l, err := WriteLoadDir(out, img, "", Options{})
		if err != nil {
			t.Fatal(err)
		}
		check(t, out, debianLike.cmdline)
		if !l.FromImage {
			t.Error("FromImage not set")
		}
	})
	t.Run("ramdisk from a stream", func(t *testing.T) {
		out := filepath.Join(dir, "ins3")
		if _, err := WriteLoadDir(out, k, StdioPath, Options{Stdin: bytes.NewReader(rdb)}); err != nil {
			t.Fatal(err)
		}
		check(t, out, debianLike.cmdline)
	})
	t.Run("command line that leaves no room for the newline", func(t *testing.T) {
		_, err := WriteLoadDir(filepath.Join(dir, "ins4"), k, rd, Options{Cmdline: strings.Repeat("a", 4095), SetCmdline: true})
		if !errors.Is(err, ErrBadCmdline) {
			t.Errorf("got %v, want ErrBadCmdline", err)
		}
	})
	if InsInitrdAddr(InsInitrdAddress+1) != InsInitrdAddress+1<<20 {
		t.Error("a big kernel's ramdisk does not move behind it")
	}
}
