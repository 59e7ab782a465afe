package initramfs

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// compressFor compresses data as the file name's extension says, with
// the ramdisk's own compressors.
func compressFor(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var c Compression
	switch {
	case strings.HasSuffix(name, ".xz"):
		c = XZ
	case strings.HasSuffix(name, ".zst"):
		c = Zstd
	case strings.HasSuffix(name, ".gz"):
		c = Gzip
	default:
		return data
	}
	var b bytes.Buffer
	w, err := c.NewWriter(&b)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatalf("%s compression of %s: %v", c, name, err)
	}
	return b.Bytes()
}

// fakeTree writes a lib/modules/VERSION tree: module files (compressed by
// their extension) with the given .modinfo depends=/softdep= strings, plus
// any other files given verbatim.
func fakeTree(t testing.TB, machine elf.Machine, mods map[string][]string, other map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, info := range mods {
		name := filepath.Base(rel)
		name = name[:strings.Index(name, ".ko")]
		data := fakeModule(t, machine, append([]string{"name=" + strings.ReplaceAll(name, "-", "_")}, info...)...)
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, compressFor(t, rel, data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for rel, s := range other {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// netTree is a small tree shaped like a distribution's network drivers.
var netTree = map[string][]string{
	"kernel/drivers/net/virtio_net.ko.xz":      {"depends=net_failover"},
	"kernel/drivers/net/net_failover.ko.zst":   {"depends=failover"},
	"kernel/net/core/failover.ko.gz":           {"depends="},
	"kernel/drivers/net/igb.ko":                {"depends=dca,i2c-algo-bit", "softdep=pre: crc_pre post: crc_post absent_post"},
	"kernel/drivers/dca/dca.ko":                {},
	"kernel/drivers/i2c/algos/i2c-algo-bit.ko": {},
	"kernel/lib/crc_pre.ko":                    {},
	"kernel/lib/crc_post.ko":                   {},
	"kernel/drivers/net/needs_builtin.ko":      {"depends=virtio"},
	"kernel/drivers/net/needs_missing.ko":      {"depends=nowhere"},
	"kernel/drivers/net/cycle_a.ko":            {"depends=cycle_b"},
	"kernel/drivers/net/cycle_b.ko":            {"depends=cycle_a"},
	"kernel/drivers/net/bad_modinfo.ko":        {"garbage-without-equals"},
}

func TestResolve(t *testing.T) {
	dir := fakeTree(t, elf.EM_S390, netTree, map[string]string{
		"modules.builtin": "kernel/drivers/virtio/virtio.ko\n",
		"modules.order":   "ignored\n",
	})
	tree, err := OpenModuleTree(Options{ModulesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		reqs  []ModuleRequest
		want  []string
		paths []string
		err   error
	}{
		{
			name:  "closure in load order, every compression",
			reqs:  []ModuleRequest{{Name: "virtio_net"}},
			want:  []string{"failover", "net_failover", "virtio_net"},
			paths: []string{"lib/modules/kernel/net/core/failover.ko", "lib/modules/kernel/drivers/net/net_failover.ko", "lib/modules/kernel/drivers/net/virtio_net.ko"},
		},
		{
			name: "dashes, softdeps, shared deps once",
			reqs: []ModuleRequest{{Name: "igb"}, {Name: "i2c_algo_bit"}, {Name: "virtio-net"}},
			want: []string{"crc_pre", "dca", "i2c_algo_bit", "igb", "crc_post", "failover", "net_failover", "virtio_net"},
		},
		{name: "built-in dependency", reqs: []ModuleRequest{{Name: "needs_builtin"}}, want: []string{"needs_builtin"}},
		{name: "built-in request", reqs: []ModuleRequest{{Name: "virtio"}}},
		{name: "optional missing", reqs: []ModuleRequest{{Name: "qeth", Optional: true}, {Name: "dca"}}, want: []string{"dca"}},
		{name: "missing", reqs: []ModuleRequest{{Name: "qeth"}}, err: ErrModuleNotFound},
		{name: "missing dependency", reqs: []ModuleRequest{{Name: "needs_missing", Optional: true}}, err: ErrModuleNotFound},
		{name: "cycle", reqs: []ModuleRequest{{Name: "cycle_a"}}, err: errAny},
		{name: "bad modinfo", reqs: []ModuleRequest{{Name: "bad_modinfo"}}, err: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mods, err := tree.Resolve(tt.reqs)
			if tt.err == errAny {
				if err == nil {
					t.Fatalf("Resolve() = %q, want an error", Names(mods))
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("Resolve() error = %v, want %v", err, tt.err)
			}
			if got := Names(mods); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve() = %q, want %q", got, tt.want)
			}
			for i, p := range tt.paths {
				if got := mods[i].ArchivePath(); got != p {
					t.Errorf("module %d archive path %q, want %q", i, got, p)
				}
			}
			for _, m := range mods {
				if _, err := elf.NewFile(bytes.NewReader(m.Data)); err != nil || m.Machine != elf.EM_S390 {
					t.Errorf("%s: not decompressed to an s390 ELF file (%s, %v)", m.Path, m.Machine, err)
				}
			}
		})
	}
}

// errAny marks test cases that only need some error.
var errAny = errors.New("any error")

func TestResolveErrorNamesModuleAndTree(t *testing.T) {
	dir := fakeTree(t, elf.EM_S390, netTree, nil)
	tree, err := OpenModuleTree(Options{ModulesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tree.Resolve([]ModuleRequest{{Name: "needs_missing"}})
	for _, s := range []string{`"nowhere"`, "needs_missing", dir, "nowhere.ko.xz"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("error %v does not mention %s", err, s)
		}
	}
}

func TestResolveModulesDep(t *testing.T) {
	// modules.dep overrides .modinfo: here it gives igb a dependency its
	// .modinfo lacks and leaves out the file not listed.
	dir := fakeTree(t, elf.EM_X86_64, map[string][]string{
		"kernel/a.ko":        {},
		"kernel/b.ko.xz":     {"depends=not_used"},
		"updates/b.ko":       {},
		"kernel/c/c-dash.ko": {},
	}, map[string]string{
		"modules.dep": "kernel/a.ko: kernel/b.ko.xz kernel/c/c-dash.ko\nkernel/b.ko.xz: kernel/c/c-dash.ko\nkernel/c/c-dash.ko:\n",
	})
	tree, err := OpenModuleTree(Options{ModulesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mods, err := tree.Resolve([]ModuleRequest{{Name: "a", Params: "x=1"}, {Name: "c-dash", Params: "y=2"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mods {
		got = append(got, m.Path+"|"+m.Params)
	}
	want := []string{"kernel/c/c-dash.ko|y=2", "kernel/b.ko.xz|", "kernel/a.ko|x=1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve() = %q, want %q", got, want)
	}
	if tree.Has("updates_only") || !tree.Has("c_dash") {
		t.Error("Has() does not follow modules.dep")
	}
}

func TestOpenModuleTreeErrors(t *testing.T) {
	if _, err := OpenModuleTree(Options{ModulesDir: filepath.Join(t.TempDir(), "none")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v, want ErrNotExist", err)
	}
	dir := fakeTree(t, elf.EM_S390, nil, map[string]string{"modules.dep": "no colon here.ko\n"})
	if _, err := OpenModuleTree(Options{ModulesDir: dir}); err == nil || !strings.Contains(err.Error(), "modules.dep") {
		t.Errorf("bad modules.dep: %v", err)
	}
}

func TestResolveCorruptCompressed(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "kernel"), 0o755)
	for _, n := range []string{"x.ko.xz", "z.ko.zst", "g.ko.gz"} {
		os.WriteFile(filepath.Join(dir, "kernel", n), []byte("not compressed"), 0o644)
	}
	tree, err := OpenModuleTree(Options{ModulesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"x", "z", "g"} {
		if _, err := tree.Resolve([]ModuleRequest{{Name: n}}); err == nil || !strings.Contains(err.Error(), n+".ko.") {
			t.Errorf("corrupt %s: error %v does not name the file", n, err)
		}
	}
}

// TestResolveDebian resolves the module sets against the real Debian
// trees, which have no modules.dep: the network set in its exact load
// order, and every member of each set either in the closure or built in.
func TestResolveDebian(t *testing.T) {
	tests := []struct {
		arch string
		reqs []ModuleRequest
		want []string
	}{
		{"s390x", []ModuleRequest{{Name: "virtio_net"}}, []string{"failover", "net_failover", "virtio_net"}},
		{"s390x", setModules(t, "s390x", ModuleSetNet), []string{"failover", "net_failover", "virtio_net", "ccwgroup", "qeth", "llc", "stp", "bridge", "qeth_l2", "mrp", "garp", "8021q"}},
		{"amd64", []ModuleRequest{{Name: "virtio_net"}, {Name: "virtio_pci"}}, []string{"virtio_ring", "virtio", "failover", "net_failover", "virtio_net", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci"}},
	}
	for _, tt := range tests {
		tree, err := OpenModuleTree(Options{ModulesDir: filepath.Join(cacheDir(t, tt.arch), "modules")})
		if err != nil {
			t.Fatal(err)
		}
		mods, err := tree.Resolve(tt.reqs)
		if err != nil {
			t.Fatalf("%s: %v", tt.arch, err)
		}
		if got := Names(mods); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v: got %q, want %q", tt.arch, tt.reqs, got, tt.want)
		}
	}
	for _, arch := range []string{"s390x", "s390x-trixie", "amd64", "arm64"} {
		goarch := strings.TrimSuffix(arch, "-trixie")
		tree, err := OpenModuleTree(Options{ModulesDir: filepath.Join(cacheDir(t, arch), "modules")})
		if err != nil {
			t.Fatal(err)
		}
		for _, set := range ModuleSets() {
			reqs := setModules(t, goarch, set)
			mods, err := tree.Resolve(reqs)
			if err != nil {
				t.Fatalf("%s %s set: %v", arch, set, err)
			}
			got := " " + strings.Join(Names(mods), " ") + " "
			for _, r := range reqs {
				if !strings.Contains(got, " "+normName(r.Name)+" ") && !tree.Builtin(r.Name) {
					t.Errorf("%s %s set %q lacks %s", arch, set, Names(mods), r.Name)
				}
			}
		}
	}
}

func setModules(t *testing.T, arch string, sets ...string) []ModuleRequest {
	t.Helper()
	reqs, err := SetModules(sets, arch)
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// TestModuleSets checks the table: which sets Options end up with, the
// architecture-specific members, and an unknown set's error.
func TestModuleSets(t *testing.T) {
	names := func(reqs []ModuleRequest) string {
		var s []string
		for _, r := range reqs {
			s = append(s, r.Name)
		}
		return " " + strings.Join(s, " ") + " "
	}
	for _, tc := range []struct {
		name        string
		opts        Options
		arch        string
		has, hasNot []string
	}{
		{"default s390x", Options{}, "s390x", []string{"virtio_net", "qeth_l2", "8021q", "virtio_blk", "dasd_eckd_mod", "dasd_fba_mod", "ext4", "vfat", "nls_cp437"}, []string{"ahci_platform"}},
		{"default amd64", Options{}, "amd64", []string{"virtio_net", "e1000", "8021q", "virtio_blk", "nvme", "ahci", "xfs", "btrfs", "isofs"}, []string{"dasd_eckd_mod"}},
		{"network only", Options{ModuleSets: []string{ModuleSetNet}}, "amd64", []string{"virtio_net", "8021q"}, []string{"virtio_blk", "ext4"}},
		{"disk only", Options{ModuleSets: []string{ModuleSetDisk}}, "arm64", []string{"virtio_blk", "ext4"}, []string{"virtio_net", "8021q"}},
		{"modules alone", Options{Modules: []ModuleRequest{{Name: "e1000"}}}, "amd64", []string{"e1000"}, []string{"virtio_net", "virtio_blk"}},
		{"modules and a set", Options{Modules: []ModuleRequest{{Name: "e1000"}}, ModuleSets: []string{ModuleSetDisk}}, "amd64", []string{"e1000", "virtio_blk"}, []string{"virtio_net"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs, err := tc.opts.moduleRequests(tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			got := names(reqs)
			for _, n := range tc.has {
				if !strings.Contains(got, " "+n+" ") {
					t.Errorf("modules %q lack %s", got, n)
				}
			}
			for _, n := range tc.hasNot {
				if strings.Contains(got, " "+n+" ") {
					t.Errorf("modules %q have %s", got, n)
				}
			}
			seen := map[string]bool{}
			for _, r := range reqs {
				if seen[r.Name] {
					t.Errorf("%s requested twice", r.Name)
				}
				seen[r.Name] = true
			}
		})
	}
	if !reflect.DeepEqual(DefaultModules("s390x"), setModules(t, "s390x", DefaultModuleSets...)) {
		t.Error("DefaultModules differs from the default sets' members")
	}
	_, err := (Options{ModuleSets: []string{"wifi"}}).moduleRequests("amd64")
	if !errors.Is(err, ErrUnknownModuleSet) || !strings.Contains(err.Error(), `"wifi"`) || !strings.Contains(err.Error(), "disk, net") {
		t.Errorf("unknown set: %v", err)
	}
}

// TestModuleSetsRequiredWins: a module named on its own must be in the
// tree even when a set (whose members are optional) names it too.
func TestModuleSetsRequiredWins(t *testing.T) {
	opts := testOptions(t)
	opts.Modules = []ModuleRequest{{Name: "virtio_blk"}}
	opts.ModuleSets = []string{ModuleSetDisk}
	_, err := Build(context.Background(), io.Discard, opts)
	if !errors.Is(err, ErrModuleNotFound) || !strings.Contains(err.Error(), "virtio_blk") {
		t.Errorf("Build: %v, want ErrModuleNotFound naming virtio_blk", err)
	}
}
