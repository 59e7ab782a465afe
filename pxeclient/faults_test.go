package pxeclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/fakekernel"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
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

// openServed is a testenv.TFTPServer's Open for files, with the transfer
// size announced (tsize), as dnsmasq and tftpd-hpa announce it, so the
// client checks memory before the transfer.
func openServed(files map[string]served) func(string) (io.Reader, int64, bool) {
	return func(name string) (io.Reader, int64, bool) {
		f, ok := files[name]
		r, n := f.reader()
		return r, n, ok
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// faultMemLimit is the memory the fault tests' fetcher pretends to have.
const faultMemLimit = 64 << 20

// faultClient is a Client for s390x against a TFTP server that announces
// sizes (openServed), whose kexec Target does what kexec.Load does first
// (CheckKernel) and then records the image instead of loading it.
func faultClient(t *testing.T, files map[string]served) (*Client, *testenv.Buffer, *booted) {
	t.Helper()
	b := &booted{}
	c, out := newClientAt(t, testenv.TFTPServer{Open: openServed(files)}.Start(t), b)
	c.Fetch.MemCheck = func(need int64) error {
		if need > faultMemLimit {
			return fmt.Errorf("%w: needs %d bytes, %d available (test limit)", fetch.ErrNoMemory, need, faultMemLimit)
		}
		return nil
	}
	c.Target = &kexecTarget{c: c,
		load: func(img kexec.Image, _ kexec.Options) error {
			if err := kexec.CheckKernel(c.Arch, img.Kernel); err != nil {
				return err
			}
			return b.boot(img)
		},
		exec: func() error { return nil },
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
	good := fakekernel.S390(4<<20, 4096, "")
	return map[string]served{
		"images/notkernel":  {data: bytes.Repeat([]byte("this is no kernel\n"), 4000)},
		"images/bzImage":    {data: fakekernel.BzImage(0x020f, fakekernel.XLFKernel64|fakekernel.XLFAbove4G, make([]byte, 4<<20))},
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
			testenv.Fault(t, "menu entry: "+tt.fault+", ONERROR good", reason+`; then booted "good"`, elapsed,
				fmt.Sprintf("%d B (good kernel compared)", len(b.img.Kernel)+len(b.img.Initrds[0])))
		})
	}
}

// bootEntry fetches and "kexecs" one entry of the client's config,
// through the steps of the flow, without ONERROR.
func bootEntry(ctx context.Context, c *Client, label string) error {
	l, err := c.Lease(ctx)
	if err != nil {
		return err
	}
	m, err := c.Config(ctx, l)
	if err != nil {
		return err
	}
	ch, err := m.Typed(label)
	if err != nil {
		return err
	}
	img, err := c.FetchChoice(ctx, l, ch)
	if err != nil {
		return err
	}
	return c.Target.Load(img)
}

// TestBadEntriesMenu types the three broken entries of a menu one after
// the other, at the menu and then at the command prompt that follows
// each failure, and then the good one: each failure is reported with its
// reason, the prompt comes back, and the good entry boots.
func TestBadEntriesMenu(t *testing.T) {
	files, good := badEntryFiles(t)
	files["pxelinux.cfg/default"] = served{data: []byte("UI menu.c32\nPROMPT 1\nTIMEOUT 0\n" + badEntries)}
	c, out, b := faultClient(t, files)
	start := time.Now()
	pw := runTyped(t, c, out)
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
	var failed []string
	for _, l := range strings.Split(text, "\n") {
		if _, rest, ok := strings.Cut(l, `error: boot "`); ok {
			label, _, _ := strings.Cut(rest, `"`)
			failed = append(failed, label)
		}
	}
	testenv.Fault(t, "menu: 3 broken entries typed in turn (not a kernel, wrong arch, too big), then the good one",
		fmt.Sprintf("console errors for %s, each with its reason and the prompt back; then %d boot of the good entry", strings.Join(failed, ", "), b.count()),
		elapsed, fmt.Sprintf("%d B (good kernel compared)", len(good)))
}

func (b *booted) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.n }

func (b *booted) image() kexec.Image { b.mu.Lock(); defer b.mu.Unlock(); return b.img }

// waitCount waits until out holds s at least n times.
func waitCount(t *testing.T, out *testenv.Buffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("console never showed %q %d times:\n%s", s, n, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestHugeConfig serves a 100 MiB pxelinux.cfg/default over TFTP (size
// announced) and HTTP (with and without Content-Length): the client must
// refuse it without downloading it, with an error that says why. A
// config just at the parser's limit sent without a size still loads, and
// one a little over it is refused by the parser.
func TestHugeConfig(t *testing.T) {
	const huge = 100 << 20
	atLimit := append(bytes.Repeat([]byte("# padding to the limit #\n"), (pxelinux.DefaultMaxFileSize-200)/25), "DEFAULT a\nLABEL a\nKERNEL k\n"...)
	atLimit = append(atLimit, bytes.Repeat([]byte("#"), pxelinux.DefaultMaxFileSize-len(atLimit)-1)...)
	atLimit = append(atLimit, '\n')
	if len(atLimit) != pxelinux.DefaultMaxFileSize {
		t.Fatalf("test config is %d bytes", len(atLimit))
	}
	tests := []struct {
		name, via string
		file      served
		wantMsg   string // "" when it must load
	}{
		{"100 MiB over TFTP (tsize)", "tftp", served{size: huge}, "file is 100 MiB: more than the 1048576 bytes a config file may have"},
		{"100 MiB over HTTP (Content-Length)", "http", served{size: huge}, "file is 100 MiB: more than the 1048576 bytes a config file may have"},
		{"100 MiB over HTTP (chunked)", "chunked", served{size: huge}, "more than the 1048576 bytes a config file may have"},
		{"1.5 MiB over TFTP (tsize)", "tftp", served{size: 3 << 19}, "pxelinux.cfg/default: 1572864 bytes, more than 1048576"},
		{"exactly the limit over HTTP (chunked)", "chunked", served{data: atLimit}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]served{"pxelinux.cfg/default": tt.file}
			c, out, _ := faultClient(t, files)
			c.Fetch.MemCheck = nil // the machine's own: the config limit must work without a test limit
			if tt.via != "tftp" {
				base := startHTTP(t, files, tt.via == "chunked")
				network := c.Network
				c.Network = func(ctx context.Context) (*Lease, error) {
					l, err := network(ctx)
					if l != nil {
						l.Source = Source{Base: base}
					}
					return l, err
				}
			}
			ctx := context.Background()
			l, err := c.Lease(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m *bootmenu.Menu
			cost := testenv.Measure(func() { m, err = c.Config(ctx, l) })
			elapsed, alloc := cost.Elapsed, cost.Alloc
			// Bound: a buffer of up to 2 MiB and the smaller ones it grew
			// from (4 MiB together), the parser's lines of a 1 MiB file
			// and the HTTP server, which runs in this process. Before the
			// config fetcher had its limit, the 100 MiB file cost 111 MiB.
			const bound = 8 << 20
			if alloc > bound {
				t.Errorf("Config allocated %.1f MiB, more than %d MiB", float64(alloc)/(1<<20), bound>>20)
			}
			outcome := ""
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Config: %v\n%s", err, out)
				}
				if a := m.Auto; a.Entry == nil || a.Entry.Label != "a" {
					t.Errorf("config at the limit does not boot \"a\"")
				}
				outcome = fmt.Sprintf("loaded, %d bytes", len(atLimit))
			} else {
				if !errors.Is(err, pxelinux.ErrLimit) || !strings.Contains(fmt.Sprint(err), tt.wantMsg) {
					t.Fatalf("Config = %v, want ErrLimit with %q\n%s", err, tt.wantMsg, out)
				}
				outcome = "refused: " + err.Error()
			}
			testenv.Fault(t, "config: "+tt.name, outcome, elapsed, fmt.Sprintf("%.1f MiB allocated (bound %d MiB)", float64(alloc)/(1<<20), bound>>20))
		})
	}
}

// startHTTP serves files over HTTP on 127.0.0.1 and returns the base URL;
// chunked leaves out Content-Length.
func startHTTP(t *testing.T, files map[string]served, chunked bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		rd, n := f.reader()
		if !chunked {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		w.WriteHeader(http.StatusOK)
		buf := make([]byte, 64<<10)
		for {
			k, err := rd.Read(buf)
			if k > 0 {
				if _, err := w.Write(buf[:k]); err != nil {
					return // the client went away
				}
				if chunked {
					w.(http.Flusher).Flush()
				}
			}
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}
