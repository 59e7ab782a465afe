package bls

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestParseEntry: the keys, one table row each, and the warnings.
func TestParseEntry(t *testing.T) {
	for _, tt := range []struct {
		name, file, data string
		check            func(t *testing.T, e *Entry)
		warns            []error // sentinels, in order
	}{
		{name: "spec example", file: "loader/entries/6a9857a393724b7a981ebb5b8495b9ea-3.8.0-2.fc19.x86_64.conf", data: `# /boot/loader/entries/6a9857a393724b7a981ebb5b8495b9ea-3.8.0-2.fc19.x86_64.conf
title        Fedora 19 (Rawhide)
sort-key     fedora
machine-id   6a9857a393724b7a981ebb5b8495b9ea
version      3.8.0-2.fc19.x86_64
options      root=UUID=6d3376e4-fc93-4509-95ec-a21d68011da2 quiet
architecture x64
linux        /6a9857a393724b7a981ebb5b8495b9ea/3.8.0-2.fc19.x86_64/linux
initrd       /6a9857a393724b7a981ebb5b8495b9ea/3.8.0-2.fc19.x86_64/initrd
`, check: func(t *testing.T, e *Entry) {
			want := &Entry{Path: e.Path, ID: "6a9857a393724b7a981ebb5b8495b9ea-3.8.0-2.fc19.x86_64", Type: Type1,
				Title: "Fedora 19 (Rawhide)", Version: "3.8.0-2.fc19.x86_64", MachineID: "6a9857a393724b7a981ebb5b8495b9ea", SortKey: "fedora",
				Linux: "/6a9857a393724b7a981ebb5b8495b9ea/3.8.0-2.fc19.x86_64/linux", LinuxLine: 8,
				Initrd:       []Line{{"/6a9857a393724b7a981ebb5b8495b9ea/3.8.0-2.fc19.x86_64/initrd", 9}},
				Options:      []Line{{"root=UUID=6d3376e4-fc93-4509-95ec-a21d68011da2 quiet", 6}},
				Architecture: "x64"}
			if !reflect.DeepEqual(e, want) {
				t.Errorf("entry\n%+v\nwant\n%+v", e, want)
			}
		}},
		{name: "repeated options and initrds, several paths on a line", file: "a.conf", data: "linux /vmlinuz\ninitrd /intel-ucode.img\ninitrd /initramfs.img /extra.img\noptions root=/dev/sda2\n\toptions  rw   quiet \n", check: func(t *testing.T, e *Entry) {
			c, w := e.Cmdline(nil)
			i, _ := e.InitrdPaths(nil)
			if c != "root=/dev/sda2 rw   quiet" || w != nil || !reflect.DeepEqual(i, []string{"/intel-ucode.img", "/initramfs.img", "/extra.img"}) {
				t.Errorf("cmdline %q %v, initrds %q", c, w, i)
			}
		}},
		{name: "boot counting", file: "loader/entries/fedora+3-1.conf", data: "linux /k\n", check: func(t *testing.T, e *Entry) {
			if e.ID != "fedora" || !e.Counting || e.TriesLeft != 3 || e.TriesDone != 1 || e.Bad() {
				t.Errorf("%+v", e)
			}
		}},
		{name: "bad entry", file: "fedora+0-3.conf", data: "linux /k\n", check: func(t *testing.T, e *Entry) {
			if e.ID != "fedora" || !e.Bad() || e.TriesDone != 3 {
				t.Errorf("%+v", e)
			}
		}},
		{name: "no counter after +", file: "a+b.conf", data: "linux /k\n", check: func(t *testing.T, e *Entry) {
			if e.ID != "a+b" || e.Counting {
				t.Errorf("%+v", e)
			}
		}},
		{name: "efi", file: "shell.conf", data: "title EFI Shell\nefi /EFI/tools/shellx64.efi\n", check: func(t *testing.T, e *Entry) {
			if e.EFI != "/EFI/tools/shellx64.efi" || e.EFILine != 2 || e.Linux != "" {
				t.Errorf("%+v", e)
			}
		}},
		{name: "both linux and efi", file: "b.conf", data: "efi /x.efi\nlinux /k\n", warns: []error{ErrBothKernels}, check: func(t *testing.T, e *Entry) {
			if e.EFI != "" || e.Linux != "/k" {
				t.Errorf("%+v", e)
			}
		}},
		{name: "devicetree", file: "d.conf", data: "linux /Image\ndevicetree /dtbs/board.dtb\ndevicetree-overlay /o/a.dtbo /o/b.dtbo\ndevicetree-overlay /o/c.dtbo\n", check: func(t *testing.T, e *Entry) {
			if e.Devicetree != "/dtbs/board.dtb" || !reflect.DeepEqual(e.DevicetreeOverlay, []string{"/o/a.dtbo", "/o/b.dtbo", "/o/c.dtbo"}) {
				t.Errorf("%+v", e)
			}
		}},
		{name: "Fedora's grub keys are no warning, others are", file: "f.conf", data: "linux /k\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class fedora\nfoo bar\n", warns: []error{ErrUnknownKey}, check: func(t *testing.T, e *Entry) {
			if e.Extra["grub_class"] != "fedora" || e.Extra["foo"] != "bar" {
				t.Errorf("%+v", e.Extra)
			}
		}},
		{name: "repeated title: the last counts", file: "t.conf", data: "title A\ntitle B\nlinux /k\n", warns: []error{ErrRepeatedKey}, check: func(t *testing.T, e *Entry) {
			if e.Title != "B" {
				t.Errorf("title %q", e.Title)
			}
		}},
		{name: "bad machine-id, no value, bad name", file: "a b.conf", data: "machine-id 6A9857A3\ntitle\noptions\nlinux /k\r\n", warns: []error{ErrBadName, ErrNoValue, ErrBadValue}},
		{name: "control characters in the title", file: "c.conf", data: "title A\x1b[2J\tB\nlinux /k\n", check: func(t *testing.T, e *Entry) {
			if e.Title != "A[2J B" {
				t.Errorf("title %q", e.Title)
			}
		}},
		{name: "not UTF-8", file: "u.conf", data: "title \xff\nlinux /k\n", warns: []error{ErrNotUTF8}, check: func(t *testing.T, e *Entry) {
			if e.Title != "\uFFFD" {
				t.Errorf("title %q", e.Title)
			}
		}},
		{name: "no kernel", file: "n.conf", data: "title Nothing\n", warns: []error{ErrNoKernel}},
		{name: "binary", file: "bin.conf", data: "linux /k\n\x00\x01", warns: []error{ErrNotText}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, warns := ParseEntry(tt.file, []byte(tt.data))
			if len(warns) != len(tt.warns) {
				t.Fatalf("warnings %v, want %v", warns, tt.warns)
			}
			for i, w := range warns {
				var wn *Warning
				if !errors.Is(w, tt.warns[i]) || !errors.As(w, &wn) || !strings.HasPrefix(w.Error(), tt.file+":") {
					t.Errorf("warning %d: %v, want %v naming %s", i, w, tt.warns[i], tt.file)
				}
			}
			if (e == nil) != (len(tt.warns) > 0 && (tt.warns[len(tt.warns)-1] == ErrNoKernel || tt.warns[0] == ErrNotText)) {
				t.Fatalf("entry %+v", e)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// TestExpand: $name and ${name} from the variables, unset ones empty
// with a warning naming the variable, file and line.
func TestExpand(t *testing.T) {
	e, _ := ParseEntry("loader/entries/rhel.conf", []byte(`linux /vmlinuz
initrd /initramfs.img $tuned_initrd
options $kernelopts ${tuned_params} cost=$5 $ ${bad
options a$x{y}
`))
	vars := map[string]string{"kernelopts": "root=/dev/mapper/rhel-root ro", "tuned_params": "", "x": "X"}
	c, warns := e.Cmdline(vars)
	if c != "root=/dev/mapper/rhel-root ro  cost= $ ${bad aX{y}" || len(warns) != 1 {
		t.Errorf("Cmdline = %q, %v", c, warns)
	}
	if len(warns) == 1 && (!errors.Is(warns[0], ErrUnsetVariable) || warns[0].Error() != `loader/entries/rhel.conf:3: bls: variable not set: $5 expands to ""`) {
		t.Errorf("warning %v", warns[0])
	}
	i, warns := e.InitrdPaths(vars)
	if !reflect.DeepEqual(i, []string{"/initramfs.img"}) || len(warns) != 1 || !strings.Contains(warns[0].Error(), "rhel.conf:2:") || !strings.Contains(warns[0].Error(), "$tuned_initrd") {
		t.Errorf("InitrdPaths = %q, %v", i, warns)
	}
	vars["tuned_initrd"] = "/tuned.img /tuned2.img"
	if i, warns := e.InitrdPaths(vars); !reflect.DeepEqual(i, []string{"/initramfs.img", "/tuned.img", "/tuned2.img"}) || warns != nil {
		t.Errorf("InitrdPaths = %q, %v", i, warns)
	}
}
