package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
