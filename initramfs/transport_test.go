package initramfs

import (
	"bytes"
	"debug/elf"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// transportTree is a tree with a virtio and a USB network driver and
// their transports, shaped like Debian's (aliases as in its modules).
var transportTree = map[string][]string{
	"kernel/drivers/net/virtio_net.ko":           {"alias=virtio:d00000001v*", "depends=virtio"},
	"kernel/drivers/virtio/virtio.ko":            {},
	"kernel/drivers/virtio/virtio_pci.ko":        {"alias=pci:v00001AF4d*sv*sd*bc*sc*i*", "depends=virtio"},
	"kernel/drivers/virtio/virtio_mmio.ko":       {"alias=of:N*T*Cvirtio,mmio", "depends=virtio"},
	"kernel/drivers/net/usb/r8152.ko":            {"alias=usb:v0BDAp8152d*dc*dsc*dp*ic02isc06ip00in*", "alias=usb:v0BDAp8153d*"},
	"kernel/drivers/usb/host/xhci-pci.ko":        {"alias=pci:v*d*sv*sd*bc0Csc03i30*"},
	"kernel/drivers/usb/host/ehci-pci.ko":        {"alias=pci:v*d*sv*sd*bc0Csc03i20*"},
	"kernel/drivers/net/ethernet/intel/e1000.ko": {"alias=pci:v00008086d0000100Esv*sd*bc*sc*i*"},
}

func TestTransports(t *testing.T) {
	full := fakeTree(t, elf.EM_X86_64, transportTree, nil)
	noPCI := map[string][]string{}
	for k, v := range transportTree {
		if !strings.Contains(k, "virtio_pci") {
			noPCI[k] = v
		}
	}
	lacking := fakeTree(t, elf.EM_X86_64, noPCI, nil)
	builtin := fakeTree(t, elf.EM_X86_64, noPCI, map[string]string{"modules.builtin": "kernel/drivers/virtio/virtio_pci.ko\n"})
	for _, tc := range []struct {
		name, tree, arch string
		modules          []string
		want             []string // the modules of the ramdisk
		warn             string
	}{
		{"amd64 virtio_net", full, "amd64", []string{"virtio_net"}, []string{"virtio", "virtio_net", "virtio_pci"}, ""},
		{"arm64 virtio_net", full, "arm64", []string{"virtio_net"}, []string{"virtio", "virtio_net", "virtio_pci", "virtio_mmio"}, ""},
		{"arm64 virtio_net over mmio", full, "arm64", []string{"virtio_net", "virtio_mmio"}, []string{"virtio", "virtio_net", "virtio_mmio"}, ""},
		{"s390x virtio_net (virtio_ccw is built in)", full, "s390x", []string{"virtio_net"}, []string{"virtio", "virtio_net"}, ""},
		{"amd64 USB NIC", full, "amd64", []string{"r8152"}, []string{"r8152", "xhci_pci", "ehci_pci"}, ""},
		{"amd64 PCI NIC", full, "amd64", []string{"e1000"}, []string{"e1000"}, ""},
		{"amd64 virtio_pci built in", builtin, "amd64", []string{"virtio_net"}, []string{"virtio", "virtio_net"}, ""},
		{"amd64 no virtio_pci anywhere", lacking, "amd64", []string{"virtio_net"}, []string{"virtio", "virtio_net"},
			"module virtio_net drives virtio devices, which need a virtio transport (virtio_pci) on amd64; " + lacking + " has none of them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			opts := Options{ModulesDir: tc.tree}
			for _, m := range tc.modules {
				opts.Modules = append(opts.Modules, ModuleRequest{Name: m})
			}
			machine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_X86_64, "s390x": elf.EM_X86_64}[tc.arch]
			var a Archive
			res := &Result{}
			if err := addModules(&a, res, opts, tc.arch, machine, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
				t.Fatal(err)
			}
			if got := Names(res.Modules); !slices.Equal(got, tc.want) {
				t.Errorf("modules %q, want %q", got, tc.want)
			}
			if tc.warn != "" && !strings.Contains(log.String(), tc.warn) {
				t.Errorf("log %q does not warn %q", log.String(), tc.warn)
			}
			if tc.warn == "" && strings.Contains(log.String(), "level=WARN") {
				t.Errorf("unexpected warning: %s", log.String())
			}
		})
	}
}

// TestTransportsDebian checks the transports against the real Debian 12
// trees: --module virtio_net brings virtio_pci and its dependencies on
// amd64, and nothing on s390x, where virtio_ccw is built in.
func TestTransportsDebian(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		machine elf.Machine
		want    []string
	}{
		{"amd64", elf.EM_X86_64, []string{"virtio_ring", "virtio", "failover", "net_failover", "virtio_net", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci"}},
		{"s390x", elf.EM_S390, []string{"failover", "net_failover", "virtio_net"}},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			opts := Options{ModulesDir: filepath.Join(cacheDir(t, tc.arch), "modules"), Modules: []ModuleRequest{{Name: "virtio_net"}}}
			var a Archive
			res := &Result{}
			if err := addModules(&a, res, opts, tc.arch, tc.machine, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			if got := Names(res.Modules); !slices.Equal(got, tc.want) {
				t.Errorf("--module virtio_net: %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAsyncProbeDebian checks which modules of the default sets load with
// async_probe on the real Debian trees: the disk set's members and their
// dependencies, not the network drivers.
func TestAsyncProbeDebian(t *testing.T) {
	for _, tc := range []struct {
		arch       string
		machine    elf.Machine
		async, not []string
	}{
		{"amd64", elf.EM_X86_64, []string{"virtio_blk", "scsi_mod", "sd_mod", "ahci", "libata", "nvme", "crc32c_generic", "jbd2", "ext4", "btrfs", "vfat", "isofs"}, []string{"virtio_net", "e1000", "8021q", "garp", "virtio_pci"}},
		{"s390x", elf.EM_S390, []string{"dasd_mod", "dasd_eckd_mod", "dasd_fba_mod", "virtio_blk", "xfs"}, []string{"virtio_net", "qeth_l2", "8021q"}},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			var a Archive
			res := &Result{}
			if err := addModules(&a, res, Options{ModulesDir: filepath.Join(cacheDir(t, tc.arch), "modules")}, tc.arch, tc.machine, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			params := map[string]string{}
			for _, m := range res.Modules {
				params[m.Name] = m.Params
			}
			for _, n := range tc.async {
				if p, ok := params[n]; !ok || p != asyncProbe {
					t.Errorf("%s: params %q (in the ramdisk: %v), want %q", n, p, ok, asyncProbe)
				}
			}
			for _, n := range tc.not {
				if p, ok := params[n]; !ok || p != "" {
					t.Errorf("%s: params %q (in the ramdisk: %v), want none", n, p, ok)
				}
			}
		})
	}
}
