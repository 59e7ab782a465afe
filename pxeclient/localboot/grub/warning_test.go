package grub

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
)

// TestWarningsWhere: every warning says its file and line the menu's
// way (bootmenu.Where), the BLS entries blscfg reads included, so the
// boot flow can group them by file.
func TestWarningsWhere(t *testing.T) {
	cfg := strings.Join([]string{
		"set default=nothing",         // 1: no entry matches (the file)
		"set timeout=soon",            // 2: no number (the file)
		"set fallback=gone",           // 3: no entry matches (the file)
		"lsefi",                       // 4: unknown command
		"if true; then",               // 5
		"fi fi",                       // 6: syntax error
		"insmod blscfg",               // 7
		"blscfg",                      // 8: the entry below warns
		"menuentry a { linux /k q; }", // 9
	}, "\n") + "\n"
	m := interpret(t, cfg, map[string]string{
		"boot/loader/entries/x.conf": "title X\nlinux /k\ntitle Y\n",
	})
	want := []string{
		"vda2:/boot/grub/grub.cfg:4",
		"vda2:/boot/grub/grub.cfg:6",
		"vda2:/boot/loader/entries/x.conf:3",
		"vda2:/boot/grub/grub.cfg",
		"vda2:/boot/grub/grub.cfg",
		"vda2:/boot/grub/grub.cfg",
	}
	var got []string
	for _, w := range m.Warnings {
		file, line, ok := bootmenu.Where(w)
		if !ok {
			t.Errorf("warning %q does not say where it is", w)
			continue
		}
		if !strings.HasPrefix(w.Error(), bootmenu.Origin{File: file, Line: line}.String()+": ") {
			t.Errorf("warning %q does not start with its place %s:%d", w, file, line)
		}
		got = append(got, bootmenu.Origin{File: file, Line: line}.String())
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings at %q\nwant %q\n%q", got, want, m.Warnings)
	}
	if !errors.Is(m.Warnings[0], ErrUnknownCommand) || !errors.Is(m.Warnings[1], errSyntax) {
		t.Errorf("warnings %v do not wrap their sentinels", m.Warnings[:2])
	}
}
