package bls

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/s390netboot/s390netboot/uki"
)

// ErrNotUKI: an EFI/Linux/*.efi file that is no unified kernel image
// (not a PE file, or without a .linux section); it is left out.
var ErrNotUKI = errors.New("bls: not a unified kernel image")

// ParseUKI reads a type #2 entry: the unified kernel image name (its
// base name gives the ID and boot counter, as for type #1) of size bytes
// read through r, of which only the headers and the .osrel and .cmdline
// sections are read (uki.InspectAt). The title is the .osrel's
// PRETTY_NAME, else NAME and VERSION_ID, else IMAGE_ID or ID; the version
// its IMAGE_VERSION, else VERSION_ID; the sort-key its IMAGE_ID, else ID
// (as systemd-boot takes them); the architecture the PE machine's. The
// entry is nil when the file is no UKI.
func ParseUKI(name string, r io.ReaderAt, size int64) (*Entry, []error) {
	e := &Entry{Path: name, Type: Type2, Linux: name}
	var warns []error
	if err := e.setName(efiSuffix); err != nil {
		warns = append(warns, &Warning{File: name, Err: err})
	}
	info, err := uki.InspectAt(r, size)
	if err != nil {
		return nil, append(warns, &Warning{File: name, Err: fmt.Errorf("%w: %w", ErrNotUKI, err)})
	}
	has := map[string]bool{}
	for _, s := range info.Sections {
		has[s.Name] = true
	}
	if !has[uki.SectionLinux] {
		return nil, append(warns, &Warning{File: name, Err: fmt.Errorf("%w: no %s section", ErrNotUKI, uki.SectionLinux)})
	}
	// The microcode initrd goes before the initrd (the UKI specification).
	for _, s := range []string{uki.SectionUcode, uki.SectionInitrd} {
		if has[s] {
			e.Sections = append(e.Sections, s)
		}
	}
	if c := strings.TrimSpace(info.Cmdline); c != "" {
		e.Options = []Line{{Text: c}}
	}
	e.Architecture = uki.EFIArch(info.Arch)
	if e.Architecture == "" {
		e.Architecture = info.Arch // a machine UEFI has no name for: matches none
	}
	osrel, w := ParseOSRelease(name+" "+uki.SectionOSRel, []byte(info.OSRelease))
	warns = append(warns, w...)
	e.Title = first(osrel["PRETTY_NAME"], strings.TrimSpace(osrel["NAME"]+" "+osrel["VERSION_ID"]), osrel["IMAGE_ID"], osrel["ID"])
	e.Version = first(osrel["IMAGE_VERSION"], osrel["VERSION_ID"])
	e.SortKey = first(osrel["IMAGE_ID"], osrel["ID"])
	e.Title, e.Version = displayable(e.Title), displayable(e.Version)
	return e, warns
}

// first is the first of values that is not empty.
func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
