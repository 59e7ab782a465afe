package initramfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/internal/compression"
	"github.com/s390netboot/s390netboot/internal/kconfig"
	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

// KexecCheck says how a netboot ramdisk's kernel is checked for kexec
// support, which the netboot client needs to start the target it fetches.
type KexecCheck string

// The checks.
const (
	// KexecCheckAuto (the default) refuses a kernel whose configuration
	// lacks kexec and warns when no configuration is found.
	KexecCheckAuto KexecCheck = "auto"
	// KexecCheckStrict refuses also when no configuration is found.
	KexecCheckStrict KexecCheck = "strict"
	// KexecCheckOff does not check.
	KexecCheckOff KexecCheck = "off"
)

// ParseKexecCheck parses a --kexec-check value.
func ParseKexecCheck(s string) (KexecCheck, error) {
	switch c := KexecCheck(s); c {
	case KexecCheckAuto, KexecCheckStrict, KexecCheckOff:
		return c, nil
	}
	return "", fmt.Errorf("kexec check %q: want auto, strict or off", s)
}

// Errors of CheckFirstStage; test them with errors.Is. A kernel that
// cannot unpack the ramdisk's compression is an ErrNotUnpackable error.
var (
	// ErrCannotKexec reports a kernel built without the kexec system call
	// the netboot client needs: a ramdisk on it can never boot a target.
	ErrCannotKexec = errors.New("the kernel cannot kexec")
	// ErrNoKernelConfig reports that no configuration of the kernel was
	// found, under KexecCheckStrict.
	ErrNoKernelConfig = errors.New("no kernel configuration found")
)

// KernelConfig says where the configuration of a kernel may be found.
type KernelConfig struct {
	// File is the configuration file, when the user named it; the other
	// fields are then not looked at.
	File string
	// Kernel is the kernel image: a config-VERSION next to it counts, and
	// the configuration it embeds (CONFIG_IKCONFIG).
	Kernel string
	// Version is the kernel release ("6.1.0-50-s390x") when known.
	Version string
	// ModulesDir is the kernel's lib/modules/VERSION tree: ROOT/boot/
	// config-VERSION of the tree's root counts, and the build tree's
	// .config (ModulesDir/build, which kernel header packages provide).
	ModulesDir string
}

// Candidates returns the configuration files k names or implies, in the
// order Find tries them.
func (k KernelConfig) Candidates() []string {
	if k.File != "" {
		return []string{k.File}
	}
	var c []string
	add := func(p string) {
		for _, q := range c {
			if q == p {
				return
			}
		}
		c = append(c, p)
	}
	if k.Kernel != "" {
		dir, base := filepath.Split(k.Kernel)
		if v := k.kernelVersion(); v != "" {
			add(filepath.Join(dir, "config-"+v))
		}
		// /boot/vmlinuz-VERSION, as distributions name kernels.
		for _, prefix := range []string{"vmlinuz-", "vmlinux-", "bzImage-", "Image-", "image-"} {
			if v, ok := strings.CutPrefix(base, prefix); ok && v != "" {
				add(filepath.Join(dir, "config-"+v))
			}
		}
	}
	if k.ModulesDir != "" {
		dir := filepath.Clean(k.ModulesDir)
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		version := filepath.Base(dir)
		if k.Version != "" {
			version = k.Version
		}
		// ROOT/lib/modules/VERSION or ROOT/usr/lib/modules/VERSION.
		root := filepath.Dir(filepath.Dir(filepath.Dir(dir)))
		if filepath.Base(filepath.Dir(filepath.Dir(dir))) == "lib" {
			if filepath.Base(root) == "usr" {
				add(filepath.Join(filepath.Dir(root), "boot", "config-"+version))
			}
			add(filepath.Join(root, "boot", "config-"+version))
		}
		add(filepath.Join(dir, "build", ".config"))
	}
	return c
}

// kernelVersion is Version, or the release the kernel image announces
// (the first word of its version string, kexec.Identify).
func (k KernelConfig) kernelVersion() string {
	if k.Version != "" {
		return k.Version
	}
	data, err := os.ReadFile(k.Kernel)
	if err != nil {
		return ""
	}
	if f := strings.Fields(kexec.Identify(data).Version); len(f) > 0 {
		return f[0]
	}
	return ""
}

// RamdiskCheck returns a check of a ramdisk for the kernel k describes,
// for s390image.Options.CheckRamdisk: it refuses a ramdisk the kernel
// cannot unpack (Identify), and when the ramdisk is a netboot ramdisk
// (its /init is InitPackage) a kernel that cannot be its first stage on
// arch (CheckFirstStage with mode).
func RamdiskCheck(arch string, k KernelConfig, mode KexecCheck, log *slog.Logger) func(io.Reader) error {
	return func(r io.Reader) error {
		c, err := Identify(r)
		if err != nil {
			return err
		}
		if c.Init != InitPackage {
			return nil
		}
		var unpack []string
		for _, m := range c.Members {
			unpack = append(unpack, m.Compression)
		}
		return CheckFirstStage(arch, k, unpack, mode, log)
	}
}

// Find returns the kernel's configuration: the first of Candidates that
// exists, else the one the kernel image embeds. It returns nil and no
// error when there is none; a file that exists but does not parse is an
// error.
func (k KernelConfig) Find() (*kconfig.Config, error) {
	for _, p := range k.Candidates() {
		cfg, err := kconfig.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) && k.File == "" {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kernel configuration: %w", err)
		}
		return cfg, nil
	}
	if k.Kernel == "" || k.File != "" {
		return nil, nil
	}
	data, err := os.ReadFile(k.Kernel)
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	cfg, err := kconfig.FromImage(data, k.Kernel)
	if errors.Is(err, kconfig.ErrNoIKConfig) {
		return nil, nil
	}
	return cfg, err
}

// CheckFirstStage checks, from its configuration, that the kernel k
// describes can be the first stage of a netboot ramdisk on arch: that it
// can kexec the way the netboot client does (kexec.RequiredConfig), and
// that it can unpack a ramdisk compressed with the formats named in unpack
// ("gzip", "zstd", ...; "" and "none" for none), which takes the format's
// CONFIG_RD_* option (compression.Format.Config).
//
// A configuration without any of the kexec options is an ErrCannotKexec
// error naming the options and the file; one without a decompressor, an
// ErrNotUnpackable error. When no configuration is found, KexecCheckStrict
// makes that an ErrNoKernelConfig error; KexecCheckAuto logs a warning
// saying so and returns nil.
func CheckFirstStage(arch string, k KernelConfig, unpack []string, mode KexecCheck, log *slog.Logger) error {
	log = logging.Or(log)
	if mode == KexecCheckOff {
		return nil
	}
	if _, err := ParseKexecCheck(string(mode)); err != nil && mode != "" {
		return err
	}
	need := kexec.RequiredConfig(arch)
	if need == nil {
		return nil
	}
	cfg, err := k.Find()
	if err != nil {
		return err
	}
	if cfg == nil {
		places := k.Candidates()
		if k.Kernel != "" {
			places = append(places, "an IKCONFIG in "+k.Kernel)
		}
		looked := "nothing to look at: no kernel, modules directory or configuration given"
		if len(places) > 0 {
			looked = "looked for " + strings.Join(places, ", ")
		}
		if mode == KexecCheckStrict {
			return fmt.Errorf("%w (%s): cannot tell whether the kernel can kexec", ErrNoKernelConfig, looked)
		}
		log.Warn("no kernel configuration found: cannot tell whether the kernel can kexec, which the netboot client needs to start a target",
			"looked", looked)
		return nil
	}
	if err := checkUnpackers(cfg, unpack); err != nil {
		return err
	}
	for _, opt := range need {
		if cfg.Enabled(opt) {
			log.Info("the kernel can kexec", "config", cfg.Source, opt, cfg.Value(opt))
			return nil
		}
	}
	var set []string
	for _, opt := range need {
		set = append(set, opt+" is not set")
	}
	what := "needs it"
	if len(need) > 1 {
		what = "needs one of them"
	}
	return fmt.Errorf("%w: kernel configuration %s: %s; the netboot client on %s %s to start the target it fetches, so this kernel can only be a target, never the first stage",
		ErrCannotKexec, cfg.Source, strings.Join(set, ", "), arch, what)
}

// checkUnpackers checks that the kernel of cfg has the initramfs
// decompressor of each format named in unpack.
func checkUnpackers(cfg *kconfig.Config, unpack []string) error {
	for _, name := range unpack {
		i := slices.IndexFunc(compression.Formats, func(f compression.Format) bool { return f.Name == name })
		if i < 0 || compression.Formats[i].Config == "" {
			continue // none, or one Identify has already refused
		}
		if opt := compression.Formats[i].Config; !cfg.Enabled(opt) {
			return fmt.Errorf("%w: kernel configuration %s: %s is not set, so the kernel cannot unpack a %s-compressed ramdisk", ErrNotUnpackable, cfg.Source, opt, name)
		}
	}
	return nil
}
