package grub

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// FuzzInterpret interprets any grub.cfg: no panic, no hang, every entry
// either boots a kernel or says why not.
func FuzzInterpret(f *testing.F) {
	f.Fuzz(func(t *testing.T, cfg []byte) {
		o := testVolumes(string(cfg), map[string]string{"boot/grub/grubenv": envHeader + "saved_entry=1\n"})
		o.MaxSteps, o.MaxEntrySteps, o.MaxEntries = 20_000, 2_000, 200
		m, err := Interpret(t.Context(), o)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m.Entries {
			if e.Kind == 0 && e.Kernel.Name == "" || e.Kind != 0 && e.Reason == "" {
				t.Fatalf("entry %+v", e)
			}
		}
		if m.Auto.Entry != nil && m.Enter.Entry != m.Auto.Entry {
			t.Fatal("Enter and Auto differ")
		}
	})
}

// encodeEnv writes env as grub-editenv does (keys in order).
func encodeEnv(env Env) []byte {
	var b bytes.Buffer
	b.WriteString(envHeader)
	for _, k := range sortedKeys(env) {
		b.WriteString(k + "=")
		for _, c := range []byte(env[k]) {
			if c == '\\' || c == '\n' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('\n')
	}
	for b.Len() < 1024 {
		b.WriteByte('#')
	}
	return b.Bytes()
}

// FuzzReadEnv reads any grubenv: no panic; what it reads, written back
// as grub-editenv writes it, reads the same.
func FuzzReadEnv(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ReadEnv(data)
		if err != nil && !errors.Is(err, ErrBadEnv) {
			t.Fatalf("error %v does not match ErrBadEnv", err)
		}
		clean := Env{}
		for k, v := range env {
			if k != "" && !strings.ContainsAny(k, "=\n#\\") && k[0] != '#' {
				clean[k] = v
			}
		}
		again, err := ReadEnv(encodeEnv(clean))
		if err != nil {
			t.Fatalf("re-encoded: %v", err)
		}
		if len(again) != len(clean) {
			t.Fatalf("re-encoded %v, want %v", again, clean)
		}
		for k, v := range clean {
			if again[k] != v {
				t.Fatalf("%s=%q re-read as %q", k, v, again[k])
			}
		}
	})
}

// TestReadEnv checks grubenv files as grub-editenv writes them.
func TestReadEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want map[string]string
		bad  bool
	}{
		{"empty", envHeader + strings.Repeat("#", 1000), map[string]string{}, false},
		{"saved", envHeader + "saved_entry=gnulinux-advanced-x>gnulinux-6.1-x\nnext_entry=\n" + strings.Repeat("#", 900),
			map[string]string{"saved_entry": "gnulinux-advanced-x>gnulinux-6.1-x", "next_entry": ""}, false},
		{"escapes", envHeader + "a=back\\\\slash\nb=two\\\nlines\nc=x=y\n#", map[string]string{"a": `back\slash`, "b": "two\nlines", "c": "x=y"}, false},
		{"last wins", envHeader + "a=1\na=2\n", map[string]string{"a": "2"}, false},
		{"kernelopts", envHeader + "kernelopts=root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet \ntuned_params=skew_tick=1\n", map[string]string{"kernelopts": "root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet ", "tuned_params": "skew_tick=1"}, false},
		{"no header", "saved_entry=1\n", nil, true},
		{"no newline at the end", envHeader + "a=1\nb=2", map[string]string{"a": "1"}, true},
		{"no =", envHeader + "a=1\nbroken\n", map[string]string{"a": "1"}, true},
		{"too big", envHeader + strings.Repeat("#", MaxEnvSize), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ReadEnv([]byte(tc.data))
			if (err != nil) != tc.bad || err != nil && !errors.Is(err, ErrBadEnv) {
				t.Fatalf("error %v, want bad=%v", err, tc.bad)
			}
			if len(env) != len(tc.want) {
				t.Fatalf("env %v, want %v", env, tc.want)
			}
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("%s=%q, want %q", k, env[k], v)
				}
			}
		})
	}
}

// TestFuzzSeeds keeps the seed corpora: every fixture's configs and
// grubenv files, and hostile snippets.
func TestFuzzSeeds(t *testing.T) {
	cfgs := map[string][]byte{
		"self-source":  []byte("source $prefix/grub.cfg\nmenuentry a { linux /k }\n"),
		"endless-loop": []byte("menuentry a { while true; do true; done }\nmenuentry b { linux /k; initrd /i1 /i2 }\n"),
		"recursion":    []byte("function f { f $1$1 }\nf x\n"),
		"nesting":      []byte(strings.Repeat("if true; then ", 300) + strings.Repeat("fi; ", 300)),
		"quotes":       []byte("set a='x\"y'; menuentry \"$a\" $\"tr\" { linux /k \"${a}\\$\" 'b\\c' $1 $@ }\n"),
		"default-path": []byte("set default='s>1'\nsubmenu s { menuentry a { linux /k }; menuentry b { linux (hd1,msdos1)/k } }\n"),
	}
	envs := map[string][]byte{}
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "fuzz") {
			return err
		}
		name := strings.ReplaceAll(strings.TrimPrefix(p, "testdata/"), "/", "_")
		switch filepath.Base(p) {
		case "grub.cfg":
			b, err := os.ReadFile(p)
			cfgs[name] = b
			return err
		case "grubenv":
			b, err := os.ReadFile(p)
			envs[name] = b
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	envs["escapes"] = []byte(envHeader + "a=back\\\\slash\nb=two\\\nlines\n")
	envs["broken"] = []byte(envHeader + "a=1\nbroken")
	testenv.FuzzSeeds(t, "FuzzInterpret", cfgs)
	testenv.FuzzSeeds(t, "FuzzReadEnv", envs)
}
