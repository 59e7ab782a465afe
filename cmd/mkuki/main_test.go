package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/uki"
)

func TestMkuki(t *testing.T) {
	if _, err := os.Stat(uki.DefaultStub("amd64")); err != nil {
		testenv.Need(t, "%v: run scripts/install-deps.sh (or apt-get install systemd-boot-efi)", err)
	}
	mcopy := testenv.Command(t, "mcopy", "mtools")
	kernel := filepath.Join(testenv.Cache(t, "amd64"), "vmlinuz")
	dir := t.TempDir()
	initrd := filepath.Join(dir, "ramdisk")
	var cpioBuf bytes.Buffer
	w := cpio.Newc.Writer(&cpioBuf)
	if err := w.WriteRecord(cpio.StaticFile("init", "#!/bin/sh\n", 0o755)); err != nil {
		t.Fatal(err)
	}
	if err := cpio.WriteTrailer(w); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(initrd, cpioBuf.Bytes(), 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("a text file"), 0o644)
	out, esp := filepath.Join(dir, "netboot.efi"), filepath.Join(dir, "esp.img")
	var stdout, stderr bytes.Buffer
	if st := run([]string{"--kernel", kernel, "--initrd", initrd, "--cmdline", "console=ttyS0", "-o", out, "--esp", esp}, &stdout, &stderr); st != 0 {
		t.Fatalf("mkuki: status %d: %s", st, &stderr)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	onESP, err := exec.Command(mcopy, "-i", esp, "::/EFI/BOOT/BOOTX64.EFI", "-").Output()
	if err != nil || !bytes.Equal(onESP, built) {
		t.Errorf("EFI/BOOT/BOOTX64.EFI on the ESP: %d bytes (%v), want the %d-byte UKI", len(onESP), err, len(built))
	}
	stdout.Reset()
	if st := run([]string{"--info", out}, &stdout, &stderr); st != 0 {
		t.Fatalf("mkuki --info: status %d: %s", st, &stderr)
	}
	var info uki.Info
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Cmdline != "console=ttyS0" || info.Initrd != cpioBuf.Len() {
		t.Errorf("mkuki --info: %v\n%s", err, &stdout)
	}

	// Bad input: an error naming it, status 1, no output.
	stderr.Reset()
	bad := filepath.Join(dir, "bad.efi")
	if st := run([]string{"--kernel", text, "--stub", uki.DefaultStub("amd64"), "-o", bad}, &stdout, &stderr); st != 1 || !strings.Contains(stderr.String(), text) {
		t.Errorf("mkuki with a text file as kernel: status %d, %q", st, &stderr)
	}
	stderr.Reset()
	if st := run([]string{"--kernel", kernel, "--initrd", text, "-o", bad}, &stdout, &stderr); st != 1 || !strings.Contains(stderr.String(), "--foreign-ramdisk") {
		t.Errorf("mkuki with a text file as ramdisk: status %d, %q", st, &stderr)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a failed build left its output behind")
	}
	if st := run([]string{"--kernel", kernel}, &stdout, &stderr); st != 2 {
		t.Errorf("mkuki without an output: status %d, want 2", st)
	}
}
