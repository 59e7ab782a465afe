package pxeclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pin/tftp/v3"

	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/menu"
)

// served is a file of the fault tests' TFTP server: data, or size bytes
// generated as they are sent (a 256 MiB initrd costs nothing until read).
type served struct {
	data []byte
	size int64
}

func (s served) reader() (io.Reader, int64) {
	if s.data != nil {
		return bytes.NewReader(s.data), int64(len(s.data))
	}
	return io.LimitReader(zeros{}, s.size), s.size
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// startSizedTFTP is startTFTP with the transfer size announced (tsize), as
// dnsmasq and tftpd-hpa announce it, so the client checks memory before
// the transfer.
func startSizedTFTP(t *testing.T, files map[string]served) string {
	t.Helper()
	srv := tftp.NewServer(func(name string, rf io.ReaderFrom) error {
		f, ok := files[strings.TrimPrefix(name, "/")]
		if !ok {
			return fmt.Errorf("%s: file not found", name)
		}
		r, n := f.reader()
		if ot, ok := rf.(tftp.OutgoingTransfer); ok {
			ot.SetSize(n)
		}
		_, err := rf.ReadFrom(r)
		return err
	}, nil)
	srv.SetBackoff(func(int) time.Duration { return 0 })
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(conn)
	t.Cleanup(srv.Shutdown)
	return conn.LocalAddr().String()
}

// cachedKernel reads .cache/ARCH/vmlinuz (scripts/fetch-kernels.sh).
func cachedKernel(t *testing.T, arch string) []byte {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = filepath.Dir(dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ".cache", arch, "vmlinuz"))
	if err != nil {
		t.Fatalf("%v: run scripts/fetch-kernels.sh", err)
	}
	return b
}

// faultMemLimit is the memory the fault tests' fetcher pretends to have.
const faultMemLimit = 64 << 20

// faultClient is a Client for s390x against a sized TFTP server whose
// Booter does what kexec.Load does first (CheckKernel) and then records
// the image instead of loading it.
func faultClient(t *testing.T, files map[string]served) (*Client, *syncBuffer, *booted) {
	t.Helper()
	b := &booted{}
	c, out := newClientFS(t, &fileSet{m: map[string][]byte{}}, b)
	addr := startSizedTFTP(t, files)
	network := c.Network
	c.Network = func(ctx context.Context) (*Lease, error) {
		l, err := network(ctx)
		if l != nil {
			l.Source = Source{Base: "tftp://" + addr + "/"}
		}
		return l, err
	}
	c.Fetch.MemCheck = func(need int64) error {
		if need > faultMemLimit {
			return fmt.Errorf("%w: needs %d bytes, %d available (test limit)", fetch.ErrNoMemory, need, faultMemLimit)
		}
		return nil
	}
	fake := c.Boot
	c.Boot = func(img kexec.Image, log *slog.Logger) error {
		if err := kexec.CheckKernel(c.Arch, img.Kernel); err != nil {
			return err
		}
		return fake(img, log)
	}
	return c, out, b
}

const badEntries = `LABEL notkernel
  KERNEL images/notkernel
LABEL wrongarch
  KERNEL images/bzImage
LABEL toobig
  KERNEL images/vmlinuz
  INITRD images/huge.img
LABEL good
  KERNEL images/vmlinuz
  INITRD images/initrd.img
  APPEND good
`

func badEntryFiles(t *testing.T) (map[string]served, []byte) {
	good := cachedKernel(t, "s390x")
	return map[string]served{
		"images/notkernel":  {data: bytes.Repeat([]byte("this is no kernel\n"), 4000)},
		"images/bzImage":    {data: cachedKernel(t, "amd64")},
		"images/vmlinuz":    {data: good},
		"images/huge.img":   {size: 256 << 20},
		"images/initrd.img": {data: []byte("initrd")},
	}, good
}

// TestBadEntryOnError boots a menu whose DEFAULT is broken in one of three
// ways; each must fail with its reason on the console, and ONERROR must
// still boot the good entry.
func TestBadEntryOnError(t *testing.T) {
	tests := []struct {
		label, fault string
		want         error
		wantMsg      string
	}{
		{"notkernel", "a kernel that is none (72 kB of text)", kexec.ErrNotKernel, "kexec on GOARCH=s390x needs"},
		{"wrongarch", "an x86-64 bzImage on s390x", kexec.ErrWrongArch, "x86"},
		{"toobig", "a 256 MiB initrd with 64 MiB free", fetch.ErrNoMemory, "huge.img"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			files, good := badEntryFiles(t)
			files["pxelinux.cfg/default"] = served{data: []byte("DEFAULT " + tt.label + "\nONERROR good\n" + badEntries)}
			c, out, b := faultClient(t, files)
			ctx := context.Background()
			// The entry alone, through the steps bootFrom takes: the
			// error must match its sentinel.
			if err := bootEntry(ctx, c, tt.label); !errors.Is(err, tt.want) {
				t.Fatalf("boot %s = %v, want %v", tt.label, err, tt.want)
			}
			start := time.Now()
			if err := c.Once(ctx); err != nil {
				t.Fatalf("Once: %v\n%s", err, out)
			}
			elapsed := time.Since(start)
			if !bytes.Equal(b.img.Kernel, good) || !strings.Contains(b.img.Cmdline, "good") {
				t.Fatalf("booted %d bytes, cmdline %q, want the good entry\n%s", len(b.img.Kernel), b.img.Cmdline, out)
			}
			text := out.String()
			for _, w := range []string{`error: boot "` + tt.label + `"`, tt.wantMsg, "via=ONERROR"} {
				if !strings.Contains(text, w) {
					t.Errorf("console lacks %q:\n%s", w, text)
				}
			}
			reason := ""
			for _, l := range strings.Split(text, "\n") {
				if strings.Contains(l, `error: boot "`+tt.label+`"`) {
					reason = strings.TrimPrefix(l, "pxeinit: error: ")
				}
			}
			t.Logf("FAULT | menu entry: %s, ONERROR good | %s; then booted \"good\" | %.3fs | %d B (good kernel compared) |",
				tt.fault, strings.ReplaceAll(reason, "|", "/"), elapsed.Seconds(), len(b.img.Kernel)+len(b.img.Initrds[0]))
		})
	}
}

// bootEntry fetches and "kexecs" one entry of the client's config.
func bootEntry(ctx context.Context, c *Client, label string) error {
	l, err := c.network(ctx)
	if err != nil {
		return err
	}
	cfg, err := c.LoadConfig(ctx, l)
	if err != nil {
		return err
	}
	ch, err := cfg.Command(label)
	if err != nil {
		return err
	}
	d, err := c.FetchChoice(ctx, l, ch)
	if err != nil {
		return err
	}
	return c.Kexec(d)
}

// TestBadEntriesMenu types the three broken entries of a menu one after
// the other, at the menu and then at the command prompt that follows
// each failure, and then the good one: each failure is reported with its
// reason, the prompt comes back, and the good entry boots.
func TestBadEntriesMenu(t *testing.T) {
	files, good := badEntryFiles(t)
	files["pxelinux.cfg/default"] = served{data: []byte("UI menu.c32\nPROMPT 1\nTIMEOUT 0\n" + badEntries)}
	c, out, b := faultClient(t, files)
	pr, pw := io.Pipe()
	defer pw.Close()
	c.UI = menu.New(pr, out, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- c.Run(ctx) }()
	for i, label := range []string{"notkernel", "wrongarch", "toobig"} {
		if _, err := pw.Write([]byte(label + "\n")); err != nil {
			t.Fatal(err)
		}
		waitCount(t, out, `error: boot "`+label+`"`, 1)
		waitCount(t, out, "pxeinit> ", i+1)
	}
	pw.Write([]byte("good\n"))
	deadline := time.Now().Add(10 * time.Second)
	for b.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	pw.Close()
	<-done
	if b.count() != 1 || !bytes.Equal(b.image().Kernel, good) {
		t.Fatalf("%d boots, want the good entry once:\n%s", b.count(), out)
	}
	text := out.String()
	for _, w := range []string{
		`error: boot "notkernel": kexec tftp://`, ": not a kernel: the kernel is a text file",
		`error: boot "wrongarch": kexec tftp://`, ": kernel for the wrong architecture: the kernel is an x86 bzImage",
		`error: boot "toobig": entry "toobig": fetch tftp://`, "huge.img", "not enough free memory",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("console lacks %q:\n%s", w, text)
		}
	}
	t.Logf("FAULT | menu: 3 broken entries typed in turn (not a kernel, wrong arch, too big), then the good one | each reported with its reason, prompt came back each time, good entry booted | %.3fs | %d B (good kernel compared) |",
		elapsed.Seconds(), len(good))
}

func (b *booted) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.n }

func (b *booted) image() kexec.Image { b.mu.Lock(); defer b.mu.Unlock(); return b.img }

// waitCount waits until out holds s at least n times.
func waitCount(t *testing.T, out *syncBuffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("console never showed %q %d times:\n%s", s, n, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
