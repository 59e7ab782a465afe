package main

import (
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

	"github.com/s390netboot/s390netboot/internal/atomicfile"
	"github.com/s390netboot/s390netboot/internal/netconf"
	"github.com/s390netboot/s390netboot/internal/settings"
	"github.com/s390netboot/s390netboot/internal/signedboot"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

const fetchUsage = `usage: pxeboot fetch [--iface IF [--vlan ID] | --url tftp://HOST[:PORT]/PREFIX/ | --url http(s)://HOST/PATH/]
                     [lease flags] [--label L] [--trust-key KEY.pub] -o DIR
       pxeboot boot  [same] [-o DIR]

Both run the netboot init's boot flow once, unattended: the lease, the
config lookup, the choice (--label, else the unattended entry), the
download, and on a failure the config's ONERROR.

--iface runs DHCP on IF and configures it with the lease (as a DHCP client
would; needs root): DHCPv4 and IPv6 (router advertisement, DHCPv6) at
once, the first lease with boot information wins; --ipv 4 or 6 runs one.
The lease flags then override what DHCP said. IF may be an 802.1Q link
that exists (--iface eth0.42), or --vlan ID makes one as the init's
pxeinit.vlan= does: IF.ID over IF, which stays after pxeboot ends (ip link
del IF.ID removes it). Either way IPAPPEND passes the VLAN on. Without
--iface the lease flags are the facts, and the files come from --url or
from the TFTP server --server. --trust-key turns on signed boot: every
config, kernel and initrd needs a valid NAME.minisig by that key.

fetch writes the kernel and initrds into DIR under their base names and
DIR/plan.json: the pxeboot plan of the config plus "boot", the chosen
entry with each file's URL, size and SHA-256. It exits 0 only when every
file arrived and was written. boot first checks that this process may
kexec (root or CAP_SYS_BOOT, lockdown), then fetches and kexecs (with -o,
after writing DIR as fetch does).
`

// fetchFlags are the flags of fetch and boot.
type fetchFlags struct {
	lease    leaseFlags
	src      sourceFlags
	iface    string
	vlan     string
	label    string
	out      string
	trustKey string
	timeout  time.Duration
	arch     uint16
	ipv      int
	verbose  bool
}

func (f *fetchFlags) register(fs *flags) {
	f.lease.register(fs.FlagSet)
	f.src.register(fs.FlagSet, false)
	fs.StringVar(&f.iface, "iface", "", "run DHCP on this interface and configure it")
	fs.StringVar(&f.vlan, "vlan", "", "with --iface: make the 802.1Q link IF.ID over it (`ID` 1 to 4094; needs 8021q) and run DHCP there")
	fs.StringVar(&f.label, "label", "", "boot this entry instead of the unattended choice")
	fs.StringVarP(&f.out, "output", "o", "", "directory for the files and plan.json")
	fs.StringVar(&f.trustKey, "trust-key", "", "signed boot: accept only files signed by this minisign public `KEY`")
	fs.DurationVar(&f.timeout, "timeout", settings.DefaultNetTimeout, "bound for link and DHCP with --iface")
	fs.Uint16Var(&f.arch, "dhcp-arch", 0, "with --iface: client architecture sent as DHCP option 93 (0x1f s390x, 7 x86-64 UEFI, 0xb arm64); default this machine's")
	fs.IntVar(&f.ipv, "ipv", 0, "with --iface: 4 runs only DHCPv4, 6 only IPv6 (router advertisement, DHCPv6); default both")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "debug messages")
}

func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return fetchOrBoot(ctx, "fetch", args, stdout, stderr)
}

func runBoot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return fetchOrBoot(ctx, "boot", args, stdout, stderr)
}

func fetchOrBoot(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	fs := newFlags(name, fetchUsage)
	var f fetchFlags
	f.register(fs)
	if code, done := fs.parse(args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fs.fail(stderr, "unexpected argument %q", fs.Arg(0))
	}
	if name == "fetch" && f.out == "" {
		return fs.fail(stderr, "-o DIR is required")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "pxeboot %s: %v\n", name, err)
		return exitFail
	}
	if name == "boot" {
		// Before anything is downloaded: a refused kexec should not
		// cost a 500 MB transfer first.
		if err := kexec.CheckPermission(); err != nil {
			return fail(err)
		}
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	c := &pxeclient.Client{
		Log:      slog.New(pxeclient.NewConsoleHandler(stderr, "pxeboot", level)),
		Console:  stderr,
		Settings: settings.Settings{Label: f.label, NetTimeout: f.timeout, IPVersion: f.ipv},
	}
	if f.ipv != 0 && f.ipv != 4 && f.ipv != 6 {
		return fail(fmt.Errorf("--ipv %d: want 4 or 6", f.ipv))
	}
	// A running system keeps its own resolver configuration: the lease's
	// DNS servers go to a file of their own.
	c.NetApply.ResolvConf = filepath.Join(os.TempDir(), "pxeboot-resolv.conf")
	// plan.json records each file's SHA-256, taken while it arrived.
	c.Fetch.SHA256 = f.out != ""
	if fs.Changed("dhcp-arch") {
		c.DHCP.Arch = &f.arch
	}
	if f.trustKey != "" {
		key, err := signedboot.LoadKey(f.trustKey)
		if err != nil {
			return fail(err)
		}
		c.Signed = signedboot.On(key)
	}
	network, err := f.network(c, fs)
	if err != nil {
		return fail(err)
	}
	c.Network = network
	var targets multiTarget
	if f.out != "" {
		targets = append(targets, &dirTarget{dir: f.out, stdout: stdout})
	}
	if name == "boot" {
		targets = append(targets, c.KexecTarget())
	}
	c.Target = targets
	if err := c.Once(ctx); err != nil {
		return fail(err)
	}
	return exitOK
}

// network is where the lease comes from: DHCP on --iface with the lease
// flags over it, or the lease flags alone; the files come from --url, or
// the boot server's TFTP root.
func (f *fetchFlags) network(c *pxeclient.Client, fs *flags) (func(context.Context) (*pxeclient.Lease, error), error) {
	src, err := f.src.source()
	if err != nil && !errors.Is(err, errNoSource) {
		return nil, err
	}
	if f.vlan != "" {
		if f.iface == "" {
			return nil, errors.New("--vlan needs --iface: the link to make the VLAN link over")
		}
		vlans, err := netconf.ParseVLANs(f.vlan)
		if err != nil {
			return nil, fmt.Errorf("--vlan: %w", err)
		}
		c.Settings.VLANs = vlans
	}
	if f.iface == "" {
		facts, err := f.lease.facts()
		if err != nil {
			return nil, err
		}
		if src == (pxeclient.Source{}) && !facts.Server.IsValid() {
			return nil, errors.New("no boot server: give --iface, --url or --server")
		}
		return pxeclient.Fixed(pxeclient.Lease{Facts: facts, Source: src}), nil
	}
	if _, err := f.lease.facts(); err != nil {
		return nil, err
	}
	c.Settings.Ifaces = []string{f.iface}
	return func(ctx context.Context) (*pxeclient.Lease, error) {
		l, err := c.LinkNetwork(ctx)
		if err != nil {
			return nil, err
		}
		if err := f.lease.over(&l.Facts, fs.FlagSet); err != nil {
			return nil, err
		}
		l.Source = src
		return l, nil
	}, nil
}

// multiTarget loads with each Target in turn and executes the last: with
// -o, boot writes the directory and then kexecs.
type multiTarget []pxeclient.Target

func (m multiTarget) Load(img *pxeclient.Image) error {
	for _, t := range m {
		if err := t.Load(img); err != nil {
			return err
		}
	}
	return nil
}

func (m multiTarget) Execute() error {
	if len(m) == 0 {
		return nil
	}
	return m[len(m)-1].Execute()
}

// dirTarget is what "boot" means for pxeboot fetch: Load writes the
// image's files and plan.json into dir and names plan.json on stdout;
// Execute does nothing.
type dirTarget struct {
	dir    string
	stdout io.Writer
}

func (t *dirTarget) Load(img *pxeclient.Image) error {
	p, err := writeImage(t.dir, img)
	if err != nil {
		return err
	}
	fmt.Fprintf(t.stdout, "%s\n", p)
	return nil
}

func (t *dirTarget) Execute() error { return nil }

// fetchPlan is plan.json: the pxeboot plan of the config plus the entry
// that was fetched.
type fetchPlan struct {
	Plan
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

// writeImage writes the files of img and plan.json into dir (created if
// needed) and returns the path of plan.json. Each file is replaced
// atomically (internal/atomicfile): a file in dir is complete or absent.
// plan.json is written last.
func writeImage(dir string, img *pxeclient.Image) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	used := map[string]bool{"plan.json": true}
	rec := func(ref bootmenu.File, file *fetch.File) (fileRecord, error) {
		base := path.Base(ref.Name)
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
		return fileRecord{Name: ref.Name, URL: file.URL, File: name, Size: len(file.Data), SHA256: hex.EncodeToString(file.SHA256[:])}, nil
	}
	ch := img.Choice
	b := bootRecord{Label: ch.Entry.Label, Via: img.Via, Args: ch.Args, Cmdline: ch.Cmdline, Initrds: []fileRecord{}}
	var err error
	if b.Kernel, err = rec(ch.Entry.Kernel, img.Kernel); err != nil {
		return "", err
	}
	for i, f := range img.Initrds {
		r, err := rec(ch.Initrds[i], f)
		if err != nil {
			return "", err
		}
		b.Initrds = append(b.Initrds, r)
	}
	js, err := json.MarshalIndent(fetchPlan{Plan: newPlan(img.Menu), Boot: b}, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "plan.json")
	if err := atomicfile.WriteFile(p, append(js, '\n'), 0o644); err != nil {
		return "", err
	}
	return p, nil
}

// writeVerified checks data against the SHA-256 taken while it arrived
// (memory that changed since is caught here) and writes it to name
// atomically.
func writeVerified(name string, data []byte, sum [32]byte) error {
	if got := sha256.Sum256(data); got != sum {
		return fmt.Errorf("%s: the data in memory does not match the SHA-256 taken while it arrived", name)
	}
	return atomicfile.WriteFile(name, data, 0o644)
}
