package bls_test

import (
	"fmt"
	"os"

	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/bls"
	"github.com/s390netboot/s390netboot/pxeclient/localboot/volume"
)

// The menu of an Arch Linux ESP with systemd-boot.
func ExampleLoad() {
	v := &volume.Volume{Name: "nvme0n1p1", FSType: "vfat", FS: os.DirFS("testdata/arch-esp")}
	res, err := bls.Load(v.FS, bls.Options{Arch: "amd64"})
	if err != nil {
		fmt.Println(err)
		return
	}
	m := res.Menu(v)
	bootmenu.Render(os.Stdout, m, bootmenu.Items|bootmenu.Unattended)
	ch, err := m.Typed("arch single")
	fmt.Println(ch.Cmdline, err)
	// Output:
	//  1) Arch Linux (fallback initramfs) [arch-fallback]
	//  2) Arch Linux [arch]
	//
	// unattended: "arch" after 4s (loader.conf default)
	//   cmdline: root=UUID=0a3407de-014b-458b-b5c1-848e92a327a3 rw
	//  options "single": bls: loader.conf disables the editor: typed kernel options are refused (nvme0n1p1:/loader/loader.conf:4)
}
