package fakekernel_test

import (
	"bytes"
	"debug/pe"
	"testing"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
)

// TestPE: debug/pe, which reads the headers with its own definitions,
// sees the machine, the subsystem, the one .text section and the debug
// directory behind the room left for more section headers.
func TestPE(t *testing.T) {
	for _, tt := range []struct {
		machine, subsystem uint16
		room               int
		debugAt            uint32 // 0: no debug directory
	}{
		{pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 0, 0x1b0},
		{pe.IMAGE_FILE_MACHINE_ARM64, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION, 8, 0x1b0 + 8*40},
		{pe.IMAGE_FILE_MACHINE_AMD64, pe.IMAGE_SUBSYSTEM_WINDOWS_CUI, 30, 0},
	} {
		b := fakekernel.PE(tt.machine, tt.subsystem, tt.room)
		f, err := pe.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("PE(%#x, %d, %d): %v", tt.machine, tt.subsystem, tt.room, err)
		}
		oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
		switch {
		case !ok:
			t.Errorf("PE(%#x): optional header %T, want PE32+", tt.machine, f.OptionalHeader)
		case f.Machine != tt.machine || oh.Subsystem != tt.subsystem || oh.SizeOfHeaders != 0x400 || oh.FileAlignment != 0x200:
			t.Errorf("PE(%#x, %d): machine %#x subsystem %d headers %#x", tt.machine, tt.subsystem, f.Machine, oh.Subsystem, oh.SizeOfHeaders)
		case oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_DEBUG].VirtualAddress != tt.debugAt:
			t.Errorf("PE room %d: debug directory at %#x, want %#x", tt.room, oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_DEBUG].VirtualAddress, tt.debugAt)
		case len(f.Sections) != 1 || f.Sections[0].Name != ".text" || f.Sections[0].Offset != 0x400 || f.Sections[0].Size != 0x400:
			t.Errorf("PE sections %+v", f.Sections)
		}
	}
}
