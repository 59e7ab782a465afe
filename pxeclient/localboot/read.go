package localboot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/bls"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/grub"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// Options says how Read reads the configs.
type Options struct {
	// Arch is the GOARCH of the kernels that can boot ("" is
	// runtime.GOARCH): BLS entries for another architecture are hidden,
	// GRUB's $grub_cpu follows it.
	Arch string
	// Platform is GRUB's $grub_platform: "efi" or "pc" ("" is "efi").
	Platform string
	// Refuse, when set, is why no entry found on a disk may boot (signed
	// boot: signedboot.Policy.LocalRefused): every entry is listed with
	// it as its Reason and nothing boots unattended.
	Refuse error
	// Logger gets what was found and read; nil discards it.
	Logger *slog.Logger
}

// Result is what Read found.
type Result struct {
	// Menu is the configs' menus merged (see the package doc); nil when
	// no config gave an entry.
	Menu *bootmenu.Menu
	// Configs are the configs found (Find), in order; Used those whose
	// menu is part of Menu.
	Configs []Config
	Used    []Config
	// Volumes is how many volumes were looked at.
	Volumes int
}

// Entries is the number of entries in the menu.
func (r *Result) Entries() int {
	if r.Menu == nil {
		return 0
	}
	return len(r.Menu.Entries)
}

// ConfigError is a config that could not be read at all (missing after
// Find saw it, too large, a broken file system); it names the config
// and wraps the parser's error. Read keeps it as a warning of the menu.
type ConfigError struct {
	Config string // "vda2:/boot/grub/grub.cfg"
	Err    error
}

func (e *ConfigError) Error() string { return e.Config + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Where is the config (bootmenu.Located).
func (e *ConfigError) Where() (string, int) { return e.Config, 0 }

// Read finds the configs on vols (Find), reads each with its parser and
// merges their menus into one (bootmenu.Merge), a group per config
// titled by volume and path, in Find's order, so the unattended choice
// is the default of the first config that has one. A volume whose
// grub.cfg uses blscfg gives its BLS entries through GRUB only. A config
// whose bootable entries all repeat those of an earlier one (an ESP's
// grub.cfg that loads the one in /boot) is left out; so is one without
// entries, whose warnings are kept. Nothing is written to any volume.
func Read(ctx context.Context, vols []*volume.Volume, o Options) *Result {
	log := logging.Or(o.Logger)
	if o.Arch == "" {
		o.Arch = runtime.GOARCH
	}
	res := &Result{Configs: Find(vols)}
	for _, v := range vols {
		if v != nil {
			res.Volumes++
		}
	}
	grubBLS := blscfgVolumes(res.Configs, log)
	var parts []bootmenu.Part
	var warnings []error
	seen := map[string]string{} // what an entry boots -> the config that has it
	for _, c := range res.Configs {
		if c.Kind == BLS && grubBLS[c.Volume] {
			log.Info("BLS entries read through GRUB's blscfg", "entries", c.Name())
			continue
		}
		if ctx.Err() != nil {
			warnings = append(warnings, &ConfigError{Config: c.Name(), Err: ctx.Err()})
			continue
		}
		m, err := readConfig(ctx, c, vols, o)
		if err != nil {
			log.Warn("cannot read config", "config", c.Name(), "err", err)
			warnings = append(warnings, &ConfigError{Config: c.Name(), Err: err})
			continue
		}
		if len(m.Entries) == 0 {
			log.Info("config without entries", "config", c.Name(), "warnings", len(m.Warnings))
			warnings = append(warnings, m.Warnings...)
			continue
		}
		if first := repeats(m, seen); first != "" {
			log.Info("config left out: its entries are those of another", "config", c.Name(), "same_as", first)
			continue
		}
		for _, e := range m.Entries {
			if k := bootKey(e); k != "" {
				if _, ok := seen[k]; !ok {
					seen[k] = c.Name()
				}
			}
		}
		for _, e := range m.Listed() {
			e.Origin.Volume = c.Volume.Name
		}
		log.Info("config read", "config", c.Name(), "entries", len(m.Entries), "warnings", len(m.Warnings))
		parts = append(parts, bootmenu.Part{Title: c.Title(), Menu: m})
		res.Used = append(res.Used, c)
	}
	if len(parts) == 0 {
		if len(warnings) > 0 {
			res.Menu = &bootmenu.Menu{Tried: []string{}, Warnings: warnings}
		}
		return res
	}
	m := bootmenu.Merge(parts)
	m.Warnings = append(m.Warnings, warnings...)
	if o.Refuse != nil {
		refuse(m, o.Refuse)
	}
	res.Menu = m
	return res
}

// readConfig reads one config with its parser.
func readConfig(ctx context.Context, c Config, vols []*volume.Volume, o Options) (*bootmenu.Menu, error) {
	switch c.Kind {
	case BLS:
		r, err := bls.Load(c.Volume.FS, bls.Options{Arch: o.Arch, Vars: blsVars(c.Volume, vols, o.Logger), Roots: c.Roots, Logger: o.Logger})
		if err != nil {
			return nil, err
		}
		return r.Menu(c.Volume), nil
	case GRUB:
		return grub.Interpret(ctx, grub.Options{Volumes: vols, Root: c.Volume, Path: c.Path, Arch: o.Arch, Platform: o.Platform, Logger: o.Logger})
	case Extlinux:
		return extlinuxMenu(ctx, c.Volume, c.Path, o.Logger)
	}
	return nil, fmt.Errorf("no parser for %s configs", c.Kind)
}

// bootKey is what e boots, for finding repeated entries: kernel,
// initrds and command line ("" for an entry that cannot boot).
func bootKey(e *bootmenu.Entry) string {
	if e.Kind != bootmenu.Linux || e.Kernel.URL == "" {
		return ""
	}
	k := []string{e.Kernel.URL, e.Kernel.Section, e.Cmdline}
	for _, f := range e.Initrds {
		k = append(k, f.URL, f.Section)
	}
	return strings.Join(k, "\x00")
}

// repeats gives the config an earlier menu had all bootable entries of
// m in ("" when m boots something new, or nothing).
func repeats(m *bootmenu.Menu, seen map[string]string) string {
	first := ""
	for _, e := range m.Entries {
		k := bootKey(e)
		if k == "" {
			continue
		}
		c, ok := seen[k]
		if !ok {
			return ""
		}
		if first == "" {
			first = c
		}
	}
	return first
}

// refuse lists every entry of m as one that cannot boot, for why, and
// leaves nothing to boot unattended or on Enter.
func refuse(m *bootmenu.Menu, why error) {
	for _, e := range m.Listed() {
		if e.Bootable() {
			e.Kind, e.Reason = bootmenu.Other, why.Error()
		}
	}
	m.Auto = bootmenu.Auto{Forever: true}
	m.Enter = bootmenu.Choice{}
	m.Quiet = false
}

// blscfgVolumes are the volumes whose grub.cfg runs blscfg (Fedora,
// RHEL): their BLS entries come through GRUB, which adds its variables
// and its default.
func blscfgVolumes(cfgs []Config, log *slog.Logger) map[*volume.Volume]bool {
	out := map[*volume.Volume]bool{}
	for _, c := range cfgs {
		if c.Kind != GRUB || out[c.Volume] {
			continue
		}
		uses, err := usesBlscfg(c)
		if err != nil {
			log.Debug("cannot look for blscfg", "config", c.Name(), "err", err)
		}
		if uses && slices.ContainsFunc(cfgs, func(b Config) bool { return b.Kind == BLS && b.Volume == c.Volume }) {
			out[c.Volume] = true
		}
	}
	return out
}

// maxBlscfgScan bounds how much of a grub.cfg usesBlscfg reads: Fedora's
// runs blscfg in its first few KiB, and a huge file is not read whole
// for this.
const maxBlscfgScan = 1 << 20

// usesBlscfg reports whether the grub.cfg c runs the blscfg command (a
// line whose first word it is: Fedora's 10_linux writes "insmod blscfg"
// and then "blscfg").
func usesBlscfg(c Config) (bool, error) {
	f, err := c.Volume.FS.Open(volume.Clean(c.Path))
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, maxBlscfgScan))
	for sc.Scan() {
		if w := strings.Fields(sc.Text()); len(w) > 0 && w[0] == "blscfg" {
			return true, nil
		}
	}
	return false, sc.Err()
}

// grubenvPlaces are where a volume holding BLS entries keeps GRUB's
// environment block (Fedora, RHEL: grub2/grubenv on /boot; Fedora before
// 34 on EFI: EFI/fedora/grubenv on the ESP of the same disk).
var grubenvPlaces = []string{"grub2/grubenv", "boot/grub2/grubenv", "grub/grubenv", "boot/grub/grubenv", "EFI/*/grubenv"}

// blsVars are the variables BLS entries on v may use ($kernelopts,
// $tuned_params, $tuned_initrd): the first grubenv found on v, else on
// another volume of the same disk (grub.ReadEnv). None is no error:
// entries without variables need none, and the BLS source warns of each
// variable it cannot expand.
func blsVars(v *volume.Volume, vols []*volume.Volume, log *slog.Logger) map[string]string {
	log = logging.Or(log)
	candidates := []*volume.Volume{v}
	for _, o := range vols {
		if o != nil && o != v && o.FS != nil && o.Disk == v.Disk && o.DiskIndex == v.DiskIndex {
			candidates = append(candidates, o)
		}
	}
	for _, c := range candidates {
		for _, p := range grubenvPlaces {
			for _, name := range match(c.FS, p) {
				data, err := readSmall(c, name, grub.MaxEnvSize)
				if err != nil {
					log.Warn("cannot read grubenv", "file", c.File(name).Name, "err", err)
					continue
				}
				env, err := grub.ReadEnv(data)
				if err != nil {
					log.Warn("grubenv", "file", c.File(name).Name, "err", err)
				}
				if env != nil {
					log.Debug("BLS variables from grubenv", "file", c.File(name).Name, "variables", len(env))
					return env
				}
			}
		}
	}
	return nil
}

// readSmall reads the file name of v, refusing one above max bytes.
func readSmall(v *volume.Volume, name string, max int64) ([]byte, error) {
	f, err := v.FS.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than %d bytes", max)
	}
	return data, nil
}
