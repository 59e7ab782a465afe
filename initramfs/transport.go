package initramfs

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// busTransports maps a bus, as the alias= fields of a driver's .modinfo
// name it ("virtio:d00000001v*" for virtio_net), to the modules that find
// the devices on that bus on each architecture. A driver for the bus finds
// no device without one of them, and nothing depends on them by .modinfo:
// the transport registers the devices, the driver binds to them later.
var busTransports = map[string]map[string][]string{
	// virtio devices reach their drivers through a transport: virtio-pci
	// (drivers/virtio/virtio_pci_common.c) on PCI machines, and on arm64's
	// QEMU virt machine also virtio-mmio (drivers/virtio/virtio_mmio.c).
	// On s390x the transport is virtio-ccw (drivers/s390/virtio), built by
	// CONFIG_S390_GUEST, a bool: in the kernel or absent, never a module.
	"virtio": {
		"amd64": {"virtio_pci"},
		"arm64": {"virtio_pci", "virtio_mmio"},
	},
	// USB network adapters (usbnet and friends) need a host controller
	// driver to see the bus at all: xHCI and EHCI on PCI, the ones QEMU's
	// qemu-xhci and usb-ehci devices and most machines have.
	"usb": {
		"amd64": {"xhci_pci", "ehci_pci"},
		"arm64": {"xhci_pci", "ehci_pci"},
	},
}

// Transports returns the transport modules that the modules mods (a
// Resolve result) need on arch (a GOARCH) and lack: for each bus a module
// drives devices on (its alias= fields), when none of the bus's transports
// is among mods or built into the kernel, those of them the tree has, as
// optional requests. For a transport the tree lacks too, missing says so
// in words, naming the module and the transport.
func (t *ModuleTree) Transports(arch string, mods []Module) (add []ModuleRequest, missing []string, err error) {
	have := map[string]bool{}
	for _, m := range mods {
		have[m.Name] = true
	}
	added := map[string]bool{}
	for _, m := range mods {
		info, err := ReadModinfo(bytes.NewReader(m.Data))
		if err != nil {
			return nil, nil, fmt.Errorf("module %s: %w", m.Path, err)
		}
		for _, bus := range buses(info) {
			need := busTransports[bus][arch]
			if len(need) == 0 || slices.ContainsFunc(need, func(n string) bool { return have[n] || t.Builtin(n) || added[n] }) {
				continue
			}
			var absent []string
			for _, n := range need {
				if t.Has(n) {
					add = append(add, ModuleRequest{Name: n, Optional: true})
					added[n] = true
				} else {
					absent = append(absent, n)
				}
			}
			if len(absent) == len(need) {
				missing = append(missing, fmt.Sprintf("module %s drives %s devices, which need a %s transport (%s) on %s; %s has none of them and modules.builtin does not list them: the driver may find no device",
					m.Name, bus, bus, strings.Join(need, " or "), arch, t.dir))
			}
		}
	}
	return add, missing, nil
}

// buses returns the buses a module's alias= fields name, in order.
func buses(info ModInfo) []string {
	var bs []string
	for _, a := range info.Get("alias") {
		bus, _, ok := strings.Cut(a, ":")
		if ok && bus != "" && !slices.Contains(bs, bus) {
			bs = append(bs, bus)
		}
	}
	return bs
}
