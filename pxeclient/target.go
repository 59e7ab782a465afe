package pxeclient

import (
	"fmt"

	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

// KexecTarget is the Target that boots: Load checks the kernel and
// hands it with its initrds and command line to the running kernel
// (kexec.Load), writing the load stage line with the peak memory use;
// Execute writes the kexec stage line and starts it (kexec.Exec), and
// returns only on failure.
func (c *Client) KexecTarget() Target {
	c.init()
	return &kexecTarget{c: c}
}

type kexecTarget struct {
	c   *Client
	img *Image
	// load and exec are kexec.Load and kexec.Exec (nil); tests replace
	// them.
	load func(kexec.Image, kexec.Options) error
	exec func() error
}

func (t *kexecTarget) Load(img *Image) error {
	c := t.c
	k := kexec.Image{Kernel: img.Kernel.Data, Cmdline: img.Choice.Cmdline}
	var initrdBytes int
	for _, f := range img.Initrds {
		k.Initrds = append(k.Initrds, f.Data)
		initrdBytes += len(f.Data)
	}
	c.Log.Info("kexec", "cmdline", k.Cmdline)
	load := t.load
	if load == nil {
		load = kexec.Load
	}
	if err := load(k, kexec.Options{Logger: c.Log}); err != nil {
		return fmt.Errorf("kexec %s (%d bytes, %d initrds): %w", img.Kernel.URL, len(k.Kernel), len(k.Initrds), err)
	}
	hwm, _ := VmHWM()
	c.stages.mark("load", "kernel", len(k.Kernel), "initrd", initrdBytes, "vmhwm", hwm)
	t.img = img
	return nil
}

func (t *kexecTarget) Execute() error {
	if t.img == nil {
		return fmt.Errorf("kexec: nothing loaded")
	}
	t.c.stages.mark("kexec")
	exec := t.exec
	if exec == nil {
		exec = kexec.Exec
	}
	if err := exec(); err != nil {
		return fmt.Errorf("kexec %s: %w", t.img.Kernel.URL, err)
	}
	return nil
}
