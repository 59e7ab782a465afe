package pxeclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/signedboot"
)

// TestOnceSigned boots a signed tree with the trusted key, and refuses it
// when one file is unsigned, tampered with, or signed by another key, or
// when the ramdisk's key was unreadable: each refusal names the file and
// nothing is booted.
func TestOnceSigned(t *testing.T) {
	trusted, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	kernel := bytes.Repeat([]byte("K"), 100_000)
	tree := map[string][]byte{
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(macCfg),
		"images/vmlinuz":                    kernel,
		"images/target.cpio.gz":             []byte("target initrd"),
		"images/marker.cpio.gz":             []byte("marker initrd"),
	}
	tests := []struct {
		name     string
		modify   func(files map[string][]byte)
		trustErr error
		want     error  // nil: boots
		names    string // the refusal names this file
	}{
		{name: "all signed", modify: func(map[string][]byte) {}},
		{name: "config unsigned", modify: func(f map[string][]byte) {
			delete(f, "pxelinux.cfg/01-52-54-00-12-34-56.minisig")
		}, want: signedboot.ErrUnsigned, names: "pxelinux.cfg/01-52-54-00-12-34-56"},
		{name: "initrd unsigned", modify: func(f map[string][]byte) {
			delete(f, "images/marker.cpio.gz.minisig")
		}, want: signedboot.ErrUnsigned, names: "marker.cpio.gz"},
		{name: "kernel tampered", modify: func(f map[string][]byte) {
			f["images/vmlinuz"] = append(bytes.Clone(kernel), 'X')
		}, want: signedboot.ErrBadSignature, names: "vmlinuz"},
		{name: "command line changed", modify: func(f map[string][]byte) {
			f["pxelinux.cfg/01-52-54-00-12-34-56"] = []byte(strings.Replace(macCfg, "quiet", "init=/bin/sh", 1))
		}, want: signedboot.ErrBadSignature, names: "pxelinux.cfg/01-52-54-00-12-34-56"},
		{name: "other key", modify: func(f map[string][]byte) {
			for k, v := range sign(t, other, map[string][]byte{"images/vmlinuz": kernel}) {
				f[k] = v
			}
		}, want: signedboot.ErrBadSignature, names: "vmlinuz"},
		{name: "unreadable trusted key", modify: func(map[string][]byte) {},
			trustErr: minisign.ErrMalformed, want: minisign.ErrMalformed, names: "pxelinux.cfg/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := sign(t, trusted, tree)
			tt.modify(files)
			var b booted
			c, out := newClient(t, files, &b)
			c.Signed = signedboot.On(trusted.Public())
			if tt.trustErr != nil {
				c.Signed = signedboot.Refuse(tt.trustErr)
			}
			err := c.Once(context.Background())
			if tt.want == nil {
				if err != nil || !bytes.Equal(b.img.Kernel, kernel) {
					t.Fatalf("Once = %v, booted %d bytes\n%s", err, len(b.img.Kernel), out)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Once = %v, want %v\n%s", err, tt.want, out)
			}
			if !strings.Contains(err.Error(), tt.names) {
				t.Errorf("error %q does not name %s", err, tt.names)
			}
			if b.n != 0 {
				t.Errorf("booted %d times despite the refusal", b.n)
			}
		})
	}
}

// sign returns files and a NAME.minisig by key for each.
func sign(t *testing.T, key *minisign.PrivateKey, files map[string][]byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, data := range files {
		out[name] = data
		sig, err := key.Sign(data, "file:"+name)
		if err != nil {
			t.Fatal(err)
		}
		out[signedboot.SigName(name)] = sig.Encode()
	}
	return out
}

// TestSignedTypedOptions: under signed boot, kernel options typed at the
// menu or at the command prompt would change the signed command line, so
// they are refused with a message on the console, and the entry typed
// without options boots with the command line of the signed config. A
// config that says ALLOWOPTIONS 1 takes them. Each path gives a row of
// the fault report.
func TestSignedTypedOptions(t *testing.T) {
	const entries = `LABEL broken
  KERNEL images/missing
LABEL linux
  KERNEL images/vmlinuz
  APPEND console=ttysclp0 quiet
`
	tests := []struct {
		name, fault, config string
		// typed are the lines typed once the console waits for input;
		// refusals is how many of them must be refused.
		typed    []string
		refusals int
		wait     string // what the console shows when it waits
		cmdline  string // the command line that boots
	}{
		{"menu", `signed boot: "linux init=/bin/sh" typed at the menu`,
			"UI menu.c32\nTIMEOUT 0\n" + entries, []string{"linux init=/bin/sh", "2 init=/bin/sh", "linux"}, 2,
			"boot: ", "BOOT_IMAGE=images/vmlinuz console=ttysclp0 quiet"},
		{"prompt", `signed boot: "boot linux init=/bin/sh" typed at the command prompt`,
			"DEFAULT broken\n" + entries, []string{"boot linux init=/bin/sh", "linux init=/bin/sh", "linux"}, 2,
			"pxeinit> ", "BOOT_IMAGE=images/vmlinuz console=ttysclp0 quiet"},
		{"allowoptions 1", `signed boot, config says ALLOWOPTIONS 1: "linux single" typed at the menu`,
			"ALLOWOPTIONS 1\nUI menu.c32\nTIMEOUT 0\n" + entries, []string{"linux single"}, 0,
			"boot: ", "BOOT_IMAGE=images/vmlinuz console=ttysclp0 quiet single"},
	}
	key, err := minisign.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	kernel := bytes.Repeat([]byte("K"), 50_000)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := sign(t, key, map[string][]byte{"pxelinux.cfg/default": []byte(tt.config), "images/vmlinuz": kernel})
			var b booted
			c, out := newClient(t, files, &b)
			c.Signed = signedboot.On(key.Public())
			start := time.Now()
			pw := runTyped(t, c, out)
			waitCount(t, out, tt.wait, 1)
			const refused = "typed kernel options are refused under signed boot"
			for i, line := range tt.typed {
				pw.Write([]byte(line + "\n"))
				if i < tt.refusals {
					waitCount(t, out, refused, i+1)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for b.count() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(start)
			img := b.image()
			if b.count() != 1 || img.Cmdline != tt.cmdline {
				t.Fatalf("%d boots, cmdline %q; want one with %q\n%s", b.count(), img.Cmdline, tt.cmdline, out)
			}
			msgs := linesWith(out, refused)
			if len(msgs) != tt.refusals {
				t.Fatalf("%d refusals on the console, want %d:\n%s", len(msgs), tt.refusals, out)
			}
			if strings.Contains(out.String(), "init=/bin/sh\"") && tt.refusals == 0 {
				t.Errorf("console:\n%s", out)
			}
			outcome := "options taken: booted with " + img.Cmdline
			if tt.refusals > 0 {
				msg := strings.TrimPrefix(strings.TrimPrefix(msgs[0], "pxeinit> "), "boot: ")
				if !strings.Contains(msg, "ALLOWOPTIONS 1") || !strings.Contains(msg, "init=/bin/sh") {
					t.Errorf("refusal %q does not say what was refused and how to allow it", msg)
				}
				outcome = fmt.Sprintf("refused %d times (%q); the label alone booted with the signed command line %q", tt.refusals, msg, img.Cmdline)
			}
			testenv.Fault(t, tt.fault, outcome, elapsed, fmt.Sprintf("%d B (kernel compared: %v)", len(img.Kernel), bytes.Equal(img.Kernel, kernel)))
		})
	}
}
