package fakekernel

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
)

// The PE/COFF layout of PE (Microsoft PE format specification, "PE
// Format": MS-DOS stub, signature, COFF file header, optional header,
// section table, debug directory).
const (
	peLfanewOffset   = 0x3c  // e_lfanew: the file offset of "PE\0\0"
	peSignatureAt    = 0x80  // where PE puts "PE\0\0"
	peCOFFHeaderSize = 20    // the COFF file header
	peSectionHdrSize = 40    // one section table entry
	pe32PlusMagic    = 0x20b // the optional header's Magic of a PE32+ image
	peDataDirDebug   = 6     // IMAGE_DIRECTORY_ENTRY_DEBUG
	peDebugEntrySize = 28    // one IMAGE_DEBUG_DIRECTORY
	peAlignment      = 0x200 // SectionAlignment and FileAlignment
	peTextVA         = 0x1000
	peTextOffset     = 0x400 // SizeOfHeaders: the .text section's data starts here
	peTextSize       = 0x400
)

// PE returns a small PE32+ executable for machine (debug/pe's
// IMAGE_FILE_MACHINE_*) and subsystem (IMAGE_SUBSYSTEM_EFI_APPLICATION
// for an EFI stub or an EFI-stub kernel): the MS-DOS header, the PE
// headers with room for room more section headers (a debug directory
// follows them, which a tool adding sections must not overwrite; 0xcc
// filler bytes, like the NOPs of gnu-efi's arm64 stub, fill the rest of
// the header area), and one .text section of 0x400 bytes (0x90). Its
// layout is what matters of systemd's x86-64 stub: SectionAlignment and
// FileAlignment 0x200, SizeOfHeaders 0x400. PE(m, s, 8) is a stub
// uki.Build adds its sections to; PE(m, s, 0) a kernel.
func PE(machine, subsystem uint16, room int) []byte {
	b := make([]byte, peTextOffset+peTextSize)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[peLfanewOffset:], peSignatureAt)
	copy(b[peSignatureAt:], "PE\x00\x00")
	fh := pe.FileHeader{Machine: machine, NumberOfSections: 1, Characteristics: pe.IMAGE_FILE_EXECUTABLE_IMAGE,
		SizeOfOptionalHeader: uint16(binary.Size(pe.OptionalHeader64{}))}
	oh := pe.OptionalHeader64{
		Magic: pe32PlusMagic, AddressOfEntryPoint: peTextVA, BaseOfCode: peTextVA, SizeOfCode: peTextSize,
		SectionAlignment: peAlignment, FileAlignment: peAlignment, SizeOfImage: peTextVA + peTextSize,
		SizeOfHeaders: peTextOffset, Subsystem: subsystem, NumberOfRvaAndSizes: 16,
	}
	tableEnd := peSignatureAt + 4 + peCOFFHeaderSize + int(fh.SizeOfOptionalHeader) + peSectionHdrSize
	if debugAt := tableEnd + room*peSectionHdrSize; debugAt+peDebugEntrySize <= peTextOffset {
		oh.DataDirectory[peDataDirDebug] = pe.DataDirectory{VirtualAddress: uint32(debugAt), Size: peDebugEntrySize}
	}
	sh := pe.SectionHeader32{VirtualSize: peTextSize, VirtualAddress: peTextVA, SizeOfRawData: peTextSize,
		PointerToRawData: peTextOffset, Characteristics: pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_EXECUTE}
	copy(sh.Name[:], ".text")
	var hdr bytes.Buffer
	for _, v := range []any{fh, oh, sh} {
		if err := binary.Write(&hdr, binary.LittleEndian, v); err != nil {
			panic(fmt.Sprintf("fakekernel.PE: %v", err)) // fixed-size structs: a bug here
		}
	}
	copy(b[peSignatureAt+4:], hdr.Bytes())
	for i := tableEnd; i < peTextOffset; i++ {
		b[i] = 0xcc
	}
	for i := peTextOffset; i < peTextOffset+peTextSize; i++ {
		b[i] = 0x90
	}
	return b
}
