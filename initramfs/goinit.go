package initramfs

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
)

// ModulePath is this project's Go module, which holds the default init.
const ModulePath = "github.com/s390netboot/s390netboot"

// InitPackage is the default init's import path.
const InitPackage = ModulePath + "/cmd/pxeinit"

// ErrNoInitSource is returned (wrapped) when the default init cannot be built
// because no source for it was found.
var ErrNoInitSource = errors.New("no source for the init")

// GoInit says how to build a Go init for the ramdisk.
//
// The source is found in this order:
//
//  1. Dir, when set: a directory inside a checkout of the module;
//  2. the working directory, when it is inside a checkout of ModulePath
//     (found by walking up to its go.mod);
//  3. the module version the running program was built from (recorded by
//     `go install github.com/s390netboot/s390netboot/cmd/mkpxeramfs@VERSION`),
//     fetched with `go mod download -json ModulePath@VERSION`. `go install`
//     leaves that version in the module cache, so this works offline, and
//     the init then matches the tool's version.
//
// The init is built with the go command on PATH (or Go) as
// CGO_ENABLED=0 GOOS=linux GOARCH=<GOARCH> go build -trimpath -ldflags='-s -w'.
type GoInit struct {
	GOARCH  string // target architecture, e.g. "s390x"
	Package string // package to build; "" means InitPackage
	Dir     string // source directory; see above
	Version string // module version for step 3; "" means the running program's
	Go      string // go command; "" means "go" from PATH
	Logger  *slog.Logger
}

// Build builds the init into the file out.
func (g GoInit) Build(ctx context.Context, out string) error {
	logger := logging.Or(g.Logger)
	goCmd := cmp.Or(g.Go, "go")
	pkg := cmp.Or(g.Package, InitPackage)
	dir, fromCache, err := g.source(ctx, goCmd)
	if err != nil {
		return err
	}
	env := append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+g.GOARCH)
	if fromCache {
		// The module cache is read-only and has no go.work around it.
		env = append(env, "GOFLAGS=-mod=readonly", "GOWORK=off")
	}
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg}
	logger.Info("building the init", "package", pkg, "dir", dir, "GOARCH", g.GOARCH)
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("GOARCH=%s %s %s (in %s): %w\n%s", g.GOARCH, goCmd, strings.Join(args, " "), dir, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

// source returns the directory to build in and whether it is in the module
// cache.
func (g GoInit) source(ctx context.Context, goCmd string) (string, bool, error) {
	if g.Dir != "" {
		return g.Dir, false, nil
	}
	if wd, err := os.Getwd(); err == nil {
		if root, ok := findModuleRoot(wd, ModulePath); ok {
			return root, false, nil
		}
	}
	version := g.Version
	if version == "" {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == ModulePath {
			version = bi.Main.Version
		}
	}
	if version == "" || version == "(devel)" {
		return "", false, fmt.Errorf("%w: not inside a checkout of %s and this program has no module version (it was not installed with `go install %s/cmd/mkpxeramfs@VERSION`); build the init yourself and pass its path", ErrNoInitSource, ModulePath, ModulePath)
	}
	dir, err := downloadModule(ctx, goCmd, ModulePath+"@"+version)
	if err != nil {
		return "", false, fmt.Errorf("%w: %w", ErrNoInitSource, err)
	}
	return dir, true, nil
}

// findModuleRoot walks up from dir to the first go.mod and reports whether
// it declares module mod.
func findModuleRoot(dir, mod string) (string, bool) {
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			defer f.Close()
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "module" {
					return dir, strings.Trim(fs[1], `"`) == mod
				}
			}
			return dir, false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// downloadModule runs `go mod download -json mod@version` and returns the
// module's directory in the module cache.
func downloadModule(ctx context.Context, goCmd, modVersion string) (string, error) {
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir() // outside any module, so no go.mod is consulted
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	var res struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &res); jerr == nil && res.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, res.Error)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("go mod download %s: %w\n%s", modVersion, err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	if res.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory in its output %.200q", modVersion, out)
	}
	return res.Dir, nil
}
