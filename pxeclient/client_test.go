package pxeclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/menu"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// fileSet is the server's files; the test may add some while it runs.
type fileSet struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (f *fileSet) get(name string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.m[name]
	return d, ok
}

// open is a testenv.TFTPServer's Open: the file, its size not announced.
func (f *fileSet) open(name string) (io.Reader, int64, bool) {
	data, ok := f.get(name)
	return bytes.NewReader(data), -1, ok
}

func (f *fileSet) put(name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[name] = data
}

var mac = net.HardwareAddr{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}

type booted struct {
	mu   sync.Mutex
	img  kexec.Image
	errs []error // returned by successive boots; nil = success
	n    int
}

func newClient(t *testing.T, files map[string][]byte, b *booted) (*Client, *testenv.Buffer) {
	t.Helper()
	return newClientFS(t, &fileSet{m: files}, b)
}

func newClientFS(t *testing.T, files *fileSet, b *booted) (*Client, *testenv.Buffer) {
	t.Helper()
	return newClientAt(t, testenv.TFTPServer{Open: files.open, FixedBlockSize: true}.Start(t), b)
}

// newClientAt is a Client for s390x whose network step "finds" the TFTP
// server addr and whose Booter records the image in b.
func newClientAt(t *testing.T, addr string, b *booted) (*Client, *testenv.Buffer) {
	out := &testenv.Buffer{}
	h := NewConsoleHandler(out, "pxeinit", slog.LevelInfo)
	c := &Client{
		Log:      slog.New(h),
		Console:  out,
		LogLines: h.Lines,
		Arch:     "s390x",
		Fetch:    fetch.Options{TFTPBlockSize: 1468, Attempts: 1},
		Network: func(ctx context.Context) (*Lease, error) {
			return &Lease{
				Interface: "eth0",
				Facts: pxelinux.Facts{
					MAC: mac, HWType: 1, RebootTime: -1,
					IP:     netip.MustParseAddr("10.0.2.15"),
					Server: netip.MustParseAddr("127.0.0.1"),
					UUID:   "5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11",
				},
				Source: Source{Base: "tftp://" + addr + "/"},
			}, nil
		},
		Target: funcTarget(b.boot),
	}
	return c, out
}

// boot records img and returns the next of b.errs (nil: "booted").
func (b *booted) boot(img kexec.Image) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.img = img
	var err error
	if b.n < len(b.errs) {
		err = b.errs[b.n]
	}
	b.n++
	return err
}

// funcTarget is a Target for tests: Load hands the image to the function
// as kexec would get it; Execute returns nil, so a successful Load ends
// the flow as if the kernel had started.
type funcTarget func(kexec.Image) error

func (f funcTarget) Load(img *Image) error {
	k := kexec.Image{Kernel: img.Kernel.Data, Cmdline: img.Choice.Cmdline}
	for _, i := range img.Initrds {
		k.Initrds = append(k.Initrds, i.Data)
	}
	return f(k)
}

func (f funcTarget) Execute() error { return nil }

const macCfg = `DEFAULT linux
SAY booting the test kernel
LABEL linux
  KERNEL images/vmlinuz
  INITRD images/target.cpio.gz,images/marker.cpio.gz
  APPEND console=ttysclp0 quiet
  IPAPPEND 2
`

func TestOnceBoots(t *testing.T) {
	kernel := bytes.Repeat([]byte("K"), 300_000)
	files := map[string][]byte{
		"pxelinux.cfg/01-52-54-00-12-34-56": []byte(macCfg),
		"pxelinux.cfg/default":              []byte("DEFAULT other\nLABEL other\nKERNEL other\n"),
		"images/vmlinuz":                    kernel,
		"images/target.cpio.gz":             []byte("target initrd"),
		"images/marker.cpio.gz":             []byte("marker initrd"),
	}
	var b booted
	c, out := newClient(t, files, &b)
	if err := c.Once(context.Background()); err != nil {
		t.Fatalf("Once: %v\n%s", err, out)
	}
	if !bytes.Equal(b.img.Kernel, kernel) || len(b.img.Initrds) != 2 ||
		string(b.img.Initrds[0]) != "target initrd" || string(b.img.Initrds[1]) != "marker initrd" {
		t.Errorf("booted kernel %d bytes, initrds %q", len(b.img.Kernel), b.img.Initrds)
	}
	if want := "BOOT_IMAGE=images/vmlinuz console=ttysclp0 quiet BOOTIF=01-52-54-00-12-34-56"; b.img.Cmdline != want {
		t.Errorf("cmdline %q, want %q", b.img.Cmdline, want)
	}
	text := out.String()
	// The stage lines in order, in the documented format.
	re := regexp.MustCompile(`(?m)^pxeinit: stage=(\w+) t=\d+\.\d{3}s dt=\d+\.\d{3}s`)
	var stages []string
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		stages = append(stages, m[1])
	}
	if got := strings.Join(stages, ","); got != "config,choice,fetch,fetch,fetch,fetched" {
		t.Errorf("stages %s\n%s", got, text)
	}
	for _, want := range []string{
		"lookup: not found file=pxelinux.cfg/5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11",
		"lookup: found file=pxelinux.cfg/01-52-54-00-12-34-56",
		"stage=config", "file=pxelinux.cfg/01-52-54-00-12-34-56 tried=2",
		"stage=choice", "label=linux via=DEFAULT",
		"fetched vmlinuz",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("console lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\r") {
		t.Errorf("carriage return on the console")
	}
}

func TestOnceNoConfig(t *testing.T) {
	var b booted
	c, out := newClient(t, map[string][]byte{}, &b)
	err := c.Once(context.Background())
	if !errors.Is(err, pxelinux.ErrNoConfig) {
		t.Fatalf("Once = %v, want ErrNoConfig", err)
	}
	msg := err.Error()
	for _, want := range []string{"no config found: tried pxelinux.cfg/5b0b7c82-4b4e-4f0b-9d6a-1b4f7c4e2a11, pxelinux.cfg/01-52-54-00-12-34-56, pxelinux.cfg/0A00020F",
		"pxelinux.cfg/0, pxelinux.cfg/default on server 127.0.0.1:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if b.n != 0 {
		t.Error("booted without a config")
	}
	_ = out
}

func TestOnceOnError(t *testing.T) {
	cfg := `DEFAULT broken
ONERROR rescue
LABEL broken
  KERNEL images/missing
LABEL rescue
  KERNEL images/vmlinuz
  APPEND rescue
`
	files := map[string][]byte{"pxelinux.cfg/default": []byte(cfg), "images/vmlinuz": []byte("kernel")}
	var b booted
	c, out := newClient(t, files, &b)
	if err := c.Once(context.Background()); err != nil {
		t.Fatalf("Once: %v\n%s", err, out)
	}
	// ONERROR appends the failed command line, as PXELINUX does.
	if !strings.HasPrefix(b.img.Cmdline, "BOOT_IMAGE=images/vmlinuz rescue") {
		t.Errorf("cmdline %q", b.img.Cmdline)
	}
	text := out.String()
	for _, want := range []string{`error: boot "broken": entry "broken": fetch tftp://127.0.0.1:`, "images/missing", "file not found", "via=ONERROR"} {
		if !strings.Contains(text, want) {
			t.Errorf("console lacks %q:\n%s", want, text)
		}
	}

	// A kexec that fails every time: ONERROR is bounded.
	cfg2 := "DEFAULT a\nONERROR a\nLABEL a\nKERNEL images/vmlinuz\n"
	files = map[string][]byte{"pxelinux.cfg/default": []byte(cfg2), "images/vmlinuz": []byte("kernel")}
	refused := errors.New("kexec refused")
	b = booted{errs: []error{refused, refused, refused, refused, refused}}
	c, out = newClient(t, files, &b)
	err := c.Once(context.Background())
	if !errors.Is(err, refused) || b.n != MaxOnError {
		t.Errorf("Once = %v after %d boots, want %d", err, b.n, MaxOnError)
	}
}

func TestOnceMenuAndConfigEntry(t *testing.T) {
	top := `UI menu.c32
TIMEOUT 600
LABEL more
  MENU LABEL More choices
  CONFIG pxelinux.cfg/more
LABEL local
  LOCALBOOT 0
`
	more := "DEFAULT two\nLABEL two\nKERNEL images/vmlinuz\nAPPEND two\n"
	files := map[string][]byte{"pxelinux.cfg/default": []byte(top), "pxelinux.cfg/more": []byte(more), "images/vmlinuz": []byte("kernel")}
	var b booted
	c, out := newClient(t, files, &b)
	pr, pw := io.Pipe()
	defer pw.Close()
	c.UI = menu.New(pr, out, nil)
	go pw.Write([]byte("local\nmore\n"))
	if err := c.Once(context.Background()); err != nil {
		t.Fatalf("Once: %v\n%s", err, out)
	}
	if b.img.Cmdline != "BOOT_IMAGE=images/vmlinuz two" {
		t.Errorf("cmdline %q\n%s", b.img.Cmdline, out)
	}
	if !strings.Contains(out.String(), "LOCALBOOT 0") {
		t.Errorf("no LOCALBOOT message:\n%s", out)
	}
}

// TestRunPrompt: the first pass fails (no config); the command prompt
// starts over when told; the second pass boots.
func TestRunPrompt(t *testing.T) {
	files := &fileSet{m: map[string][]byte{}}
	var b booted
	c, out := newClientFS(t, files, &b)
	pw := runToPrompt(t, c, out)
	files.put("pxelinux.cfg/default", []byte("DEFAULT x\nLABEL x\nKERNEL k\n"))
	files.put("k", []byte("kernel"))
	pw.Write([]byte("log\nretry\n"))
	deadline := time.Now().Add(5 * time.Second)
	for b.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if b.count() == 0 {
		t.Fatalf("never booted:\n%s", out)
	}
	if !strings.Contains(out.String(), "pxeinit: error: no config found") {
		t.Errorf("console:\n%s", out)
	}
}

func TestSourceURL(t *testing.T) {
	tests := []struct {
		base string
		p    pxelinux.Path
		want string
	}{
		{"tftp://10.0.2.2/", pxelinux.Path{Name: "s390x/vmlinuz"}, "tftp://10.0.2.2/s390x/vmlinuz"},
		{"tftp://10.0.2.2:6969/", pxelinux.Path{Name: "/pxelinux.cfg/default"}, "tftp://10.0.2.2:6969/pxelinux.cfg/default"},
		{"tftp://10.0.2.2/root/", pxelinux.Path{Name: "a b"}, "tftp://10.0.2.2/root/a%20b"},
		{"http://boot.example/tftp/", pxelinux.Path{Name: "s390x/initrd.img"}, "http://boot.example/tftp/s390x/initrd.img"},
		{"tftp://10.0.2.2/", pxelinux.Path{Host: "10.9.9.9", Name: "x"}, "tftp://10.9.9.9/x"},
		{"tftp://10.0.2.2/", pxelinux.Path{URL: "https://h/k"}, "https://h/k"},
		{TFTPSource(netip.MustParseAddr("2001:db8::1")).Base, pxelinux.Path{Name: "s390x/vmlinuz"}, "tftp://[2001:db8::1]/s390x/vmlinuz"},
		{TFTPSource(netip.MustParseAddr("fe80::1%eth0")).Base, pxelinux.Path{Name: "pxelinux.cfg/default"}, "tftp://[fe80::1%25eth0]/pxelinux.cfg/default"},
		{"http://[fe80::1%25eth0]:8080/", pxelinux.Path{Name: "k"}, "http://[fe80::1%25eth0]:8080/k"},
	}
	for _, tt := range tests {
		if got := (Source{Base: tt.base}).URL(tt.p); got != tt.want {
			t.Errorf("Source{%q}.URL(%+v) = %q, want %q", tt.base, tt.p, got, tt.want)
		}
	}
	for _, bad := range []string{"", "ftp://h/", "10.0.2.2", "tftp:///x"} {
		if _, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q) succeeded", bad)
		}
	}
	if s, err := ParseSource("tftp://10.0.2.2"); err != nil || s.Base != "tftp://10.0.2.2/" {
		t.Errorf("ParseSource = %v, %v", s, err)
	}
}

func TestConsoleHandler(t *testing.T) {
	var buf bytes.Buffer
	h := NewConsoleHandler(&buf, "pxeinit", slog.LevelInfo)
	log := slog.New(h)
	log.Debug("hidden", "k", 1)
	log.Info("lease", "addr", "10.0.2.15", "msg", "two words", "d", 410*time.Millisecond)
	log.With("iface", "eth0").WithGroup("dhcp").Warn("slow", "try", 2)
	log.Error("boom")
	want := `pxeinit: lease addr=10.0.2.15 msg="two words" d=0.410s
pxeinit: warning: slow iface=eth0 dhcp.try=2
pxeinit: error: boom
`
	if buf.String() != want {
		t.Errorf("console:\n%s\nwant:\n%s", buf.String(), want)
	}
	lines := h.Lines()
	if len(lines) != 4 || !strings.Contains(lines[0], "hidden") {
		t.Errorf("Lines = %q", lines)
	}
	for i := 0; i < LogLines+10; i++ {
		log.Info(fmt.Sprint(i))
	}
	lines = h.Lines()
	if len(lines) != LogLines || lines[len(lines)-1] != fmt.Sprintf("pxeinit: %d", LogLines+9) {
		t.Errorf("ring: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// TestConsoleHandlerLines: a message of several lines gives one console
// line each, every one starting with the prefix and level, the further
// ones indented, the attributes on the first.
func TestConsoleHandlerLines(t *testing.T) {
	joined := fmt.Errorf("boot %q: %w", "linux", errors.Join(errors.New("fetch k: file not found"), errors.New("fetch i: file not found")))
	tests := []struct {
		name  string
		level slog.Level
		msg   string
		attrs []any
		want  string
	}{
		{"joined error", slog.LevelError, joined.Error(), []any{"next", "command prompt"},
			`pxeinit: error: boot "linux": fetch k: file not found next="command prompt"
pxeinit: error:   fetch i: file not found
`},
		{"trailing newline", slog.LevelWarn, "panic: x\ngoroutine 1:\n\tmain.go:3\n", nil,
			"pxeinit: warning: panic: x\npxeinit: warning:   goroutine 1:\npxeinit: warning:   \tmain.go:3\n"},
		{"info", slog.LevelInfo, "a\nb", []any{"k", 1}, "pxeinit: a k=1\npxeinit:   b\n"},
		{"one line", slog.LevelInfo, "a", nil, "pxeinit: a\n"},
		{"empty", slog.LevelInfo, "", nil, "pxeinit: \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := NewConsoleHandler(&buf, "pxeinit", slog.LevelInfo)
			slog.New(h).Log(context.Background(), tt.level, tt.msg, tt.attrs...)
			if buf.String() != tt.want {
				t.Errorf("console:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
			if got := strings.Join(h.Lines(), "\n") + "\n"; got != tt.want {
				t.Errorf("Lines:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestPrefixMask(t *testing.T) {
	for _, tt := range []struct{ p, want string }{{"10.0.2.15/24", "255.255.255.0"}, {"10.0.0.1/0", "0.0.0.0"}, {"10.0.0.1/32", "255.255.255.255"}, {"10.0.0.1/20", "255.255.240.0"}} {
		if got := prefixMask(netip.MustParsePrefix(tt.p)); got.String() != tt.want {
			t.Errorf("prefixMask(%s) = %s", tt.p, got)
		}
	}
}

func TestVmHWM(t *testing.T) {
	n, err := VmHWM()
	if err != nil || n < 1<<20 {
		t.Errorf("VmHWM = %d, %v", n, err)
	}
}
