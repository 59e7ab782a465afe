//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNetbootFailingEntry boots an s390x guest through the firmware whose
// unattended entry names a kernel file that QEMU's TFTP server does not
// have. The init must say what is missing and where, and fall back
// without hanging or panicking:
//
//   - onerror: ONERROR names another label, which boots the target;
//   - menu: no ONERROR, a menu with PROMPT 1 and a 2 s TIMEOUT; after the
//     failure the init shows the menu again at its prompt, the test types
//     the good label on the guest's console (QEMU's stdin), and that
//     label boots.
//
// Neither console may show a Go panic or a goroutine dump.
//
//	go test -tags e2e -run TestNetbootFailingEntry -v ./scripts/e2e/
func TestNetbootFailingEntry(t *testing.T) {
	const arch = "s390x"
	// Each subtest makes its own TFTP tree; the ramdisk and pxelinux.0
	// are the same for both.
	work := t.TempDir()
	base := netbootGuest(t, arch, filepath.Join(work, "image"))
	image := netbootRead(t, filepath.Join(work, "image", "pxelinux.0"))
	kernel := netbootRead(t, filepath.Join(Cache(t, arch), "vmlinuz"))
	initrd := BusyboxInitramfs(t, arch, targetInit, Archive{"marker1": {Data: []byte("from-initrd-1")}})
	marker := Archive{"marker2": {Data: []byte("from-initrd-2")}}.Cpio(t)

	entries := `LABEL broken
  MENU LABEL Broken: its kernel file is missing
  KERNEL target/vmlinuz-missing
  INITRD target/initrd.gz
  APPEND console=ttysclp0 quiet e2e=BROKEN
LABEL good
  MENU LABEL Good: the target
  KERNEL target/vmlinuz
  INITRD target/initrd.gz,target/marker.gz
  APPEND console=ttysclp0 quiet e2e=%s
`
	// missingRe is the init's report of the failed entry: the file and
	// the server it was asked from.
	missingRe := `^pxeinit: error: boot "broken": .*fetch tftp://10\.0\.2\.2/target/vmlinuz-missing from server 10\.0\.2\.2:69: .*not found`

	tests := []struct {
		name, config string
		// typed is written to the guest's console once the init shows
		// its prompt; "" for none.
		typed string
		// chosen is the console line saying the good label is next.
		chosen string
	}{
		{"onerror", "DEFAULT broken\nONERROR good\n" + fmt.Sprintf(entries, "onerror"), "",
			`^pxeinit: stage=choice .*label=good via=ONERROR$`},
		// A boot from the command prompt is seen by its fetch. The test
		// types as soon as the line before the prompt shows; when the
		// typed line (and its echo) overtakes the prompt "pxeinit> ",
		// which has no newline, the prompt starts the next log line.
		{"menu", "UI menu.c32\nMENU TITLE e2e: a failing entry\nPROMPT 1\nTIMEOUT 20\nDEFAULT broken\n" +
			fmt.Sprintf(entries, "menu"), "good\n", `^(pxeinit> )?pxeinit: fetching label=good `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tftp := filepath.Join(t.TempDir(), "tftp")
			writeTree(t, tftp, map[string][]byte{
				"pxelinux.0":                        image,
				"target/vmlinuz":                    kernel,
				"target/initrd.gz":                  initrd,
				"target/marker.gz":                  marker,
				"pxelinux.cfg/01-52-54-00-12-34-56": []byte(tt.config),
			})
			q := base
			q.TFTPDir = tftp
			q.Input = true
			g := StartQEMU(t, q)
			g.Expect(`pxeinit: starting on`, 120*time.Second)

			l, i, err := g.ExpectAny(60*time.Second, missingRe, `^pxeinit: stage=kexec`, `^pxeinit: error:`)
			if err != nil {
				t.Fatal(err)
			}
			if i != 0 {
				t.Fatalf("want the missing kernel reported first; got: %s", l.Text)
			}
			failedAt := l.At
			t.Logf("reported %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)

			if tt.typed != "" {
				// The menu again, and the prompt; the prompt's own
				// line ends only with the typed line's echo.
				g.Expect(`^ 2\) Good: the target \[good\]$`, 10*time.Second)
				l := g.Expect(`^Nothing booted\. .*type a label to boot`, 10*time.Second)
				t.Logf("prompt after %v: %s", (l.At - failedAt).Round(time.Millisecond), l.Text)
				g.Type(tt.typed)
			}
			l, i, err = g.ExpectAny(60*time.Second, tt.chosen, `^pxeinit: error:`)
			if err != nil {
				t.Fatal(err)
			}
			if i != 0 {
				t.Fatalf("the fallback failed: %s", l.Text)
			}
			l = g.Expect(`TARGET-UP`, 120*time.Second)
			t.Logf("target up %v after QEMU started: %s", l.At.Round(time.Millisecond), l.Text)
			for _, want := range []string{"e2e=" + tt.name, "marker1=[from-initrd-1]", "marker2=[from-initrd-2]"} {
				if !strings.Contains(l.Text, want) {
					t.Errorf("target /init: %q lacks %q", l.Text, want)
				}
			}
			console := g.Console()
			for _, bad := range []string{"panic:", "goroutine ", "e2e=BROKEN"} {
				if strings.Contains(console, bad) {
					t.Errorf("console shows %q", bad)
				}
			}
			// The menu was shown twice: at the start and at the prompt.
			if n := strings.Count(console, "Good: the target [good]"); tt.typed != "" && n != 2 {
				t.Errorf("menu shown %d times, want 2 (at the start and after the failure)", n)
			}
		})
	}
}
