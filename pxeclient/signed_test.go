package pxeclient

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

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
	sign := func(t *testing.T, key *minisign.PrivateKey, files map[string][]byte) map[string][]byte {
		out := map[string][]byte{}
		for name, data := range files {
			out[name] = data
			sig, err := key.Sign(data, "file:"+name)
			if err != nil {
				t.Fatal(err)
			}
			out[name+".minisig"] = sig.Encode()
		}
		return out
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
