package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/internal/platform"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

func init() {
	commands["fetch"] = command{summary: "download the entry a machine would boot, with plan.json", run: runFetch}
}

const fetchUsage = `usage: pxeboot fetch [--iface IF | --url tftp://HOST[:PORT]/PREFIX/ | --url http(s)://HOST/PATH/]
                     [lease flags] [--label L] -o DIR
       pxeboot boot  [same] [-o DIR]

--iface runs DHCP on IF and configures it with the lease (as a DHCP client
would; needs root); the lease flags then override what DHCP said. Without
--iface the lease flags are the facts, and the files come from --url or
from the TFTP server --server.

fetch writes the kernel and initrds into DIR under their base names and
DIR/plan.json: the pxeboot plan of the config plus "boot", the chosen
entry with each file's URL, size and SHA-256. It exits 0 only when every
file arrived and was written intact. boot first checks that this process
may kexec (root or CAP_SYS_BOOT, lockdown), then fetches and kexecs.
`

// fetchFlags are the flags of fetch and boot.
type fetchFlags struct {
	lease   leaseFlags
	iface   string
	url     string
	label   string
	out     string
	timeout time.Duration
	arch    uint16
	verbose bool
}

func (f *fetchFlags) register(fs *pflag.FlagSet) {
	f.lease.register(fs)
	fs.StringVar(&f.iface, "iface", "", "run DHCP on this interface and configure it")
	fs.StringVar(&f.url, "url", "", "boot server: tftp://HOST[:PORT]/ or http(s)://HOST/PATH/ (the TFTP root)")
	fs.StringVar(&f.label, "label", "", "boot this entry instead of the unattended choice")
	fs.StringVarP(&f.out, "output", "o", "", "directory for the files and plan.json")
	fs.DurationVar(&f.timeout, "timeout", platform.DefaultNetTimeout, "bound for link and DHCP with --iface")
	fs.Uint16Var(&f.arch, "dhcp-arch", 0, "with --iface: client architecture sent as DHCP option 93 (0x1f s390x, 7 x86-64 UEFI, 0xb arm64); default this machine's")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "debug messages")
}

func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return fetchOrBoot(ctx, "fetch", args, stdout, stderr)
}

func fetchOrBoot(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, fetchUsage); fs.PrintDefaults() }
	var f fetchFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pxeboot %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage
	}
	if name == "fetch" && f.out == "" {
		fmt.Fprintf(stderr, "pxeboot fetch: -o DIR is required\n")
		return exitUsage
	}
	if name == "boot" {
		// Before anything is downloaded: a refused kexec should not
		// cost a 500 MB transfer first.
		if err := kexec.CheckPermission(); err != nil {
			fmt.Fprintf(stderr, "pxeboot boot: %v\n", err)
			return exitFail
		}
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(pxeclient.NewConsoleHandler(stderr, "pxeboot", level))
	c := &pxeclient.Client{Log: log, Console: stderr, Settings: platform.Settings{Label: f.label, NetTimeout: f.timeout}}
	// A running system keeps its own resolver configuration: the lease's
	// DNS servers go to a file of their own.
	c.NetApply.ResolvConf = filepath.Join(os.TempDir(), "pxeboot-resolv.conf")
	// plan.json records each file's SHA-256, taken while it arrived and
	// checked again against what is written.
	c.Fetch.SHA256 = f.out != ""
	if fs.Changed("dhcp-arch") {
		c.DHCP.Arch = &f.arch
	}
	d, cfg, lease, via, err := fetchEntry(ctx, c, &f, fs)
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot %s: %v\n", name, err)
		return exitFail
	}
	if f.out != "" {
		p, err := writeDownload(f.out, d, cfg, lease.Facts, via)
		if err != nil {
			fmt.Fprintf(stderr, "pxeboot %s: %v\n", name, err)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s\n", p)
	}
	if name == "boot" {
		if err := c.Kexec(d); err != nil {
			fmt.Fprintf(stderr, "pxeboot boot: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}

// fetchEntry runs the client's steps: the lease (DHCP or flags), the
// config, the choice and the download.
func fetchEntry(ctx context.Context, c *pxeclient.Client, f *fetchFlags, fs *pflag.FlagSet) (*pxeclient.Download, *pxelinux.Config, *pxeclient.Lease, string, error) {
	flagFacts, err := f.lease.facts()
	if err != nil {
		return nil, nil, nil, "", err
	}
	var lease *pxeclient.Lease
	if f.iface != "" {
		c.Settings.Ifaces = []string{f.iface}
		lease, err = c.LinkNetwork(ctx)
		if err != nil {
			return nil, nil, nil, "", err
		}
		overrideFacts(&lease.Facts, flagFacts, fs)
	} else {
		lease = &pxeclient.Lease{Facts: flagFacts}
	}
	switch {
	case f.url != "":
		src, err := pxeclient.ParseSource(f.url)
		if err != nil {
			return nil, nil, nil, "", fmt.Errorf("--url: %w", err)
		}
		lease.Source = src
	case lease.Facts.Server.IsValid():
		lease.Source = pxeclient.TFTPSource(lease.Facts.Server)
	default:
		return nil, nil, nil, "", errors.New("no boot server: give --iface, --url or --server")
	}
	cfg, err := c.LoadConfig(ctx, lease)
	if err != nil {
		return nil, nil, nil, "", err
	}
	ch, via, err := c.Choose(ctx, cfg)
	if err != nil {
		return nil, cfg, lease, "", err
	}
	cfg, ch, err = c.Resolve(ctx, cfg, ch)
	if err != nil {
		return nil, cfg, lease, "", err
	}
	d, err := c.FetchChoice(ctx, lease, ch)
	return d, cfg, lease, via, err
}

// overrideFacts copies the lease flags the user gave over the DHCP facts:
// one row for each flag of leaseFlags.register.
func overrideFacts(dst *pxelinux.Facts, src pxelinux.Facts, fs *pflag.FlagSet) {
	for _, o := range []struct {
		flag string
		copy func()
	}{
		{"mac", func() { dst.MAC = src.MAC }},
		{"hwtype", func() { dst.HWType = src.HWType }},
		{"ip", func() { dst.IP = src.IP }},
		{"netmask", func() { dst.Netmask = src.Netmask }},
		{"gateway", func() { dst.Gateway = src.Gateway }},
		{"server", func() { dst.Server = src.Server }},
		{"uuid", func() { dst.UUID = src.UUID }},
		{"bootfile", func() { dst.BootFile = src.BootFile }},
		{"prefix", func() { dst.PathPrefix = src.PathPrefix }},
		{"configfile", func() { dst.ConfigFile = src.ConfigFile }},
	} {
		if fs.Changed(o.flag) {
			o.copy()
		}
	}
}

// fetchPlan is plan.json: the pxeboot plan of the config plus the entry
// that was fetched.
type fetchPlan struct {
	pxelinux.Plan
	Boot bootRecord `json:"boot"`
}

type bootRecord struct {
	Label   string       `json:"label"`
	Via     string       `json:"via"`
	Args    string       `json:"args,omitempty"`
	Cmdline string       `json:"cmdline"`
	Kernel  fileRecord   `json:"kernel"`
	Initrds []fileRecord `json:"initrds"`
}

type fileRecord struct {
	// Name is the file as the config names it (PXELINUX notation).
	Name string `json:"name"`
	URL  string `json:"url"`
	// File is the file written in the output directory.
	File   string `json:"file"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// writeDownload writes the files of d and plan.json into dir (created if
// needed) and returns the path of plan.json. Every file is written under a
// temporary name, read back and compared with the digest taken while it
// arrived, then renamed: a file in dir is complete or absent. plan.json is
// written last.
func writeDownload(dir string, d *pxeclient.Download, cfg *pxelinux.Config, facts pxelinux.Facts, via string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	used := map[string]bool{"plan.json": true}
	rec := func(p pxelinux.Path, file *fetch.File) (fileRecord, error) {
		base := path.Base(p.Name)
		if p.URL != "" {
			base = path.Base(p.URL)
		}
		if base == "." || base == "/" || base == "" {
			base = "file"
		}
		name := base
		for i := 2; used[name]; i++ {
			name = fmt.Sprintf("%d-%s", i, base)
		}
		used[name] = true
		if err := writeVerified(filepath.Join(dir, name), file.Data, file.SHA256); err != nil {
			return fileRecord{}, err
		}
		return fileRecord{Name: p.String(), URL: file.URL, File: name, Size: len(file.Data), SHA256: hex.EncodeToString(file.SHA256[:])}, nil
	}
	b := bootRecord{Label: d.Choice.Entry.Label, Via: via, Args: d.Choice.Args, Cmdline: d.Cmdline, Initrds: []fileRecord{}}
	var err error
	if b.Kernel, err = rec(d.KernelPath, d.Kernel); err != nil {
		return "", err
	}
	for i, f := range d.Initrds {
		r, err := rec(d.InitrdPaths[i], f)
		if err != nil {
			return "", err
		}
		b.Initrds = append(b.Initrds, r)
	}
	js, err := json.MarshalIndent(fetchPlan{Plan: pxelinux.NewPlan(cfg, facts), Boot: b}, "", "  ")
	if err != nil {
		return "", err
	}
	js = append(js, '\n')
	p := filepath.Join(dir, "plan.json")
	if err := writeVerified(p, js, sha256.Sum256(js)); err != nil {
		return "", err
	}
	return p, nil
}

// writeVerified writes data to name through a temporary file, checks what
// landed on disk against sum and renames it into place.
func writeVerified(name string, data []byte, sum [32]byte) error {
	if got := sha256.Sum256(data); got != sum {
		return fmt.Errorf("%s: the data in memory does not match the SHA-256 taken while it arrived", name)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	back, err := os.ReadFile(tmp.Name())
	if err != nil {
		return fmt.Errorf("read back %s: %w", name, err)
	}
	if !bytes.Equal(back, data) || sha256.Sum256(back) != sum {
		return fmt.Errorf("%s: what was written differs from what was fetched", name)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
