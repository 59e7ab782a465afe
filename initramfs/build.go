package initramfs

import (
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/modload"
)

// Arches maps the supported target architectures (GOARCH names) to the ELF
// machine their init and modules must have.
var Arches = map[string]elf.Machine{
	"s390x": elf.EM_S390,
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
}

// DefaultArch is the architecture built when Options.Arch is empty.
const DefaultArch = "s390x"

// CABundleNone as Options.CABundle leaves the CA bundle out.
const CABundleNone = "none"

// hostCABundles are the files Go's crypto/x509 reads on Linux, in its order
// (crypto/x509/root_linux.go, certFiles); the first that exists is the
// host's bundle.
var hostCABundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine Linux
}

// mountPoints are the empty directories the init mounts file systems on.
var mountPoints = []string{"dev", "proc", "sys", "tmp", "run"}

// A module set is a named group of modules for one purpose, per
// architecture; Options.ModuleSets picks sets, and without sets or modules
// the ramdisk gets DefaultModuleSets. All members are optional: what a
// tree lacks, or has built in, is skipped.
const (
	// ModuleSetNet: the network drivers and VLAN tagging (8021q), for
	// the network boot.
	ModuleSetNet = "net"
	// ModuleSetDisk: the block drivers and filesystems the local boot
	// (pxeclient/localboot) needs to read the machine's disks.
	ModuleSetDisk = "disk"
)

// DefaultModuleSets are the sets a ramdisk gets when Options names neither
// sets nor modules.
var DefaultModuleSets = []string{ModuleSetNet, ModuleSetDisk}

// moduleSet is a row of the table of module sets.
type moduleSet struct {
	modules map[string][]string // GOARCH -> the members
	// asyncProbe: the members and their dependencies are loaded with the
	// kernel's async_probe parameter (see asyncProbe).
	asyncProbe bool
	// filesystems are members loaded on demand, not at the init's start:
	// kernel filesystem driver (the type mount(2) takes, as
	// blockdev.FS.Driver names it) -> the modules it needs. They are in
	// modules too; the builder writes each driver's own load order file
	// (modload.FSOrderFile), which the init loads when a disk has that
	// filesystem (modload.LoadFS).
	filesystems map[string][]string
}

// moduleSets is the one table of module sets: set name -> its members on
// each GOARCH, in load order wishes (dependencies are put first anyway).
var moduleSets = map[string]moduleSet{
	ModuleSetNet: {modules: map[string][]string{
		// virtio-net-ccw under KVM and z/VM; the OSA-Express stack (qeth
		// core, layer 2 discipline, ccwgroup bus) on real IBM Z,
		// grouped through sysfs by the init.
		"s390x": {"virtio_net", "ccwgroup", "qeth", "qeth_l2", "8021q"},
		// virtio-net-pci (virtio_pci finds the device) and the Intel
		// NICs QEMU emulates and servers commonly have. virtio_rng: a
		// virtio-rng device then feeds the kernel's random pool, which
		// HTTPS (TLS) needs; a guest whose CPU lacks RDRAND (QEMU's
		// default TCG CPU) otherwise waits for it before its first
		// HTTPS download.
		"amd64": {"virtio_net", "virtio_pci", "virtio_rng", "e1000", "e1000e", "igb", "ixgbe", "8021q"},
		// virtio on QEMU's virt machine (PCI and MMIO transports), the
		// entropy device, and the Intel server NICs.
		"arm64": {"virtio_net", "virtio_pci", "virtio_mmio", "virtio_rng", "igb", "ixgbe", "8021q"},
	}},
	ModuleSetDisk: {asyncProbe: true, filesystems: fsModules, modules: map[string][]string{
		// DASD (ECKD and FBA disciplines) on IBM Z, virtio-blk and
		// virtio-scsi under KVM, and the filesystems.
		"s390x": append([]string{"dasd_eckd_mod", "dasd_fba_mod"}, diskModules...),
		"amd64": diskModules,
		"arm64": diskModules,
	}},
}

// asyncProbe is the kernel's generic module parameter that lets a
// module's drivers probe their devices in the background and its loading
// return without waiting for background work (kernel/module/main.c:
// unknown_module_param_cb sets async_probe_requested; do_init_module
// otherwise calls async_synchronize_full, which waits for every probe
// still running, any module's). A disk driver's probe reads the
// partition table: without the parameter, a disk that never answers
// holds the loading of its driver, and of every module after it, for as
// long as the kernel retries it (minutes for SCSI). With it the disk
// shows up late, or never, and the init's bounded wait for disks
// (pxeinit.diskwait) decides.
const asyncProbe = "async_probe"

// diskModules are the disk set's members on every architecture: the block
// drivers (virtio-blk, virtio-scsi, SCSI disks and CD-ROMs, NVMe, AHCI
// SATA) and the filesystems installed systems boot from.
//
// Two kinds of members are there because the kernel would otherwise ask
// modprobe, which the ramdisk does not have, for a module by an alias:
//   - crc32c_generic: ext4 (metadata_csum, mke2fs's default since 1.43),
//     btrfs and libcrc32c (xfs) ask the crypto API for "crc32c"; their
//     MODULE_SOFTDEP names that alias, not a module file.
//   - the NLS tables of vfat's mount defaults, without which it refuses
//     to mount: the codepage (CONFIG_FAT_DEFAULT_CODEPAGE, 437 in Debian
//     and upstream) and the I/O charset (CONFIG_FAT_DEFAULT_IOCHARSET:
//     "ascii" in Debian, "iso8859-1" upstream; "utf8" for mounts that
//     ask for it).
var diskModules = append([]string{"virtio_blk", "virtio_scsi", "sd_mod", "sr_mod", "nvme", "ahci"}, fsMembers()...)

// fsModules are the disk set's filesystems, loaded on demand (see
// moduleSet.filesystems): each is a big module (xfs takes 2 s and btrfs
// 1.3 s to load in a 1-CPU TCG guest, the network boot's modules 1 s
// together), and a machine needs only those its disks have.
var fsModules = map[string][]string{
	"ext4":    {"crc32c_generic", "ext4"},
	"xfs":     {"crc32c_generic", "xfs"},
	"btrfs":   {"crc32c_generic", "btrfs"},
	"vfat":    {"vfat", "nls_cp437", "nls_ascii", "nls_iso8859-1", "nls_utf8"},
	"iso9660": {"isofs"},
}

// fsMembers are the modules of fsModules, each once, in a fixed order.
func fsMembers() []string {
	var out []string
	for _, d := range slices.Sorted(maps.Keys(fsModules)) {
		for _, m := range fsModules[d] {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// onDemand returns, for the sets opts asks for, the filesystem drivers
// loaded on demand and their members' requests.
func (opts Options) onDemand() map[string][]ModuleRequest {
	out := map[string][]ModuleRequest{}
	for _, s := range opts.sets() {
		for d, ms := range moduleSets[s].filesystems {
			for _, m := range ms {
				out[d] = append(out[d], ModuleRequest{Name: m, Optional: true})
			}
		}
	}
	return out
}

// ErrUnknownModuleSet is returned (wrapped) for a module set name that
// is not in the table.
var ErrUnknownModuleSet = errors.New("unknown module set")

// ModuleSets returns the names of the module sets, sorted.
func ModuleSets() []string {
	var names []string
	for n := range moduleSets {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SetModules returns the members of the sets (names from ModuleSets) for
// arch (a GOARCH name), each once, as optional requests.
func SetModules(sets []string, arch string) ([]ModuleRequest, error) {
	for _, s := range sets {
		if _, ok := moduleSets[s]; !ok {
			return nil, fmt.Errorf("module set %q: %w (want %s)", s, ErrUnknownModuleSet, strings.Join(ModuleSets(), ", "))
		}
	}
	return setMembers(sets, arch), nil
}

// DefaultModules returns the modules of DefaultModuleSets for arch (a
// GOARCH name).
func DefaultModules(arch string) []ModuleRequest { return setMembers(DefaultModuleSets, arch) }

// setMembers returns the members of the known sets among sets for arch,
// each once, as optional requests.
func setMembers(sets []string, arch string) []ModuleRequest {
	var reqs []ModuleRequest
	seen := map[string]bool{}
	for _, s := range sets {
		for _, n := range moduleSets[s].modules[arch] {
			if !seen[normName(n)] {
				seen[normName(n)] = true
				reqs = append(reqs, ModuleRequest{Name: n, Optional: true})
			}
		}
	}
	return reqs
}

// File is an extra file for the archive.
type File struct {
	Src  string // file on the host
	Dest string // path in the archive
}

// ParseFile parses "SRC:DEST" (split at the last colon).
func ParseFile(s string) (File, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 || i == len(s)-1 {
		return File{}, fmt.Errorf("file %q: want SRC:DEST", s)
	}
	return File{Src: s[:i], Dest: s[i+1:]}, nil
}

// ParseModule parses a --module value: a module name, optionally followed by
// blanks and the module's parameters ("virtio_net napi_tx=1").
func ParseModule(s string) (ModuleRequest, error) {
	s = strings.TrimSpace(s)
	name, params := s, ""
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		name, params = s[:i], strings.TrimSpace(s[i+1:])
	}
	if name == "" || strings.ContainsAny(name, "/=\n") {
		return ModuleRequest{}, fmt.Errorf("module %q: want a module name, then optional parameters", s)
	}
	name = strings.TrimSuffix(name, ".ko")
	return ModuleRequest{Name: name, Params: params}, nil
}

// Options describe a netboot ramdisk.
type Options struct {
	// Arch is the target GOARCH: s390x (the default), amd64 or arm64.
	Arch string
	// Init is a prebuilt init binary. "" builds one with InitBuild.
	Init string
	// InitBuild builds the init when Init is ""; its GOARCH is set from
	// Arch.
	InitBuild GoInit
	// ModulesDir is a lib/modules/VERSION tree; "" means no modules.
	ModulesDir string
	// Modules to include with their dependencies, besides those of
	// ModuleSets.
	Modules []ModuleRequest
	// ModuleSets are module sets (ModuleSetNet, ModuleSetDisk) whose
	// members for Arch are included, each optional. With ModuleSets and
	// Modules both nil the ramdisk gets DefaultModuleSets; with Modules
	// alone, only those.
	ModuleSets []string
	// KernelConfig is the configuration file of the kernel the ramdisk
	// is for; "" looks for it from ModulesDir (KernelConfig.Candidates).
	KernelConfig string
	// KexecCheck says how that kernel is checked for the kexec support
	// the client needs to start a target and the decompressor for
	// Compression (CheckFirstStage); "" means
	// KexecCheckAuto.
	KexecCheck KexecCheck
	// Files are extra files.
	Files []File
	// CABundle is the PEM file installed as modload.CABundle: "" means the
	// host's (the first of Go's certFiles that exists), CABundleNone none.
	CABundle string
	// TrustKey is a minisign public key file: when set, it is installed
	// as modload.TrustedKey and the client boots only files with a valid
	// detached signature by that key (signed boot, internal/signedboot).
	TrustKey string
	// Compression of the archive; "" means Gzip.
	Compression Compression
	// ModTime is every record's modification time (seconds since 1970);
	// mkpxeramfs sets it from SOURCE_DATE_EPOCH.
	ModTime uint32
	// Logger receives progress; nil discards.
	Logger *slog.Logger
}

// Result describes a built ramdisk.
type Result struct {
	Modules      []Module // in load order
	InitSize     int64    // bytes
	CABundle     string   // the bundle used, "" for none
	TrustKeyID   string   // the trusted signing key's id (hex), "" for none
	Uncompressed int64    // archive bytes before compression
	Compressed   int64    // bytes written
}

// Build assembles the ramdisk described by opts and writes it, compressed,
// to w.
func Build(ctx context.Context, w io.Writer, opts Options) (*Result, error) {
	a, res, err := Assemble(ctx, opts)
	if err != nil {
		return nil, err
	}
	cw := &countWriter{w: w}
	zw, err := opts.Compression.NewWriter(cw)
	if err != nil {
		return nil, err
	}
	n, err := a.WriteTo(zw, opts.ModTime)
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the archive (%s): %w", opts.Compression, err)
	}
	res.Uncompressed, res.Compressed = n, cw.n
	return res, nil
}

// WriteFile builds the ramdisk into the file name. The file appears only
// when complete: it is written under a temporary name and renamed.
func WriteFile(ctx context.Context, name string, opts Options) (*Result, error) {
	f, err := atomicfile.Create(name, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Abort()
	res, err := Build(ctx, f, opts)
	if err != nil {
		return nil, err
	}
	if err := f.Commit(); err != nil {
		return nil, err
	}
	return res, nil
}

// Assemble collects the ramdisk's contents without writing them.
func Assemble(ctx context.Context, opts Options) (*Archive, *Result, error) {
	logger := logging.Or(opts.Logger)
	arch := opts.Arch
	if arch == "" {
		arch = DefaultArch
	}
	machine, ok := Arches[arch]
	if !ok {
		return nil, nil, fmt.Errorf("architecture %q: want s390x, amd64 or arm64", arch)
	}
	if _, err := opts.Compression.NewWriter(io.Discard); err != nil {
		return nil, nil, err
	}
	if _, err := SetModules(opts.ModuleSets, arch); err != nil {
		return nil, nil, err
	}
	// A kernel that cannot kexec can never boot a target, one without
	// the decompressor cannot unpack the ramdisk: refuse it before any
	// work.
	kc := KernelConfig{File: opts.KernelConfig, ModulesDir: opts.ModulesDir}
	if err := CheckFirstStage(arch, kc, []string{string(opts.Compression.orDefault())}, opts.KexecCheck, logger); err != nil {
		return nil, nil, err
	}
	a := &Archive{}
	res := &Result{}

	// The init.
	initData, err := loadInit(ctx, opts, arch, logger)
	if err != nil {
		return nil, nil, err
	}
	if err := checkInit(initData, machine); err != nil {
		name := opts.Init
		if name == "" {
			name = "built init"
		}
		return nil, nil, fmt.Errorf("init %s: %w", name, err)
	}
	res.InitSize = int64(len(initData))
	if err := a.AddFile(modload.InitPath, initData, 0o755); err != nil {
		return nil, nil, err
	}

	// Device nodes and mount points.
	if err := a.AddConsoleNodes(); err != nil {
		return nil, nil, err
	}
	for _, d := range mountPoints {
		if err := a.AddDir(d); err != nil {
			return nil, nil, err
		}
	}

	// Modules and their load order.
	if err := addModules(a, res, opts, arch, machine, logger); err != nil {
		return nil, nil, err
	}

	// The CA bundle.
	if err := addCABundle(a, res, opts.CABundle, logger); err != nil {
		return nil, nil, err
	}

	// The signing key of signed boot.
	if err := addTrustKey(a, res, opts.TrustKey, logger); err != nil {
		return nil, nil, err
	}

	// Extra files.
	for _, f := range opts.Files {
		data, err := os.ReadFile(f.Src)
		if err != nil {
			return nil, nil, fmt.Errorf("file %s: %w", f.Src, err)
		}
		st, err := os.Stat(f.Src)
		if err != nil {
			return nil, nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("file %s: not a regular file", f.Src)
		}
		if err := a.AddFile(f.Dest, data, uint64(st.Mode().Perm())); err != nil {
			return nil, nil, fmt.Errorf("file %s: %w", f.Src, err)
		}
	}
	return a, res, nil
}

func loadInit(ctx context.Context, opts Options, arch string, logger *slog.Logger) ([]byte, error) {
	if opts.Init != "" {
		data, err := os.ReadFile(opts.Init)
		if err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
		return data, nil
	}
	dir, err := os.MkdirTemp("", "mkpxeramfs-init")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "init")
	g := opts.InitBuild
	g.GOARCH = arch
	if g.Logger == nil {
		g.Logger = logger
	}
	if err := g.Build(ctx, out); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

// ErrBadInit is returned (wrapped) for an init the kernel could not run.
var ErrBadInit = errors.New("unusable init")

// checkInit makes sure the init is a static ELF executable for machine.
func checkInit(data []byte, machine elf.Machine) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: not an ELF executable: %w", ErrBadInit, err)
	}
	defer f.Close()
	if f.Machine != machine {
		return fmt.Errorf("%w: built for %s, the target needs %s", ErrBadInit, f.Machine, machine)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return fmt.Errorf("%w: ELF type %s is not an executable", ErrBadInit, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%w: dynamically linked (has an ELF interpreter); build it with CGO_ENABLED=0", ErrBadInit)
		}
	}
	return nil
}

func addModules(a *Archive, res *Result, opts Options, arch string, machine elf.Machine, logger *slog.Logger) error {
	if opts.ModulesDir == "" {
		if len(opts.Modules) > 0 {
			return fmt.Errorf("modules %v requested but no modules directory given", opts.Modules)
		}
		logger.Warn("no modules directory: the ramdisk has no kernel modules; the network driver must be built into the kernel")
		return nil
	}
	tree, err := OpenModuleTree(opts)
	if err != nil {
		return err
	}
	reqs, err := opts.moduleRequests(arch)
	if err != nil {
		return err
	}
	mods, err := tree.Resolve(reqs)
	if err != nil {
		return err
	}
	// A driver is no use without the transport that finds its devices.
	add, missing, err := tree.Transports(arch, mods)
	if err != nil {
		return err
	}
	for _, m := range missing {
		logger.Warn(m)
	}
	if len(add) > 0 {
		var names []string
		for _, r := range add {
			names = append(names, r.Name)
		}
		logger.Info("adding the bus transports the drivers need", "modules", names)
		if mods, err = tree.Resolve(append(slices.Clip(reqs), add...)); err != nil {
			return err
		}
	}
	if err := setAsyncProbe(tree, mods, opts, arch); err != nil {
		return err
	}
	early, fsOrders, err := splitOnDemand(tree, mods, append(slices.Clip(reqs), add...), opts)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if m.Machine != machine {
			return fmt.Errorf("module %s in %s is built for %s, the target %s needs %s", m.Path, opts.ModulesDir, m.Machine, arch, machine)
		}
		if err := a.AddFile(m.ArchivePath(), m.Data, 0o644); err != nil {
			return err
		}
		logger.Info("module", "name", m.Name, "path", m.Path, "bytes", len(m.Data), "on-demand", !early[m.Name])
	}
	res.Modules = mods
	var order []Module
	for _, m := range mods {
		if early[m.Name] {
			order = append(order, m)
		}
	}
	if err := a.AddFile(modload.LoadOrderFile, loadOrder(order, "at the init's start"), 0o644); err != nil {
		return err
	}
	for _, d := range slices.Sorted(maps.Keys(fsOrders)) {
		if err := a.AddFile(modload.FSOrderFile(d), loadOrder(fsOrders[d], "when a disk has a "+d+" filesystem"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// loadOrder is the text of a load order file of mods.
func loadOrder(mods []Module, when string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Kernel modules in load order, loaded %s; written by mkpxeramfs.\n# Format: see package github.com/s390netboot/s390netboot/internal/modload.\n", when)
	for _, m := range mods {
		fmt.Fprintln(&b, modload.Entry{Path: m.ArchivePath(), Params: m.Params})
	}
	return []byte(b.String())
}

// splitOnDemand parts mods (the closure of all requests) into the modules
// the init loads at its start (early, by name) and, per filesystem driver
// loaded on demand, the modules only that driver needs, in load order.
// A module that a request other than a filesystem's needs is early
// (also a filesystem named with --module).
func splitOnDemand(tree *ModuleTree, mods []Module, all []ModuleRequest, opts Options) (early map[string]bool, fs map[string][]Module, err error) {
	onDemand := opts.onDemand()
	fsOnly := map[string]bool{}
	for _, rs := range onDemand {
		for _, r := range rs {
			fsOnly[normName(r.Name)] = true
		}
	}
	for _, r := range opts.Modules {
		delete(fsOnly, normName(r.Name))
	}
	var base []ModuleRequest
	for _, r := range all {
		if !fsOnly[normName(r.Name)] {
			base = append(base, r)
		}
	}
	baseMods, err := tree.Resolve(base)
	if err != nil {
		return nil, nil, err
	}
	early = map[string]bool{}
	for _, m := range baseMods {
		early[m.Name] = true
	}
	byName := map[string]Module{}
	for _, m := range mods {
		byName[m.Name] = m // with the parameters setAsyncProbe gave
	}
	fs = map[string][]Module{}
	for d, rs := range onDemand {
		closure, err := tree.Resolve(rs)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range closure {
			if mm, ok := byName[m.Name]; ok && !early[m.Name] {
				fs[d] = append(fs[d], mm)
			}
		}
	}
	return early, fs, nil
}

// moduleRequests returns the modules opts asks for on arch: its own
// modules, then the members of its sets. Its own come first so that one
// the tree lacks is an error even when a set has it too (a set's members
// are optional).
func (opts Options) moduleRequests(arch string) ([]ModuleRequest, error) {
	reqs, err := SetModules(opts.sets(), arch)
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(opts.Modules), reqs...), nil
}

// sets returns the module sets opts asks for.
func (opts Options) sets() []string {
	if opts.ModuleSets == nil && opts.Modules == nil {
		return DefaultModuleSets
	}
	return opts.ModuleSets
}

// setAsyncProbe adds asyncProbe to the parameters of the modules of mods
// that are members of opts's asyncProbe sets on arch or their
// dependencies.
func setAsyncProbe(tree *ModuleTree, mods []Module, opts Options, arch string) error {
	var sets []string
	for _, s := range opts.sets() {
		if moduleSets[s].asyncProbe {
			sets = append(sets, s)
		}
	}
	if len(sets) == 0 {
		return nil
	}
	closure, err := tree.Resolve(setMembers(sets, arch))
	if err != nil {
		return err
	}
	async := map[string]bool{}
	for _, m := range closure {
		async[m.Name] = true
	}
	for i, m := range mods {
		if async[m.Name] && !slices.Contains(strings.Fields(m.Params), asyncProbe) {
			mods[i].Params = strings.TrimSpace(m.Params + " " + asyncProbe)
		}
	}
	return nil
}

func addCABundle(a *Archive, res *Result, bundle string, logger *slog.Logger) error {
	if bundle == CABundleNone {
		return nil
	}
	if bundle == "" {
		for _, p := range hostCABundles {
			if _, err := os.Stat(p); err == nil {
				bundle = p
				break
			}
		}
		if bundle == "" {
			return fmt.Errorf("no CA bundle on this host (looked for %s): name one, or pass %q to leave HTTPS without trusted roots", strings.Join(hostCABundles, ", "), CABundleNone)
		}
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		return fmt.Errorf("CA bundle: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(data) {
		return fmt.Errorf("CA bundle %s: no PEM certificate in it", bundle)
	}
	logger.Info("CA bundle", "file", bundle, "bytes", len(data))
	res.CABundle = bundle
	return a.AddFile(modload.CABundle, data, 0o644)
}

// addTrustKey checks that file is a minisign public key and installs it
// where the init looks for it. A key that does not parse is refused here,
// at build time, rather than stopping every boot later.
func addTrustKey(a *Archive, res *Result, file string, logger *slog.Logger) error {
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("trusted key: %w", err)
	}
	key, err := minisign.ParsePublicKey(data)
	if err != nil {
		return fmt.Errorf("trusted key %s: %w", file, err)
	}
	res.TrustKeyID = key.ID.String()
	logger.Info("trusted signing key", "file", file, "key_id", res.TrustKeyID)
	return a.AddFile(modload.TrustedKey, data, 0o644)
}
