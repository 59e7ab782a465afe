package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// tinyInit builds the stand-in init of testdata/initramfs for s390x.
func tinyInit(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "init")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "../../testdata/initramfs/tinyinit")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=s390x")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the stand-in init: %v\n%s", err, b)
	}
	return out
}

func TestStdoutEqualsFile(t *testing.T) {
	init := tinyInit(t)
	ca := "../../testdata/initramfs/ca.pem"
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	file := filepath.Join(t.TempDir(), "ramdisk.gz")
	common := []string{"--init", init, "--ca-bundle", ca, "--file", ca + ":/etc/extra.pem"}
	var stderr bytes.Buffer
	if code := run(append([]string{"-o", file}, common...), io.Discard, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	var stdout bytes.Buffer
	if code := run(append(common, "-o", "-"), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stdout.Bytes(), want) || len(want) < 1000 {
		t.Errorf("-o - wrote %d bytes, -o FILE %d, want equal", stdout.Len(), len(want))
	}
	// gzip header: magic, no name, no time stamp.
	if !bytes.HasPrefix(want, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}) {
		t.Errorf("gzip header % x", want[:10])
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		code int
		want string
	}{
		{args: []string{}, code: 2, want: "-o OUT is required"},
		{args: []string{"-o", "x", "extra"}, code: 2, want: "unexpected arguments"},
		{args: []string{"-o", "x", "--bogus"}, code: 2, want: "unknown flag: --bogus"},
		{args: []string{"-o", "x", "--compress", "bzip2"}, code: 1, want: "bzip2"},
		{args: []string{"-o", "x", "--module", "a/b"}, code: 1, want: "a/b"},
		{args: []string{"-o", "x", "--module-set", "net,wifi"}, code: 1, want: `module set "wifi": unknown module set (want disk, net)`},
		{args: []string{"-o", "x", "--file", "nodest"}, code: 1, want: "SRC:DEST"},
		{args: []string{"-o", "x", "--init", "/nonexistent"}, env: "-1", code: 1, want: "SOURCE_DATE_EPOCH"},
		{args: []string{"-o", filepath.Join(os.TempDir(), "never-written"), "--init", "/nonexistent"}, code: 1, want: "/nonexistent"},
	}
	for _, tt := range tests {
		t.Setenv("SOURCE_DATE_EPOCH", tt.env)
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.want) || stdout.Len() != 0 {
			t.Errorf("run(%q) = exit %d, stderr %q, stdout %d bytes; want exit %d mentioning %q", tt.args, code, &stderr, stdout.Len(), tt.code, tt.want)
		}
		// A usage error shows the usage.
		if tt.code == 2 && !strings.Contains(stderr.String(), "Usage:") {
			t.Errorf("run(%q): no usage on standard error: %q", tt.args, &stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "never-written")); err == nil {
		t.Error("a failed run left its output file")
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{arg}, &stdout, &stderr); code != 0 || stderr.Len() != 0 ||
			!strings.Contains(stdout.String(), "Usage:") || !strings.Contains(stdout.String(), "--modules-dir") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, code, &stdout, &stderr)
		}
	}
}

// TestKexecCheck checks that a ramdisk for a kernel that cannot kexec
// (Debian 13's s390x kernel, from its real configuration) is refused,
// naming the options and the file, with no output left behind, and what
// --kernel-config and --kexec-check change.
func TestKexecCheck(t *testing.T) {
	init := tinyInit(t)
	fixtures, err := filepath.Abs("../../testdata/kconfig")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	const trixie = "6.12.107+deb13-s390x"
	modules := filepath.Join(root, "lib/modules", trixie)
	os.MkdirAll(modules, 0o755)
	os.MkdirAll(filepath.Join(root, "boot"), 0o755)
	noKexec, err := os.ReadFile(filepath.Join(fixtures, "config-"+trixie))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "boot", "config-"+trixie), noKexec, 0o644)
	bare := t.TempDir() // a modules tree with no configuration anywhere
	bookworm, err := os.ReadFile(filepath.Join(fixtures, "config-6.1.0-50-s390x"))
	if err != nil {
		t.Fatal(err)
	}
	noZstd := filepath.Join(t.TempDir(), "config-no-zstd")
	os.WriteFile(noZstd, bytes.Replace(bookworm, []byte("CONFIG_RD_ZSTD=y"), []byte("# CONFIG_RD_ZSTD is not set"), 1), 0o644)

	amd64, err := os.ReadFile(filepath.Join(fixtures, "config-6.1.0-57-amd64"))
	if err != nil {
		t.Fatal(err)
	}
	noKexecFile := filepath.Join(t.TempDir(), "config-no-kexec-file")
	os.WriteFile(noKexecFile, bytes.Replace(amd64, []byte("CONFIG_KEXEC_FILE=y"), []byte("# CONFIG_KEXEC_FILE is not set"), 1), 0o644)

	out := filepath.Join(t.TempDir(), "ramdisk.gz")
	common := []string{"-o", out, "--init", init, "--ca-bundle", "none"}
	for _, tc := range []struct {
		name   string
		args   []string
		err    []string // fragments of the error; none: success
		stderr string   // a fragment of the warnings
	}{
		{"Debian 13 s390x, found from the modules tree", []string{"--modules-dir", modules},
			[]string{"the kernel cannot kexec", filepath.Join(root, "boot", "config-"+trixie), "CONFIG_KEXEC_FILE is not set, CONFIG_KEXEC is not set", "--kexec-check=off"}, ""},
		{"Debian 13 s390x, named", []string{"--kernel-config", filepath.Join(fixtures, "config-"+trixie)},
			[]string{"the kernel cannot kexec"}, ""},
		{"Debian 13 s390x, check off", []string{"--modules-dir", modules, "--kexec-check", "off"}, nil, ""},
		{"Debian 12 s390x", []string{"--modules-dir", modules, "--kernel-config", filepath.Join(fixtures, "config-6.1.0-50-s390x")}, nil, ""},
		// The check comes before the init is looked at (an s390x one).
		// amd64 takes kexec_file_load only: CONFIG_KEXEC alone is not enough.
		{"amd64 without CONFIG_KEXEC_FILE", []string{"--arch", "amd64", "--kernel-config", noKexecFile},
			[]string{"CONFIG_KEXEC_FILE is not set; the netboot client on amd64 needs it"}, ""},
		{"zstd for a kernel without CONFIG_RD_ZSTD", []string{"--kernel-config", noZstd, "--compress", "zstd"},
			[]string{"CONFIG_RD_ZSTD is not set, so the kernel cannot unpack a zstd-compressed ramdisk", "--kexec-check=off"}, ""},
		{"gzip for a kernel without CONFIG_RD_ZSTD", []string{"--kernel-config", noZstd}, nil, ""},
		{"no configuration", []string{"--modules-dir", bare}, nil, "no kernel configuration found"},
		{"no configuration, strict", []string{"--modules-dir", bare, "--kexec-check", "strict"}, []string{"no kernel configuration found", filepath.Join(bare, "build", ".config")}, ""},
		{"bad check", []string{"--kexec-check", "maybe"}, []string{`kexec check "maybe"`}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(out)
			args := append(append([]string{}, common...), tc.args...)
			var stderr bytes.Buffer
			code := run(args, io.Discard, &stderr)
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.stderr)
			}
			_, statErr := os.Stat(out)
			if tc.err == nil {
				if code != 0 || statErr != nil {
					t.Fatalf("run: exit %d, %s; output: %v", code, &stderr, statErr)
				}
				return
			}
			if code != 1 {
				t.Fatalf("run: exit %d, want 1", code)
			}
			for _, want := range tc.err {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("error %q does not mention %q", &stderr, want)
				}
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Errorf("a refused ramdisk left files: %v", entries)
			}
		})
	}
}

// TestModuleSetFlag builds from the Debian s390x tree with and without
// --module-set and --module, and looks for a network, a VLAN and a disk
// module in the archive.
func TestModuleSetFlag(t *testing.T) {
	init := tinyInit(t)
	tree := filepath.Join(testenv.Cache(t, "s390x"), "modules")
	const (
		net  = "kernel/drivers/net/virtio_net.ko"
		vlan = "kernel/net/8021q/8021q.ko"
		ext4 = "kernel/fs/ext4/ext4.ko"
		dasd = "kernel/drivers/s390/block/dasd_eckd_mod.ko"
	)
	for _, tc := range []struct {
		name      string
		args      []string
		has, lack []string
	}{
		{"default", nil, []string{net, vlan, ext4, dasd}, nil},
		{"network only", []string{"--module-set", "net"}, []string{net, vlan}, []string{ext4, dasd}},
		{"disk only", []string{"--module-set", "disk"}, []string{ext4, dasd}, []string{net, vlan}},
		{"both, repeated", []string{"--module-set", "disk", "--module-set", "net"}, []string{net, vlan, ext4, dasd}, nil},
		{"a module alone", []string{"--module", "virtio_net"}, []string{net}, []string{vlan, ext4, dasd}},
		{"a module and a set", []string{"--module", "ext4", "--module-set", "net"}, []string{net, vlan, ext4}, []string{dasd}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ramdisk")
			args := append([]string{"-o", out, "--init", init, "--ca-bundle", "none", "--compress", "none", "--modules-dir", tree}, tc.args...)
			var stderr bytes.Buffer
			if code := run(args, io.Discard, &stderr); code != 0 {
				t.Fatalf("run %q: exit %d: %s", args, code, &stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.has {
				if !bytes.Contains(data, []byte("lib/modules/"+p+"\x00")) {
					t.Errorf("the archive lacks %s", p)
				}
			}
			for _, p := range tc.lack {
				if bytes.Contains(data, []byte("lib/modules/"+p+"\x00")) {
					t.Errorf("the archive has %s", p)
				}
			}
		})
	}
}
