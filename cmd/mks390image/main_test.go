package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
