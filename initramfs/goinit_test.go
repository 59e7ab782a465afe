package initramfs

import (
	"archive/zip"
	"context"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// checkStaticELF fails unless p is a static executable for machine.
func checkStaticELF(t *testing.T, p string, machine elf.Machine) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkInit(data, machine); err != nil {
		t.Errorf("%s: %v", p, err)
	}
}

// TestGoInitCheckout builds a stand-in init from this checkout, as
// mkpxeramfs does for cmd/pxeinit when run inside one.
func TestGoInitCheckout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "init")
	g := GoInit{GOARCH: "s390x", Package: "./testdata/initramfs/tinyinit"}
	if err := g.Build(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	checkStaticELF(t, out, elf.EM_S390)
}

func TestGoInitBuildError(t *testing.T) {
	g := GoInit{GOARCH: "s390x", Package: "./testdata/initramfs/does-not-exist"}
	err := g.Build(context.Background(), filepath.Join(t.TempDir(), "init"))
	if err == nil {
		t.Fatal("built a package that does not exist")
	}
	t.Log(err)
}

func TestGoInitNoSource(t *testing.T) {
	t.Chdir(t.TempDir())
	// A test binary's main module version is "(devel)": no version to
	// fetch, and the working directory is no checkout.
	err := GoInit{GOARCH: "s390x"}.Build(context.Background(), filepath.Join(t.TempDir(), "init"))
	if !errors.Is(err, ErrNoInitSource) {
		t.Errorf("Build() outside a checkout = %v, want ErrNoInitSource", err)
	}
}

// TestGoInitModuleCache follows the path of a user who ran `go install
// .../cmd/mkpxeramfs@v0.0.1` and has no checkout: the init is built from
// the same version in the module cache. A file:// GOPROXY serves a stand-in
// v0.0.1 of this module.
func TestGoInitModuleCache(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed: %v", err)
	}
	const version = "v0.0.1"
	proxy := t.TempDir()
	vdir := filepath.Join(proxy, ModulePath, "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "module " + ModulePath + "\n\ngo 1.22\n"
	main, err := os.ReadFile(filepath.Join(testdataDir(t), "tinyinit", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		vdir + "/list":                 version + "\n",
		vdir + "/" + version + ".info": `{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`,
		vdir + "/" + version + ".mod":  gomod,
	}
	for p, s := range files {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zf, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	for name, s := range map[string]string{"go.mod": gomod, "cmd/pxeinit/main.go": string(main)} {
		w, err := zw.Create(ModulePath + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(s))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zf.Close()

	modcache := t.TempDir()
	t.Setenv("GOPROXY", "file://"+proxy)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOMODCACHE", modcache)
	t.Setenv("GOTOOLCHAIN", "local")
	t.Cleanup(func() {
		// The module cache is read-only; let TempDir remove it.
		exec.Command("go", "clean", "-modcache").Run()
	})
	t.Chdir(t.TempDir())

	out := filepath.Join(t.TempDir(), "init")
	g := GoInit{GOARCH: "s390x", Version: version}
	if err := g.Build(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	checkStaticELF(t, out, elf.EM_S390)
}
