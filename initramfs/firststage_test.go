package initramfs

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const kconfigFixtures = "../testdata/kconfig"

// TestCheckFirstStageDebian checks which Debian kernels can be the first
// stage of the netboot client, from their real configurations.
func TestCheckFirstStageDebian(t *testing.T) {
	for _, tc := range []struct {
		arch, config string
		ok           bool
	}{
		{"s390x", "config-6.1.0-50-s390x", true},        // kexec_load only
		{"s390x", "config-6.12.107+deb13-s390x", false}, // neither
		{"amd64", "config-6.1.0-57-amd64", true},        // both
		{"amd64", "config-6.12.118+deb13-amd64", true},  // both
		{"arm64", "config-6.1.0-57-arm64", true},        // kexec_load only: the client falls back to it
		{"arm64", "config-6.12.118+deb13-arm64", true},  // same
	} {
		t.Run(tc.config, func(t *testing.T) {
			file := filepath.Join(kconfigFixtures, tc.config)
			err := CheckFirstStage(tc.arch, KernelConfig{File: file}, nil, KexecCheckAuto, nil)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrCannotKexec) {
				t.Fatalf("CheckFirstStage: %v, want ErrCannotKexec", err)
			}
			for _, want := range []string{file, "CONFIG_KEXEC_FILE is not set", "on " + tc.arch} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if tc.arch == "s390x" && !strings.Contains(err.Error(), "CONFIG_KEXEC is not set") {
				t.Errorf("error %q does not name CONFIG_KEXEC", err)
			}
			if err := CheckFirstStage(tc.arch, KernelConfig{File: file}, nil, KexecCheckOff, nil); err != nil {
				t.Errorf("--kexec-check=off: %v", err)
			}
		})
	}
}

// TestCheckFirstStageUnpackers checks that a kernel without the ramdisk's
// decompressor is refused.
func TestCheckFirstStageUnpackers(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(kconfigFixtures, "config-6.1.0-50-s390x"))
	if err != nil {
		t.Fatal(err)
	}
	noZstd := filepath.Join(t.TempDir(), "config-no-zstd")
	os.WriteFile(noZstd, bytes.Replace(b, []byte("CONFIG_RD_ZSTD=y"), []byte("# CONFIG_RD_ZSTD is not set"), 1), 0o644)
	for _, tc := range []struct {
		unpack []string
		ok     bool
	}{
		{nil, true},
		{[]string{"gzip"}, true},
		{[]string{"none"}, true},
		{[]string{"", "xz"}, true},
		{[]string{"zstd"}, false},
		{[]string{"", "zstd"}, false},
	} {
		err := CheckFirstStage("s390x", KernelConfig{File: noZstd}, tc.unpack, KexecCheckAuto, nil)
		if tc.ok != (err == nil) {
			t.Errorf("%q: %v", tc.unpack, err)
		}
		if !tc.ok && (!errors.Is(err, ErrNotUnpackable) || !strings.Contains(err.Error(), noZstd+": CONFIG_RD_ZSTD is not set")) {
			t.Errorf("%q: %v, want ErrNotUnpackable naming the file and CONFIG_RD_ZSTD", tc.unpack, err)
		}
	}
}

// TestKernelConfigFind checks where the configuration is looked for: next
// to the kernel, in the boot directory of the modules tree's root (also
// under usr/lib), in the build tree, and in the kernel itself.
func TestKernelConfigFind(t *testing.T) {
	root := t.TempDir()
	noKexec, err := os.ReadFile(filepath.Join(kconfigFixtures, "config-6.12.107+deb13-s390x"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, data []byte) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("a/boot/config-6.12.107+deb13-s390x", noKexec)
	os.MkdirAll(filepath.Join(root, "a/lib/modules/6.12.107+deb13-s390x"), 0o755)
	write("b/boot/config-6.12.107+deb13-s390x", noKexec)
	os.MkdirAll(filepath.Join(root, "b/usr/lib/modules/6.12.107+deb13-s390x"), 0o755)
	write("c/6.12/build/.config", noKexec)
	write("d/config-6.12.107+deb13-s390x", noKexec)
	write("d/vmlinuz-6.12.107+deb13-s390x", []byte("kernel"))
	write("e/vmlinuz", []byte("kernel"))
	write("e/config-6.12.107+deb13-s390x", noKexec)
	write("f/vmlinuz", append([]byte("loader"), ikconfigGzip(t, noKexec)...))
	write("g/vmlinuz", []byte("kernel, no configuration"))

	for _, tc := range []struct {
		name string
		k    KernelConfig
		want string // the source found, "" for none
	}{
		{"modules tree", KernelConfig{ModulesDir: filepath.Join(root, "a/lib/modules/6.12.107+deb13-s390x")}, "a/boot/config-6.12.107+deb13-s390x"},
		{"merged /usr", KernelConfig{ModulesDir: filepath.Join(root, "b/usr/lib/modules/6.12.107+deb13-s390x/")}, "b/boot/config-6.12.107+deb13-s390x"},
		{"build tree", KernelConfig{ModulesDir: filepath.Join(root, "c/6.12")}, "c/6.12/build/.config"},
		{"next to vmlinuz-VERSION", KernelConfig{Kernel: filepath.Join(root, "d/vmlinuz-6.12.107+deb13-s390x")}, "d/config-6.12.107+deb13-s390x"},
		{"version from the image", KernelConfig{Kernel: filepath.Join(root, "e/vmlinuz"), Version: "6.12.107+deb13-s390x"}, "e/config-6.12.107+deb13-s390x"},
		{"IKCONFIG", KernelConfig{Kernel: filepath.Join(root, "f/vmlinuz")}, "the IKCONFIG of " + filepath.Join(root, "f/vmlinuz")},
		{"none", KernelConfig{Kernel: filepath.Join(root, "g/vmlinuz"), ModulesDir: filepath.Join(root, "g")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.k.Find()
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && cfg != nil:
				t.Fatalf("found %s, want none (candidates %q)", cfg.Source, tc.k.Candidates())
			case tc.want == "":
				return
			case cfg == nil:
				t.Fatalf("found none, want %s (candidates %q)", tc.want, tc.k.Candidates())
			}
			if got := strings.TrimPrefix(cfg.Source, root+"/"); got != tc.want {
				t.Errorf("found %s, want %s", got, tc.want)
			}
			if err := CheckFirstStage("s390x", tc.k, nil, KexecCheckAuto, nil); !errors.Is(err, ErrCannotKexec) {
				t.Errorf("CheckFirstStage: %v, want ErrCannotKexec", err)
			}
		})
	}

	// No configuration: a warning naming where it looked, or under strict
	// an error.
	none := KernelConfig{Kernel: filepath.Join(root, "g/vmlinuz")}
	var log bytes.Buffer
	if err := CheckFirstStage("s390x", none, nil, KexecCheckAuto, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Errorf("auto without a configuration: %v", err)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "no kernel configuration found") || !strings.Contains(log.String(), "IKCONFIG in "+none.Kernel) {
		t.Errorf("warning %q", log.String())
	}
	if err := CheckFirstStage("s390x", none, nil, KexecCheckStrict, nil); !errors.Is(err, ErrNoKernelConfig) {
		t.Errorf("strict without a configuration: %v, want ErrNoKernelConfig", err)
	}
	// A named file that is missing is an error, not a reason to look elsewhere.
	if err := CheckFirstStage("s390x", KernelConfig{File: filepath.Join(root, "nope")}, nil, KexecCheckAuto, nil); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing --kernel-config: %v", err)
	}
	if got := (KernelConfig{File: "x", Kernel: "y"}).Candidates(); !slices.Equal(got, []string{"x"}) {
		t.Errorf("Candidates with File: %q", got)
	}
}

// ikconfigGzip is the CONFIG_IKCONFIG blob for config.
func ikconfigGzip(t *testing.T, config []byte) []byte {
	var b bytes.Buffer
	b.WriteString("IKCFG_ST")
	zw, err := Gzip.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(config)
	zw.Close()
	b.WriteString("IKCFG_ED")
	return b.Bytes()
}
