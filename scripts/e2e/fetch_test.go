//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/fetch/fetchtest"
)

// TestFetchLoss fetches files from dnsmasq's TFTP server through the
// seeded lossy relay (fetchtest) at 5 % and 20 % loss, with this
// project's client and with busybox's tftp against the same server and
// the same loss pattern, and then over HTTP from busybox httpd with an
// nftables rule dropping 5 % and 20 % of the TCP packets at random (tc
// netem would do, but kernels built without CONFIG_NET_SCH_NETEM, like
// this project's CI VM, lack it; nf_tables' numgen is commonly built in).
//
// Two servers: dnsmasq 2.90, the one most users run, which has no
// windowsize option (RFC 7440), and atftpd, which has. What to expect:
// without windows a lost DATA packet is only recovered by the server's
// own retransmission timer (dnsmasq: 3 s and more; atftpd here: 1 s),
// whatever the client does, since servers ignore duplicate ACKs; a lost
// ACK is recovered by the client's timer (ours: 100 ms, fixed). With a
// window (ours asks for 16 blocks; busybox's tftp has no windows) the
// client acknowledges the last block before a gap as soon as it sees
// one, or after its timeout, and the server sends again from there at
// once: both losses cost milliseconds. TCP recovers both in milliseconds.
//
// The test re-executes itself in a new network namespace: dnsmasq owns
// port 69 (atftpd 6969) of that namespace only and the drop rule never touches the host.
func TestFetchLoss(t *testing.T) {
	if inNetns(t, 9*time.Minute, nil) {
		return
	}
	busybox := NeedTool(t, "busybox", "busybox")
	NeedTool(t, "nft", "nftables")
	run := func(name string, args ...string) {
		t.Helper()
		netbootRun(t, name, args...)
	}

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for name, size := range map[string]int{"k256": 256 << 10, "k64": 64 << 10, "m4": 4 << 20} {
		data := make([]byte, size)
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		files[name] = data
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startDnsmasq(t, "lo", "--enable-tftp", "--tftp-root="+root)
	waitUDP(t, "127.0.0.1:69")
	atftpd := startAtftpd(t, root, "127.0.0.1:6969")

	const blksize = 1468 // Ethernet, not loopback's 65464
	for _, srv := range []struct{ name, addr string }{
		{"dnsmasq", "127.0.0.1:69"},
		{"atftpd", atftpd},
	} {
		for _, tt := range []struct {
			loss float64
			file string
		}{
			{0.05, "k256"},
			{0.20, "k64"},
		} {
			t.Run(fmt.Sprintf("tftp %s loss=%.0f%%", srv.name, tt.loss*100), func(t *testing.T) {
				imp := fetchtest.Impairment{Loss: tt.loss, Dup: 0.02, Delay: 0.02, Seed: 2026}
				want := sha256.Sum256(files[tt.file])

				relay, err := fetchtest.NewRelay(srv.addr, imp)
				if err != nil {
					t.Fatal(err)
				}
				f := fetch.New(fetch.Options{TFTPBlockSize: blksize, Attempts: 1, SHA256: true})
				start := time.Now()
				file, err := f.Fetch(context.Background(), fetch.TFTPURL(relay.Addr(), tt.file))
				ours := time.Since(start)
				relay.Close()
				if err != nil {
					t.Fatalf("our client: %v (relay: %v)", err, relay.Stats())
				}
				if file.SHA256 != want {
					t.Fatal("our client: SHA-256 mismatch")
				}
				t.Logf("ours:    %d bytes in %v; relay: %v", len(file.Data), ours.Round(time.Millisecond), relay.Stats())
				testenv.Fault(t, fmt.Sprintf("TFTP from %s, %.0f%% loss, 2%% dup, 2%% reorder (ours)", srv.name, tt.loss*100),
					fmt.Sprintf("intact; relay: %v", relay.Stats()), ours, fmt.Sprintf("%d B (SHA-256)", len(file.Data)))

				relay, err = fetchtest.NewRelay(srv.addr, imp)
				if err != nil {
					t.Fatal(err)
				}
				_, port, _ := net.SplitHostPort(relay.Addr())
				out := filepath.Join(t.TempDir(), "out")
				bb := exec.Command(busybox, "tftp", "-g", "-b", fmt.Sprint(blksize), "-r", tt.file, "-l", out, "127.0.0.1", port)
				start = time.Now()
				bbOut, bbErr := bb.CombinedOutput()
				theirs := time.Since(start)
				relay.Close()
				got, _ := os.ReadFile(out)
				bbOK := bbErr == nil && sha256.Sum256(got) == want
				t.Logf("busybox: ok=%v in %v; relay: %v %s", bbOK, theirs.Round(time.Millisecond), relay.Stats(), bytes.TrimSpace(bbOut))
				outcome := "intact"
				if !bbOK {
					outcome = fmt.Sprintf("failed (%v): %s", bbErr, bytes.TrimSpace(bbOut))
				}
				testenv.Fault(t, fmt.Sprintf("TFTP from %s, %.0f%% loss, 2%% dup, 2%% reorder (busybox tftp)", srv.name, tt.loss*100),
					fmt.Sprintf("%s; relay: %v", outcome, relay.Stats()), theirs, fmt.Sprintf("%d B (SHA-256)", len(got)))

				if tt.loss <= 0.05 {
					if !bbOK {
						t.Errorf("busybox tftp failed at %.0f%% loss: %v", tt.loss*100, bbErr)
					}
					// "No slower", with 10 % for scheduling noise on a shared machine.
					if ours > theirs+theirs/10 {
						t.Errorf("our client took %v, busybox %v", ours, theirs)
					}
				}
			})
		}
	}

	// HTTP under the same loss rates, from busybox httpd; the kernel's
	// random numbers decide, so this part is not seeded.
	httpd := exec.Command(busybox, "httpd", "-f", "-p", "127.0.0.1:8080", "-h", root)
	if err := httpd.Start(); err != nil {
		t.Fatalf("start busybox httpd: %v", err)
	}
	t.Cleanup(func() { httpd.Process.Kill(); httpd.Wait() })
	waitTCP(t, "127.0.0.1:8080")
	run("nft", "add", "table", "inet", "loss")
	run("nft", "add", "chain", "inet", "loss", "in", "{ type filter hook input priority 0; }")
	for _, loss := range []int{5, 20} {
		t.Run(fmt.Sprintf("http loss=%d%%", loss), func(t *testing.T) {
			run("nft", "flush", "chain", "inet", "loss", "in")
			run("nft", "add", "rule", "inet", "loss", "in", "meta", "l4proto", "tcp",
				"numgen", "random", "mod", "100", "<", fmt.Sprint(loss), "counter", "drop")
			f := fetch.New(fetch.Options{SHA256: true})
			for _, name := range []string{"k256", "m4"} {
				dropped := droppedPackets(t)
				start := time.Now()
				file, err := f.Fetch(context.Background(), "http://127.0.0.1:8080/"+name)
				if err != nil {
					t.Fatalf("HTTP at %d%% loss: %v", loss, err)
				}
				if file.SHA256 != sha256.Sum256(files[name]) {
					t.Fatal("SHA-256 mismatch")
				}
				took := time.Since(start)
				t.Logf("http %s: %d bytes in %v", name, len(file.Data), took.Round(time.Millisecond))
				testenv.Fault(t, fmt.Sprintf("e2e: busybox httpd, nftables drops %d%% of TCP packets", loss),
					fmt.Sprintf("intact after %d attempt(s); TCP packets dropped: %d", file.Attempts, droppedPackets(t)-dropped),
					took, fmt.Sprintf("%d B (SHA-256)", len(file.Data)))
			}
		})
	}
}

// droppedPackets reads the packet counter of the drop rule in the
// nftables chain "inet loss in".
func droppedPackets(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("nft", "list", "chain", "inet", "loss", "in").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list chain inet loss in: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`counter packets (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no packet counter in the drop rule:\n%s", out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func waitUDP(t *testing.T, addr string) {
	t.Helper()
	// dnsmasq is up once the port is taken.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		a, _ := net.ResolveUDPAddr("udp", addr)
		c, err := net.ListenUDP("udp", a)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatalf("nothing listens on udp %s", addr)
}

func waitTCP(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listens on tcp %s", addr)
}

// startAtftpd starts atftpd serving root on addr (host:port) in the
// foreground and returns addr once it answers. Its retransmission timer
// is 1 s (-r 1; the default 5 s would make the lock-step clients' runs
// at 20 % loss take minutes).
func startAtftpd(t *testing.T, root, addr string) string {
	t.Helper()
	bin := NeedTool(t, "atftpd", "atftpd")
	host, port, _ := net.SplitHostPort(addr)
	logFile := filepath.Join(t.TempDir(), "atftpd.log")
	cmd := exec.Command(bin, "--daemon", "--no-fork", "--user", "root", "--group", "root",
		"--retry-timeout", "1", "--logfile", logFile, "--bind-address", host, "--port", port, root)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start atftpd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("atftpd log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
		}
	})
	waitUDP(t, addr)
	return addr
}
