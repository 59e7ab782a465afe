package initramfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/u-root/u-root/pkg/cpio"
)

// readArchive reads an uncompressed newc archive back.
func readArchive(t testing.TB, data []byte) []cpio.Record {
	t.Helper()
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(data)))
	if err != nil {
		t.Fatalf("reading the archive back: %v", err)
	}
	return recs
}

func content(t testing.TB, r cpio.Record) []byte {
	t.Helper()
	if r.ReaderAt == nil {
		return nil
	}
	b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestArchiveReadBack(t *testing.T) {
	var a Archive
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.AddFile("/init", []byte("#!init"), 0o777))
	must(a.AddFile("lib/modules/kernel/x.ko", []byte("ko"), 0o644))
	must(a.AddFile("lib-other/y", []byte("y"), 0o600))
	must(a.AddDir("proc"))
	must(a.AddDir("lib")) // explicit and implicit: one record
	must(a.AddConsoleNodes())
	must(a.AddSymlink("bin/sh", "/init"))
	data, err := a.Bytes(1700000000)
	if err != nil {
		t.Fatal(err)
	}
	recs := readArchive(t, data)
	var got []string
	inos := map[uint64]bool{}
	for _, r := range recs {
		got = append(got, fmt.Sprintf("%s %#o %d,%d %q", r.Name, r.Mode, r.Rmajor, r.Rminor, content(t, r)))
		if r.UID != 0 || r.GID != 0 || r.MTime != 1700000000 {
			t.Errorf("%s: uid %d gid %d mtime %d, want 0 0 1700000000", r.Name, r.UID, r.GID, r.MTime)
		}
		if r.Name != cpio.Trailer && (r.Ino == 0 || inos[r.Ino]) {
			t.Errorf("%s: inode %d zero or repeated", r.Name, r.Ino)
		}
		inos[r.Ino] = true
	}
	want := []string{
		`bin 040755 0,0 ""`,
		`bin/sh 0120777 0,0 "/init"`,
		`dev 040755 0,0 ""`,
		`dev/console 020600 5,1 ""`,
		`dev/null 020666 1,3 ""`,
		`init 0100755 0,0 "#!init"`, // group/world write removed
		`lib 040755 0,0 ""`,
		`lib-other 040755 0,0 ""`,
		`lib-other/y 0100600 0,0 "y"`,
		`lib/modules 040755 0,0 ""`,
		`lib/modules/kernel 040755 0,0 ""`,
		`lib/modules/kernel/x.ko 0100644 0,0 "ko"`,
		`proc 040755 0,0 ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("archive:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	again, err := a.Bytes(1700000000)
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("second write differs (%v)", err)
	}
}

func TestArchiveErrors(t *testing.T) {
	for _, name := range []string{"", "/", ".", "../x", "a/../../x", "a//b", "a/./b", "a\x00b"} {
		var a Archive
		if err := a.AddFile(name, nil, 0o644); err == nil {
			t.Errorf("AddFile(%q) accepted", name)
		}
	}
	var a Archive
	if err := a.AddFile("init", nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := a.AddFile("/init", nil, 0o755); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate /init: %v, want ErrDuplicate", err)
	}
	if err := a.AddDir("init"); !errors.Is(err, ErrDuplicate) {
		t.Errorf("directory over a file: %v, want ErrDuplicate", err)
	}
	if err := a.AddFile("init/below", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bytes(0); !errors.Is(err, ErrDuplicate) {
		t.Errorf("file used as a directory: %v, want ErrDuplicate", err)
	}
}
