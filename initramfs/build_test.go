package initramfs

import (
	"bytes"
	"compress/gzip"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/ulikunitz/xz"
)

// testdataDir is the repository's testdata/initramfs.
func testdataDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "testdata", "initramfs")
}

// decompress undoes c.
func decompress(t testing.TB, c Compression, data []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	switch c {
	case Gzip:
		r, err = gzip.NewReader(bytes.NewReader(data))
	case Zstd:
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(data))
		if err == nil {
			defer d.Close()
		}
		r = d
	case XZ:
		r, err = xz.NewReader(bytes.NewReader(data))
	case None:
		return data
	}
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	return out
}

// testOptions is a small s390x ramdisk: a fake init, a fake module tree, the
// test CA and one extra file.
func testOptions(t testing.TB) Options {
	t.Helper()
	dir := t.TempDir()
	initPath := filepath.Join(dir, "init")
	if err := os.WriteFile(initPath, fakeELF(t, elf.ET_EXEC, elf.EM_S390, nil, false), 0o755); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "extra.conf")
	if err := os.WriteFile(extra, []byte("key=value\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	return Options{
		Arch:       "s390x",
		Init:       initPath,
		ModulesDir: fakeTree(t, elf.EM_S390, netTree, nil),
		Modules:    []ModuleRequest{{Name: "virtio_net", Params: "napi_tx=1"}, {Name: "qeth", Optional: true}},
		Files:      []File{{Src: extra, Dest: "/etc/pxeinit/extra.conf"}},
		CABundle:   filepath.Join(testdataDir(t), "ca.pem"),
		ModTime:    1234567890,
	}
}

// listing describes an archive like `cpio -tv` plus the load order file.
func listing(t testing.TB, data []byte) string {
	var b strings.Builder
	for _, r := range readArchive(t, data) {
		fmt.Fprintf(&b, "%07o %d:%d %d %d,%d %8d %s\n", r.Mode, r.UID, r.GID, r.MTime, r.Rmajor, r.Rminor, r.FileSize, r.Name)
		if "/"+r.Name == modload.LoadOrderFile {
			fmt.Fprintf(&b, "%s", content(t, r))
		}
	}
	return b.String()
}

func TestBuildGolden(t *testing.T) {
	opts := testOptions(t)
	opts.Compression = None
	var out bytes.Buffer
	res, err := Build(context.Background(), &out, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := listing(t, out.Bytes())
	testenv.Golden(t, filepath.Join(testdataDir(t), "build.golden"), []byte(got))
	if res.Uncompressed != int64(out.Len()) || res.Compressed != int64(out.Len()) {
		t.Errorf("Result sizes %d/%d, archive has %d bytes", res.Uncompressed, res.Compressed, out.Len())
	}
	if got := Names(res.Modules); strings.Join(got, " ") != "failover net_failover virtio_net" {
		t.Errorf("Result modules %q", got)
	}
}

// TestBuildReproducible builds twice with every compression: the outputs
// are byte-identical and unpack to the same archive.
func TestBuildReproducible(t *testing.T) {
	opts := testOptions(t)
	var plain []byte
	for _, c := range []Compression{None, Gzip, Zstd, XZ} {
		opts.Compression = c
		var one, two bytes.Buffer
		if _, err := Build(context.Background(), &one, opts); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if _, err := Build(context.Background(), &two, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one.Bytes(), two.Bytes()) {
			t.Errorf("%s: two builds differ", c)
		}
		un := decompress(t, c, one.Bytes())
		if plain == nil {
			plain = un
		} else if !bytes.Equal(un, plain) {
			t.Errorf("%s: unpacks to a different archive", c)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(t *testing.T, o *Options)
		want   error
		text   string
	}{
		{name: "unknown arch", modify: func(t *testing.T, o *Options) { o.Arch = "riscv64" }, text: "riscv64"},
		{name: "bad compression", modify: func(t *testing.T, o *Options) { o.Compression = "lz4" }, text: "lz4"},
		{name: "init missing", modify: func(t *testing.T, o *Options) { o.Init = "/nonexistent/init" }, want: os.ErrNotExist},
		{name: "init for amd64", modify: func(t *testing.T, o *Options) {
			o.Init = writeTemp(t, fakeELF(t, elf.ET_EXEC, elf.EM_X86_64, nil, false))
		}, want: ErrBadInit, text: "EM_X86_64"},
		{name: "init dynamic", modify: func(t *testing.T, o *Options) {
			o.Init = writeTemp(t, fakeELF(t, elf.ET_EXEC, elf.EM_S390, nil, true))
		}, want: ErrBadInit, text: "CGO_ENABLED=0"},
		{name: "init not ELF", modify: func(t *testing.T, o *Options) { o.Init = writeTemp(t, []byte("#!/bin/sh\n")) }, want: ErrBadInit},
		{name: "module missing", modify: func(t *testing.T, o *Options) { o.Modules = []ModuleRequest{{Name: "qeth_l2"}} }, want: ErrModuleNotFound, text: "qeth_l2"},
		{name: "modules for amd64", modify: func(t *testing.T, o *Options) { o.ModulesDir = fakeTree(t, elf.EM_X86_64, netTree, nil) }, text: "EM_X86_64"},
		{name: "modules without dir", modify: func(t *testing.T, o *Options) { o.ModulesDir = "" }, text: "no modules directory"},
		{name: "CA missing", modify: func(t *testing.T, o *Options) { o.CABundle = "/nonexistent.pem" }, want: os.ErrNotExist},
		{name: "CA not PEM", modify: func(t *testing.T, o *Options) { o.CABundle = writeTemp(t, []byte("junk")) }, text: "no PEM certificate"},
		{name: "file clashes with init", modify: func(t *testing.T, o *Options) { o.Files = append(o.Files, File{Src: o.Init, Dest: "/init"}) }, want: ErrDuplicate},
		{name: "trust key missing", modify: func(t *testing.T, o *Options) { o.TrustKey = "/nonexistent.pub" }, want: os.ErrNotExist},
		{name: "trust key not minisign", modify: func(t *testing.T, o *Options) { o.TrustKey = writeTemp(t, []byte("ssh-ed25519 AAAA\n")) }, want: minisign.ErrMalformed, text: "trusted key"},
		{name: "file missing", modify: func(t *testing.T, o *Options) { o.Files = []File{{Src: "/nonexistent", Dest: "/x"}} }, want: os.ErrNotExist},
		{name: "file is a directory", modify: func(t *testing.T, o *Options) { o.Files = []File{{Src: t.TempDir(), Dest: "/x"}} }, text: "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(t)
			tt.modify(t, &opts)
			out := filepath.Join(t.TempDir(), "ramdisk.gz")
			_, err := WriteFile(context.Background(), out, opts)
			if err == nil {
				t.Fatal("WriteFile() succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q does not mention %q", err, tt.text)
			}
			left, _ := os.ReadDir(filepath.Dir(out))
			if len(left) != 0 {
				t.Errorf("failed build left %v behind", left)
			}
		})
	}
}

func writeTemp(t *testing.T, data []byte) string {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBuildOptionalParts(t *testing.T) {
	opts := testOptions(t)
	opts.CABundle = CABundleNone
	opts.ModulesDir, opts.Modules = "", nil
	opts.Compression = None
	var out bytes.Buffer
	if _, err := Build(context.Background(), &out, opts); err != nil {
		t.Fatal(err)
	}
	l := listing(t, out.Bytes())
	for _, s := range []string{"ca-certificates", "load.order", ".ko"} {
		if strings.Contains(l, s) {
			t.Errorf("archive without CA and modules has %s:\n%s", s, l)
		}
	}
}

func TestBuildTrustKey(t *testing.T) {
	sk, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := sk.Public()
	opts := testOptions(t)
	opts.Compression = None
	opts.TrustKey = writeTemp(t, pub.Encode())
	var out bytes.Buffer
	res, err := Build(context.Background(), &out, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.TrustKeyID != pub.ID.String() {
		t.Errorf("TrustKeyID = %q, want %q", res.TrustKeyID, pub.ID)
	}
	for _, r := range readArchive(t, out.Bytes()) {
		if "/"+r.Name == modload.TrustedKey {
			got, err := minisign.ParsePublicKey(content(t, r))
			if err != nil || !got.Equal(pub) {
				t.Fatalf("archive's %s = %v, %v; want the key", modload.TrustedKey, got, err)
			}
			if r.Mode&0o777 != 0o644 {
				t.Errorf("%s mode %o, want 0644", modload.TrustedKey, r.Mode&0o777)
			}
			return
		}
	}
	t.Fatalf("no %s in the archive", modload.TrustedKey)
}

func TestWriteFile(t *testing.T) {
	opts := testOptions(t)
	out := filepath.Join(t.TempDir(), "ramdisk.gz")
	if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := WriteFile(context.Background(), out, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != res.Compressed || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Errorf("%s: %d bytes, want %d bytes of gzip", out, len(data), res.Compressed)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o644 {
		t.Errorf("%s: mode %v, want 0644", out, st.Mode())
	}
}

func TestParseFlags(t *testing.T) {
	if f, err := ParseFile("a:b:/etc/x"); err != nil || f != (File{Src: "a:b", Dest: "/etc/x"}) {
		t.Errorf("ParseFile = %+v, %v", f, err)
	}
	for _, bad := range []string{"a", ":b", "a:"} {
		if _, err := ParseFile(bad); err == nil {
			t.Errorf("ParseFile(%q) accepted", bad)
		}
	}
	if m, err := ParseModule(" virtio_net.ko  napi_tx=1 x=2 "); err != nil || m != (ModuleRequest{Name: "virtio_net", Params: "napi_tx=1 x=2"}) {
		t.Errorf("ParseModule = %+v, %v", m, err)
	}
	for _, bad := range []string{"", "a/b", "x=1"} {
		if _, err := ParseModule(bad); err == nil {
			t.Errorf("ParseModule(%q) accepted", bad)
		}
	}
	for _, c := range []string{"gzip", "zstd", "xz", "none"} {
		if _, err := ParseCompression(c); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseCompression("bzip2"); err == nil {
		t.Error("ParseCompression(bzip2) accepted")
	}
}

// TestBuildDebian builds the default s390x set from the real Debian tree
// and checks the archive's load order against the files in it.
func TestBuildDebian(t *testing.T) {
	opts := testOptions(t)
	opts.ModulesDir = filepath.Join(cacheDir(t, "s390x"), "modules")
	opts.Modules = nil
	var out bytes.Buffer
	res, err := Build(context.Background(), &out, opts)
	if err != nil {
		t.Fatal(err)
	}
	recs := readArchive(t, decompress(t, Gzip, out.Bytes()))
	files := map[string]bool{}
	orders := map[string][]modload.Entry{} // load order file -> its entries
	for _, r := range recs {
		files[r.Name] = true
		if name := "/" + r.Name; name == modload.LoadOrderFile || strings.HasPrefix(name, modload.FSOrderDir+"/") {
			entries, err := modload.ParseLoadOrder(bytes.NewReader(content(t, r)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			orders[name] = entries
		}
	}
	// Every module is loaded by the init's start or by one filesystem's
	// file (a dependency two filesystems share is in both), and the big
	// filesystems wait for a disk that has them.
	listed := map[string]bool{}
	for name, entries := range orders {
		for _, e := range entries {
			listed[e.Path] = true
			if !files[e.Path] {
				t.Errorf("%s names %s, which is not in the archive", name, e.Path)
			}
		}
	}
	if len(listed) != len(res.Modules) || len(orders[modload.LoadOrderFile]) < 4 {
		t.Fatalf("the load order files list %d modules, Result %d", len(listed), len(res.Modules))
	}
	for _, d := range []string{"ext4", "xfs", "btrfs", "vfat"} {
		entries := orders[modload.FSOrderFile(d)]
		if len(entries) == 0 {
			t.Errorf("no modules for %s on demand (files %v)", d, slices.Sorted(maps.Keys(orders)))
		}
		for _, e := range orders[modload.LoadOrderFile] {
			if modload.ModuleName(e.Path) == d {
				t.Errorf("%s is loaded at the init's start", d)
			}
		}
	}
	entries := orders[modload.LoadOrderFile]
	t.Logf("s390x default set: %d modules %q, %d bytes gzip with a fake init", len(entries), Names(res.Modules), res.Compressed)
}
