package dhcp

import (
	"errors"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestClassIdentifier(t *testing.T) {
	for arch, want := range map[uint16]string{
		ArchS390Basic: "PXEClient:Arch:00031:UNDI:003016",
		ArchX64UEFI:   "PXEClient:Arch:00007:UNDI:003016",
		ArchARM64UEFI: "PXEClient:Arch:00011:UNDI:003016",
		0xffff:        "PXEClient:Arch:65535:UNDI:003016",
	} {
		if got := ClassIdentifier(arch); got != want {
			t.Errorf("ClassIdentifier(%#x) = %q, want %q", arch, got, want)
		}
	}
}

func TestDefaultArch(t *testing.T) {
	for goarch, want := range map[string]uint16{"s390x": 0x1f, "amd64": 7, "arm64": 0xb} {
		if got, ok := DefaultArch(goarch); !ok || got != want {
			t.Errorf("DefaultArch(%s) = %#x, %v; want %#x", goarch, got, ok, want)
		}
	}
	if _, ok := DefaultArch("mips"); ok {
		t.Error("DefaultArch(mips) has a value")
	}
}

// TestModifiers checks what a DISCOVER carries, byte by byte.
func TestModifiers(t *testing.T) {
	arch := ArchS390Basic
	o, err := Options{Arch: &arch, UUID: "4C4C4544-0042-3510-8052-B7C04F4E3232", ClientID: []byte{1, 2, 3}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	m, err := dhcpv4.NewDiscovery(testMAC, o.modifiers()...)
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[uint8]string{
		60: "PXEClient:Arch:00031:UNDI:003016",
		93: "\x00\x1f",
		94: "\x01\x03\x10",
		97: "\x00\x4c\x4c\x45\x44\x00\x42\x35\x10\x80\x52\xb7\xc0\x4f\x4e\x32\x32",
		61: "\x01\x02\x03",
	} {
		if got := string(m.Options.Get(dhcpv4.GenericOptionCode(code))); got != want {
			t.Errorf("option %d = %q, want %q", code, got, want)
		}
	}
	for _, c := range RequestedOptions {
		if !m.IsOptionRequested(c) {
			t.Errorf("option %v not requested", c)
		}
	}
	if n := len(m.Options.Get(dhcpv4.OptionParameterRequestList)); n != len(RequestedOptions) {
		t.Errorf("option 55 has %d codes, want %d", n, len(RequestedOptions))
	}
	if o.UUID != "4c4c4544-0042-3510-8052-b7c04f4e3232" {
		t.Errorf("UUID kept as %q, want lower case", o.UUID)
	}
	if _, err := (Options{UUID: "nope"}).withDefaults(); !errors.Is(err, ErrBadUUID) {
		t.Errorf("withDefaults(bad UUID) = %v, want ErrBadUUID", err)
	}
}
