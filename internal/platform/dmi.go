package platform

import (
	"strings"
	"unicode"
)

// DMIDir is where Linux shows the SMBIOS strings (drivers/firmware/dmi-id.c).
const DMIDir = "sys/class/dmi/id"

// DMIField ties a SYSAPPEND bit to its sysfs file. Bits and names are
// enum syslinux_sysappend (com32/include/syslinux/sysappend.h) and
// dmi_strings in core/dmi.c of syslinux 6.
type DMIField struct {
	Bit    uint32
	Prefix string // "SYSVENDOR="
	File   string // below DMIDir
}

// DMIFields are the DMI strings this package reads. SYSFF (bit 17, the
// chassis type as a number) and FSUUID (bit 18, the boot file system)
// have no meaning for a network boot and are left out; CPU (bit 3) is
// x86 CPUID flags that PXELINUX computes itself.
var DMIFields = []DMIField{
	{1 << 4, "SYSVENDOR=", "sys_vendor"},
	{1 << 5, "SYSPRODUCT=", "product_name"},
	{1 << 6, "SYSVERSION=", "product_version"},
	{1 << 7, "SYSSERIAL=", "product_serial"},
	{1 << 8, "SYSSKU=", "product_sku"},
	{1 << 9, "SYSFAMILY=", "product_family"},
	{1 << 10, "MBVENDOR=", "board_vendor"},
	{1 << 11, "MBPRODUCT=", "board_name"},
	{1 << 12, "MBVERSION=", "board_version"},
	{1 << 13, "MBSERIAL=", "board_serial"},
	{1 << 14, "MBASSET=", "board_asset_tag"},
	{1 << 15, "BIOSVENDOR=", "bios_vendor"},
	{1 << 16, "BIOSVERSION=", "bios_version"},
}

// DMIStrings reads the DMIFields below root. Missing, empty and
// unprintable values are left out; nil when there are none (no DMI, as
// on s390x).
func DMIStrings(root string) map[uint32]string {
	var m map[uint32]string
	for _, f := range DMIFields {
		b, err := readFile(root, DMIDir+"/"+f.File)
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		if v == "" || strings.IndexFunc(v, notPrintable) >= 0 {
			continue
		}
		if m == nil {
			m = map[uint32]string{}
		}
		m[f.Bit] = f.Prefix + v
	}
	return m
}

func notPrintable(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }
