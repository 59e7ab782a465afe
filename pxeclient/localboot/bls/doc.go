// Package bls reads the boot entries of the Boot Loader Specification
// (the UAPI group's boot_loader_specification.md): type #1 entries,
// loader/entries/*.conf, as kernel-install, grubby and zipl's tools write
// them, and the spec's sort order, which GRUB's blscfg uses too.
//
//	e, warns := bls.ParseEntry("loader/entries/arch.conf", data)
//	cmdline, _ := e.Cmdline(vars) // $kernelopts and friends from grubenv
//	bls.Sort(entries)             // the spec's order; the first is the default
package bls
