//go:build e2e

package e2e

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// TestNetbootHTTP boots an s390x guest through the firmware whose config
// (served by QEMU's TFTP) names its kernel and initrds by http:// and
// https:// URLs on servers of this test process: the guest reaches the
// host's loopback as 10.0.2.2 through QEMU's user network. The HTTPS
// servers have certificates for IP 10.0.2.2 from CAs made at test time;
// the ramdisk trusts one of them (mkpxeramfs --ca-bundle).
//
// One boot covers both cases: the DEFAULT entry is on a server whose
// certificate comes from the other CA, so the init must refuse it with a
// certificate error naming the URL, and follow ONERROR to the good entry:
// kernel over HTTP, first initrd over HTTPS, second initrd over HTTP. The
// target's /init shows the command line and a file of each initrd; the
// servers' counts show what was fetched over which scheme, and that the
// refused server never got a request.
//
//	go test -tags e2e -run TestNetbootHTTP -v ./scripts/e2e/
func TestNetbootHTTP(t *testing.T) {
	const arch = "s390x"
	cache := Cache(t, arch)
	work := t.TempDir()
	tftp := filepath.Join(work, "tftp")

	trusted, other := testenv.NewCA(t, "s390netboot e2e trusted CA"), testenv.NewCA(t, "s390netboot e2e other CA")
	guestIP := net.ParseIP("10.0.2.2") // the host, as QEMU's user network shows it
	caFile := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(caFile, trusted.PEM, 0o644); err != nil {
		t.Fatal(err)
	}

	kernel := netbootRead(t, filepath.Join(cache, "vmlinuz"))
	initrd := BusyboxInitramfs(t, arch, targetInit, Archive{"marker1": {Data: []byte("from-https-initrd")}})
	marker := Archive{"marker2": {Data: []byte("from-http-initrd")}}.Cpio(t)
	plain := startFileServer(t, "http", map[string][]byte{"vmlinuz": kernel, "marker.gz": marker}, nil)
	good := startFileServer(t, "https", map[string][]byte{"initrd.gz": initrd}, new(trusted.Issue(t, []net.IP{guestIP}, nil)))
	bad := startFileServer(t, "https-other-ca", map[string][]byte{"vmlinuz": kernel, "initrd.gz": initrd}, new(other.Issue(t, []net.IP{guestIP}, nil)))

	cfg := fmt.Sprintf(`SAY s390netboot e2e: kernel and initrds over HTTP and HTTPS
DEFAULT othercert
ONERROR web
LABEL othercert
  KERNEL %[1]s/vmlinuz
  INITRD %[1]s/initrd.gz
  APPEND console=ttysclp0 quiet e2e=WRONG-CERT
LABEL web
  KERNEL %[2]s/vmlinuz
  INITRD %[3]s/initrd.gz,%[2]s/marker.gz
  APPEND console=ttysclp0 quiet e2e=http
  IPAPPEND 2
`, bad.url, plain.url, good.url)
	writeTree(t, tftp, map[string][]byte{"pxelinux.cfg/01-52-54-00-12-34-56": []byte(cfg)})
	t.Logf("config:\n%s", cfg)

	g := StartQEMU(t, netbootGuest(t, arch, tftp, "--ca-bundle", caFile))
	start := time.Now()
	g.Expect(`pxeinit: starting on`, 120*time.Second)

	// The refused entry: a certificate error that names the URL.
	refusedRe := `^pxeinit: error: boot "othercert": .*fetch ` + regexp.QuoteMeta(bad.url+"/vmlinuz") + ` .*certificate not trusted.*unknown authority`
	l, i, err := g.ExpectAny(90*time.Second, refusedRe, `^pxeinit: stage=kexec`, `^pxeinit: error:`)
	if err != nil {
		t.Fatal(err)
	}
	if i != 0 {
		t.Fatalf("want the certificate of %s refused first; got: %s", bad.url, l.Text)
	}
	t.Logf("refused: %s", l.Text)
	g.Expect(`^pxeinit: stage=choice .*label=web via=ONERROR`, 10*time.Second)
	l, i, err = g.ExpectAny(90*time.Second, `^pxeinit: stage=kexec`, `^pxeinit: error:`)
	if err != nil {
		t.Fatal(err)
	}
	if i != 0 {
		t.Fatalf("the ONERROR entry failed: %s", l.Text)
	}
	kexecAt := time.Since(start)

	l = g.Expect(`TARGET-UP`, 120*time.Second)
	t.Logf("target up %v after QEMU started (kexec after %v): %s", l.At.Round(time.Millisecond), kexecAt.Round(time.Millisecond), l.Text)
	for _, want := range []string{"e2e=http", "BOOTIF=01-52-54-00-12-34-56",
		"marker1=[from-https-initrd]", "marker2=[from-http-initrd]"} {
		if !strings.Contains(l.Text, want) {
			t.Errorf("target /init: %q lacks %q", l.Text, want)
		}
	}
	if strings.Contains(l.Text, "WRONG-CERT") {
		t.Errorf("the entry behind the untrusted certificate booted: %s", l.Text)
	}

	// The init's own account: one fetch line per file, with its URL.
	console := g.Console()
	for _, u := range []string{plain.url + "/vmlinuz", good.url + "/initrd.gz", plain.url + "/marker.gz"} {
		if !regexp.MustCompile(`(?m)^pxeinit: stage=fetch .*file=` + regexp.QuoteMeta(u) + ` `).MatchString(console) {
			t.Errorf("no stage=fetch line for %s", u)
		}
	}
	// The servers' account.
	for _, c := range []struct {
		s    *fileServer
		file string
		size int
	}{{plain, "vmlinuz", len(kernel)}, {good, "initrd.gz", len(initrd)}, {plain, "marker.gz", len(marker)}} {
		got, sent := c.s.counts(c.file)
		t.Logf("%s server: GET /%s %d times, %d bodies of %d bytes sent", c.s.name, c.file, got, sent, c.size)
		if got < 1 || sent < 1 {
			t.Errorf("%s server: %s was not downloaded (%d requests, %d bodies)", c.s.name, c.file, got, sent)
		}
	}
	if n := good.hellos.Load(); n < 1 {
		t.Errorf("the trusted HTTPS server saw no TLS handshake")
	}
	hellos, reqs := bad.hellos.Load(), bad.requests()
	t.Logf("server with the other CA's certificate: %d TLS client hellos, %d HTTP requests; its log:\n%s", hellos, reqs, bad.errlog())
	if hellos < 1 {
		t.Errorf("the guest never tried the server with the other CA's certificate")
	}
	if reqs != 0 {
		t.Errorf("the server with the other CA's certificate got %d HTTP requests; the handshake must fail first", reqs)
	}
}

// targetInit is the target's /init: it prints its command line and a file
// from each initrd on one line, then powers off.
const targetInit = `#!/bin/sh
/bin/busybox mount -t proc proc /proc
echo "TARGET-UP cmdline=[$(/bin/busybox cat /proc/cmdline)] marker1=[$(/bin/busybox cat /marker1 2>&1)] marker2=[$(/bin/busybox cat /marker2 2>&1)]"
/bin/busybox poweroff -f
`

// netbootGuest builds the netboot ramdisk for arch (our init, the cache's
// modules, and mkpxeramfs flags ramfsArgs) and returns the guest booting
// it with QEMU's TFTP serving tftp: on s390x the firmware loads
// tftp/pxelinux.0, the Debian kernel joined with the ramdisk; on amd64
// QEMU starts the kernel and ramdisk itself.
func netbootGuest(t *testing.T, arch, tftp string, ramfsArgs ...string) QEMU {
	t.Helper()
	cache := Cache(t, arch)
	console := map[string]string{"s390x": "ttysclp0", "amd64": "ttyS0"}[arch]
	mkram := BuildCmd(t, "./cmd/mkpxeramfs", runtime.GOARCH)
	pxeinit := BuildCmd(t, "./cmd/pxeinit", arch)
	ramdisk := filepath.Join(t.TempDir(), "pxeramfs.cpio.gz")
	netbootRun(t, mkram, append([]string{"--arch", arch, "--init", pxeinit,
		"--modules-dir", filepath.Join(cache, "modules"), "-o", ramdisk}, ramfsArgs...)...)
	q := QEMU{Arch: arch, Memory: "1024M", TFTPDir: tftp, BootFile: "pxelinux.0"}
	switch arch {
	case "s390x":
		if err := os.MkdirAll(tftp, 0o755); err != nil {
			t.Fatal(err)
		}
		netbootRun(t, BuildCmd(t, "./cmd/mks390image", runtime.GOARCH), filepath.Join(cache, "vmlinuz"), ramdisk,
			"-o", filepath.Join(tftp, "pxelinux.0"), "--cmdline", "console="+console+" quiet")
	default:
		q.Kernel, q.Initrd, q.Append = filepath.Join(cache, "vmlinuz"), ramdisk, "console="+console+" quiet"
	}
	return q
}

// writeTree writes files (paths relative to dir) below dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fileServer serves files over HTTP or HTTPS on 127.0.0.1 and counts what
// it was asked for and what it sent.
type fileServer struct {
	name  string
	url   string // as the guest reaches it: scheme://10.0.2.2:PORT
	files map[string][]byte

	hellos atomic.Int32 // TLS client hellos

	mu   sync.Mutex
	got  map[string]int // requests per file
	sent map[string]int // bodies sent in full per file
	log  bytes.Buffer   // the server's error log (failed handshakes)
}

// startFileServer starts a server for files on 127.0.0.1:0, with TLS when
// cert is set; it stops when the test ends.
func startFileServer(t *testing.T, name string, files map[string][]byte, cert *tls.Certificate) *fileServer {
	t.Helper()
	fs := &fileServer{name: name, files: files, got: map[string]int{}, sent: map[string]int{}}
	srv := httptest.NewUnstartedServer(fs)
	srv.Config.ErrorLog = log.New(lockedWriter{&fs.mu, &fs.log}, "", 0)
	scheme := "http"
	if cert != nil {
		scheme = "https"
		srv.TLS = &tls.Config{
			Certificates: []tls.Certificate{*cert},
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				fs.hellos.Add(1)
				return nil, nil
			},
		}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	fs.url = fmt.Sprintf("%s://10.0.2.2:%d", scheme, port)
	return fs
}

func (fs *fileServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	fs.mu.Lock()
	fs.got[name]++
	fs.mu.Unlock()
	data, ok := fs.files[name]
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if _, err := w.Write(data); err != nil {
		return
	}
	fs.mu.Lock()
	fs.sent[name]++
	fs.mu.Unlock()
}

// counts says how often file was asked for and sent in full.
func (fs *fileServer) counts(file string) (got, sent int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.got[file], fs.sent[file]
}

// requests is the number of HTTP requests of any kind.
func (fs *fileServer) requests() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, c := range fs.got {
		n += c
	}
	return n
}

func (fs *fileServer) errlog() string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
