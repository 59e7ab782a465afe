// Command kexectest loads a kernel with package kexec and starts it: the
// guest side of the end-to-end test scripts/e2e/kexec_test.go. It prints
// lines starting "KEXECTEST:" that the test waits for on the console.
//
//	kexectest -kernel /kexec/vmlinuz -initrd /kexec/a.gz -initrd /kexec/b.gz \
//		-append "console=ttysclp0" -wrong /kexec/other-arch-kernel
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var initrds list
	kernel := flag.String("kernel", "", "kernel to kexec")
	flag.Var(&initrds, "initrd", "ramdisk (repeatable)")
	cmdline := flag.String("append", "", "command line (empty: keep the image's on s390x)")
	wrong := flag.String("wrong", "", "a kernel for another architecture, which Load must refuse")
	flag.Parse()
	if err := run(*kernel, initrds, *cmdline, *wrong); err != nil {
		fmt.Printf("KEXECTEST: FAIL: %v\n", err)
		os.Exit(1)
	}
}

func run(kernelPath string, initrdPaths []string, cmdline, wrong string) error {
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if err := kexec.CheckPermission(); err != nil {
		return err
	}
	fmt.Printf("KEXECTEST: permission ok, lockdown %q\n", kexec.Lockdown())
	if wrong != "" {
		k, err := os.ReadFile(wrong)
		if err != nil {
			return err
		}
		err = kexec.Load(kexec.Image{Kernel: k}, kexec.Options{Logger: log})
		if !errors.Is(err, kexec.ErrWrongArch) {
			return fmt.Errorf("loading %s: got %v, want ErrWrongArch", wrong, err)
		}
		fmt.Printf("KEXECTEST: wrong-arch refused: %v\n", err)
	}
	img := kexec.Image{Cmdline: cmdline}
	var sizes []int64
	k, err := os.ReadFile(kernelPath)
	if err != nil {
		return err
	}
	img.Kernel = k
	sizes = append(sizes, int64(len(k)))
	for _, p := range initrdPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		img.Initrds = append(img.Initrds, b)
		sizes = append(sizes, int64(len(b)))
	}
	if err := kexec.FitsInMemory(sizes...); err != nil {
		return err
	}
	start := time.Now()
	if err := kexec.Load(img, kexec.Options{Logger: log}); err != nil {
		return err
	}
	loaded, err := kexec.Loaded()
	fmt.Printf("KEXECTEST: loaded in %d ms (kexec_loaded %v %v)\n", time.Since(start).Milliseconds(), loaded, err)
	if !loaded {
		return errors.New("/sys/kernel/kexec_loaded is not 1 after Load")
	}
	fmt.Println("KEXECTEST: exec")
	return kexec.Exec()
}
