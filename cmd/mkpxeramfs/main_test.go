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
	if err := run(append([]string{"-o", file}, common...), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	if err := run(append(common, "-o", "-"), &stdout, io.Discard); err != nil {
		t.Fatal(err)
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
		want string
	}{
		{args: []string{}, want: "-o OUT is required"},
		{args: []string{"-o", "x", "extra"}, want: "unexpected arguments"},
		{args: []string{"-o", "x", "--compress", "bzip2"}, want: "bzip2"},
		{args: []string{"-o", "x", "--module", "a/b"}, want: "a/b"},
		{args: []string{"-o", "x", "--file", "nodest"}, want: "SRC:DEST"},
		{args: []string{"-o", "x", "--bogus"}, want: "bogus"},
		{args: []string{"-o", "x", "--init", "/nonexistent"}, env: "-1", want: "SOURCE_DATE_EPOCH"},
		{args: []string{"-o", filepath.Join(os.TempDir(), "never-written"), "--init", "/nonexistent"}, want: "/nonexistent"},
	}
	for _, tt := range tests {
		t.Setenv("SOURCE_DATE_EPOCH", tt.env)
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q) = %v, want an error mentioning %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "never-written")); err == nil {
		t.Error("a failed run left its output file")
	}
}
