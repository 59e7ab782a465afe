package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/initramfs"
	"github.com/s390netboot/s390netboot/internal/testenv"
)

// The fixtures of package s390image: a synthetic kernel, a tiny ramdisk
// and the image built from them with --cmdline 'console=ttysclp0 quiet'.
const fixtures = "../../testdata/s390image"

var (
	kernel  = filepath.Join(fixtures, "kernel.img")
	ramdisk = filepath.Join(fixtures, "ramdisk.cpio")
	golden  = filepath.Join(fixtures, "image.golden")
)

// mks runs the command in-process.
func mks(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, strings.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuild(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pxelinux.0")
	// The mission's command line, verbatim: flags after the arguments.
	code, _, stderr := mks(t, "", kernel, ramdisk, "-o", out, "--cmdline", "console=ttysclp0 quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if read(t, out) != read(t, golden) {
		t.Error("image differs from the golden image")
	}
	if !strings.Contains(stderr, `command line "console=ttysclp0 quiet"`) {
		t.Errorf("stderr %q", stderr)
	}

	// Ramdisk from standard input, image to standard output.
	code, stdout, stderr := mks(t, read(t, ramdisk), "-o", "-", kernel, "-", "-c", "console=ttysclp0 quiet")
	if code != 0 || stdout != read(t, golden) {
		t.Errorf("stdin to stdout: exit %d, %d bytes, %s", code, len(stdout), stderr)
	}

	// A parameter file spread over lines.
	parm := filepath.Join(dir, "parm")
	os.WriteFile(parm, []byte("console=ttysclp0\n   quiet\n"), 0o644)
	out2 := filepath.Join(dir, "b")
	if code, _, stderr := mks(t, "", kernel, ramdisk, "-o", out2, "--parmfile", parm); code != 0 || read(t, out2) != read(t, golden) {
		t.Errorf("--parmfile: exit %d, %s", code, stderr)
	}

	// Rebuilding from the image replaces its ramdisk, and says so.
	out3 := filepath.Join(dir, "c")
	code, _, stderr = mks(t, "", golden, ramdisk, "-o", out3)
	if code != 0 || read(t, out3) != read(t, golden) || !strings.Contains(stderr, "already is a single boot image: replaced its 264-byte ramdisk") {
		t.Errorf("rebuild: exit %d, %s", code, stderr)
	}
}

func TestInfo(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		golden string
	}{
		{[]string{"--info", golden}, "info.txt"},
		{[]string{golden, "--json", "--info"}, "info.json"},
	} {
		code, stdout, stderr := mks(t, "", tc.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		testenv.Golden(t, filepath.Join(fixtures, tc.golden), []byte(stdout))
	}
}

func TestExtractAndIns(t *testing.T) {
	dir := t.TempDir()
	k, rd := filepath.Join(dir, "k"), filepath.Join(dir, "rd")
	if code, _, stderr := mks(t, "", "--extract", golden, k, rd); code != 0 {
		t.Fatalf("--extract: exit %d: %s", code, stderr)
	}
	if read(t, rd) != read(t, ramdisk) {
		t.Error("extracted ramdisk differs")
	}
	ins := filepath.Join(dir, "ins")
	code, _, stderr := mks(t, "", "--ins", ins, golden)
	if code != 0 || !strings.Contains(stderr, "its ramdisk becomes initrd.img") {
		t.Fatalf("--ins: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"kernel.img", "initrd.img", "generic.prm", "initrd.addrsize", "generic.ins"} {
		if _, err := os.Stat(filepath.Join(ins, name)); err != nil {
			t.Error(err)
		}
	}
	if got := read(t, filepath.Join(ins, "generic.prm")); got != "console=ttysclp0 quiet\n" {
		t.Errorf("generic.prm %q", got)
	}
}

// TestRefusals checks exit codes, that messages name the problem, and
// that nothing is left behind.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	vmlinux := filepath.Join(dir, "vmlinux")
	os.WriteFile(vmlinux, []byte("\x7fELF\x02\x02\x01\x00"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"vmlinux", []string{vmlinux, ramdisk, "-o", out}, 1, "use the bzImage/vmlinuz image, not vmlinux"},
		{"swapped", []string{ramdisk, kernel, "-o", out}, 1, "cpio archive"},
		{"missing ramdisk", []string{kernel, filepath.Join(dir, "nope"), "-o", out}, 1, "no such file"},
		{"no output", []string{kernel, ramdisk}, 2, "give -o IMAGE"},
		{"overwrite input", []string{kernel, ramdisk, "-o", ramdisk}, 1, "would overwrite an input"},
		{"both command lines", []string{kernel, ramdisk, "-o", out, "-c", "a", "-p", "b"}, 2, "give one"},
		{"bad command line", []string{kernel, ramdisk, "-o", out, "-c", "tab\there"}, 1, "control character 0x09 at position 3"},
		{"nothing to do", []string{kernel, "-o", out}, 2, "nothing to do"},
		{"unknown flag", []string{"--frobnicate"}, 2, "unknown flag"},
		{"info with output", []string{"--info", golden, "-o", out}, 2, "take no"},
		{"two tasks", []string{"--info", "--extract", golden}, 2, "separate tasks"},
		{"info of a ramdisk", []string{"--info", ramdisk}, 1, "not an s390 kernel image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := mks(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.msg)
			}
			if code == 2 && !strings.Contains(stderr, "Usage:") {
				t.Errorf("a usage error without the usage on standard error: %q", stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("left files behind: %v", entries)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		code, stdout, stderr := mks(t, "", arg)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "--cmdline TEXT") {
			t.Errorf("%s: exit %d, stderr %q:\n%s", arg, code, stderr, stdout)
		}
	}
	code, stdout, _ := mks(t, "", "--version")
	if code != 0 || !strings.HasPrefix(stdout, "mks390image ") {
		t.Errorf("--version: exit %d: %q", code, stdout)
	}
}

// TestForeignRamdisk checks that a ramdisk the kernel cannot unpack is
// refused, from a file and from a pipe, naming the file and what it looks
// like and leaving no output; that --foreign-ramdisk takes it; and that
// --info finds it in an existing image.
func TestForeignRamdisk(t *testing.T) {
	dir := t.TempDir()
	random := make([]byte, 100)
	for i := range random {
		random[i] = byte(i*37 + 0x8f)
	}
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, random, 0o644)
	out := filepath.Join(dir, "pxelinux.0")
	insDir := t.TempDir()
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		msg   string
	}{
		{"file", "", []string{kernel, junk, "-o", out}, "ramdisk " + junk + ": not a ramdisk the kernel can unpack: bytes 8f b4 d9"},
		{"pipe", string(random), []string{kernel, "-", "-o", out}, "ramdisk standard input: not a ramdisk the kernel can unpack"},
		{"pipe to stdout", string(random), []string{kernel, "-", "-o", "-"}, "ramdisk standard input: not a ramdisk"},
		{"ins", "", []string{"--ins", filepath.Join(insDir, "ins"), kernel, junk}, "not a ramdisk the kernel can unpack"},
		{"kernel as ramdisk", "", []string{kernel, kernel, "-o", out}, "an s390 kernel image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := mks(t, tc.stdin, tc.args...)
			if code != 1 || !strings.Contains(stderr, tc.msg) || !strings.Contains(stderr, "--foreign-ramdisk") {
				t.Errorf("exit %d, stderr %q; want exit 1 mentioning %q and --foreign-ramdisk", code, stderr, tc.msg)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("left files behind: %v", entries)
			}
			if entries, _ := os.ReadDir(filepath.Join(insDir, "ins")); len(entries) != 0 {
				t.Errorf("--ins left files behind: %v", entries)
			}
		})
	}

	if code, _, stderr := mks(t, "", kernel, junk, "-o", out, "--foreign-ramdisk"); code != 0 {
		t.Fatalf("--foreign-ramdisk: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := mks(t, "", "--info", out)
	if code != 1 || !strings.Contains(stdout, "ramdisk format: not a ramdisk the kernel can unpack") || !strings.Contains(stderr, out+": the ramdisk: not a ramdisk") {
		t.Errorf("--info of a foreign ramdisk: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = mks(t, "", "--info", "--json", out)
	if code != 1 || !strings.Contains(stdout, `"ramdisk_problem": "not a ramdisk the kernel can unpack: bytes 8f`) {
		t.Errorf("--info --json of a foreign ramdisk: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := mks(t, "", "--info", "--foreign-ramdisk", out); code != 0 {
		t.Errorf("--info --foreign-ramdisk: exit %d: %s", code, stderr)
	}
}

// netbootRamdisk returns a gzip-compressed newc ramdisk whose /init is
// cmd/pxeinit, as mkpxeramfs makes it.
func netbootRamdisk(t *testing.T) []byte {
	t.Helper()
	init := filepath.Join(t.TempDir(), "pxeinit")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", init, initramfs.InitPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=s390x")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the init: %v\n%s", err, b)
	}
	data, err := os.ReadFile(init)
	if err != nil {
		t.Fatal(err)
	}
	var a initramfs.Archive
	if err := errors.Join(a.AddConsoleNodes(), a.AddFile("init", data, 0o755)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw, _ := initramfs.Gzip.NewWriter(&out)
	if _, err := a.WriteTo(zw, 0); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return out.Bytes()
}

// TestKexecCheck checks that a netboot image for a kernel that cannot
// kexec (Debian 13's s390x configuration) is refused, naming the options
// and the configuration file, with no output left behind; that the check
// finds config-VERSION next to the kernel by its file name or by the
// version the kernel announces; and that images of other ramdisks are not
// checked.
func TestKexecCheck(t *testing.T) {
	fixtures, err := filepath.Abs("../../testdata/kconfig")
	if err != nil {
		t.Fatal(err)
	}
	trixie := read(t, filepath.Join(fixtures, "config-6.12.107+deb13-s390x"))
	bookworm := read(t, filepath.Join(fixtures, "config-6.1.0-50-s390x"))
	rd := filepath.Join(t.TempDir(), "netboot.gz")
	os.WriteFile(rd, netbootRamdisk(t), 0o644)

	// Kernels in boot directories, as distributions install them.
	boot := func(files map[string]string) string {
		dir := t.TempDir()
		for name, data := range files {
			os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
		}
		return dir
	}
	k := read(t, kernel) // announces 6.1.0-synthetic-s390x
	byName := boot(map[string]string{"vmlinuz-6.12.107+deb13-s390x": k, "config-6.12.107+deb13-s390x": trixie})
	byVersion := boot(map[string]string{"vmlinuz": k, "config-6.1.0-synthetic-s390x": trixie})
	good := boot(map[string]string{"vmlinuz": k, "config-6.1.0-synthetic-s390x": bookworm})
	none := boot(map[string]string{"vmlinuz": k})

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"config-VERSION by file name", []string{filepath.Join(byName, "vmlinuz-6.12.107+deb13-s390x"), rd},
			1, []string{"the kernel cannot kexec", filepath.Join(byName, "config-6.12.107+deb13-s390x"), "CONFIG_KEXEC_FILE is not set, CONFIG_KEXEC is not set", "--kexec-check=off"}},
		{"config-VERSION by the kernel's version", []string{filepath.Join(byVersion, "vmlinuz"), rd}, 1, []string{filepath.Join(byVersion, "config-6.1.0-synthetic-s390x")}},
		{"named configuration", []string{kernel, rd, "--kernel-config", filepath.Join(fixtures, "config-6.12.107+deb13-s390x")}, 1, []string{"the kernel cannot kexec"}},
		{"--ins", []string{"--ins", filepath.Join(t.TempDir(), "ins"), filepath.Join(byName, "vmlinuz-6.12.107+deb13-s390x"), rd}, 1, []string{"the kernel cannot kexec"}},
		{"check off", []string{filepath.Join(byName, "vmlinuz-6.12.107+deb13-s390x"), rd, "--kexec-check=off"}, 0, nil},
		{"Debian 12", []string{filepath.Join(good, "vmlinuz"), rd}, 0, nil},
		{"no configuration", []string{filepath.Join(none, "vmlinuz"), rd}, 0, []string{"level=WARN", "no kernel configuration found", "IKCONFIG in " + filepath.Join(none, "vmlinuz")}},
		{"no configuration, strict", []string{filepath.Join(none, "vmlinuz"), rd, "--kexec-check=strict"}, 1, []string{"no kernel configuration found"}},
		{"not a netboot ramdisk", []string{filepath.Join(byName, "vmlinuz-6.12.107+deb13-s390x"), ramdisk}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			args := tc.args
			if args[0] != "--ins" {
				args = append([]string{"-o", filepath.Join(outDir, "pxelinux.0")}, args...)
			}
			code, _, stderr := mks(t, "", args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q does not mention %q", stderr, want)
				}
			}
			if entries, _ := os.ReadDir(outDir); code != 0 && len(entries) != 0 {
				t.Errorf("a refused image left files: %v", entries)
			}
		})
	}
}
