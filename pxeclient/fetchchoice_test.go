package pxeclient

import (
	"bytes"
	"context"
	"debug/pe"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/uki"
)

// localFile is the file:// URL of name below dir.
func localFile(dir, name string) string {
	return (&url.URL{Scheme: "file", Path: filepath.Join(dir, name)}).String()
}

// writeFiles writes files below dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testUKI is a unified kernel image of a synthetic EFI-stub kernel.
func testUKI(t *testing.T, kernel, initrd []byte, cmdline string) []byte {
	t.Helper()
	img, err := uki.Build(uki.Image{Stub: fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 8), Kernel: kernel, Initrd: initrd, Cmdline: cmdline})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestFetchChoiceLocal: an entry of local files is fetched without a
// lease; a unified kernel image named for its .linux and its .initrd is
// read once and each section taken; a second initrd follows it in order.
// Without a lease a network file is refused, a missing section names
// itself, and signed boot refuses local files.
func TestFetchChoiceLocal(t *testing.T) {
	kernel := fakekernel.PE(pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0)
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"EFI/Linux/fedora.efi": testUKI(t, kernel, []byte("uki initrd"), "root=UUID=x"),
		"boot/extra.img":       []byte("extra initrd"),
	})
	ukiURL := localFile(dir, "EFI/Linux/fedora.efi")
	e := &bootmenu.Entry{Label: "fedora", Kind: bootmenu.Linux,
		Kernel:  bootmenu.File{Name: "vda1:/EFI/Linux/fedora.efi .linux", URL: ukiURL, Section: uki.SectionLinux},
		Initrds: []bootmenu.File{{Name: "vda1:/EFI/Linux/fedora.efi .initrd", URL: ukiURL, Section: uki.SectionInitrd}, {Name: "vda1:/boot/extra.img", URL: localFile(dir, "boot/extra.img")}},
	}
	ch := bootmenu.Choice{Entry: e, Command: "fedora", Initrds: e.Initrds, Cmdline: "root=UUID=x"}
	out := &testenv.Buffer{}
	c := &Client{Log: slog.New(NewConsoleHandler(out, "pxeinit", slog.LevelInfo)), Fetch: fetch.Options{SHA256: true}}
	img, err := c.FetchChoice(context.Background(), nil, ch)
	if err != nil {
		t.Fatalf("FetchChoice: %v\n%s", err, out)
	}
	if !bytes.Equal(img.Kernel.Data, kernel) || len(img.Initrds) != 2 ||
		string(img.Initrds[0].Data) != "uki initrd" || string(img.Initrds[1].Data) != "extra initrd" {
		t.Errorf("kernel %d bytes (want %d), %d initrds", len(img.Kernel.Data), len(kernel), len(img.Initrds))
	}
	if img.Initrds[0].SHA256 == img.Kernel.SHA256 || img.Initrds[0].SHA256 == [32]byte{} {
		t.Error("a section's digest is not its own")
	}
	if n := strings.Count(out.String(), "stage=fetch "); n != 2 {
		t.Errorf("%d fetch stage lines, want 2 (the UKI read once):\n%s", n, out)
	}

	for _, tt := range []struct {
		name string
		ch   func() bootmenu.Choice
		sign bool
		is   error
		says string
	}{
		{name: "network file without a lease", ch: func() bootmenu.Choice {
			c := ch
			c.Initrds = []bootmenu.File{{Name: "initrd", URL: "tftp://10.0.2.2/initrd"}}
			return c
		}, says: "no lease"},
		{name: "missing section", ch: func() bootmenu.Choice {
			c := ch
			c.Initrds = []bootmenu.File{{Name: "vda1:/EFI/Linux/fedora.efi .ucode", URL: ukiURL, Section: ".ucode"}}
			return c
		}, says: `section .ucode of ` + ukiURL},
		{name: "signed boot", ch: func() bootmenu.Choice { return ch }, sign: true, is: signedboot.ErrLocal, says: ukiURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := &Client{}
			if tt.sign {
				k, err := minisign.GenerateKey(nil)
				if err != nil {
					t.Fatal(err)
				}
				c.Signed = signedboot.On(k.Public())
			}
			_, err := c.FetchChoice(context.Background(), nil, tt.ch())
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("FetchChoice = %v, want an error saying %q", err, tt.says)
			}
		})
	}
}
