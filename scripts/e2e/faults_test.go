//go:build e2e

package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// lateServerDelay is how long the link stays without a DHCP server.
const lateServerDelay = 30 * time.Second

// lateServerBound is how soon after dnsmasq starts the lease must come:
// the DHCP client's documented worst gap between DISCOVERs (4 s + 5 s of
// backoff with jitter, pxeclient/dhcp DefaultMinBackoff/MaxBackoff) plus
// 3 s for dnsmasq to start and the DISCOVER/OFFER/REQUEST/ACK exchange.
const lateServerBound = 12 * time.Second

// timedLines collects a process's output lines with their arrival time.
type timedLines struct {
	mu    sync.Mutex
	lines []string
	at    []time.Time
}

func (tl *timedLines) scan(r *bufio.Scanner) {
	for r.Scan() {
		tl.mu.Lock()
		tl.lines = append(tl.lines, r.Text())
		tl.at = append(tl.at, time.Now())
		tl.mu.Unlock()
	}
}

// find returns the first line matching re and when it arrived.
func (tl *timedLines) find(re *regexp.Regexp) (string, time.Time, bool) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i, l := range tl.lines {
		if re.MatchString(l) {
			return l, tl.at[i], true
		}
	}
	return "", time.Time{}, false
}

func (tl *timedLines) String() string {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return strings.Join(tl.lines, "\n")
}

// TestDHCPLateServer starts `pxeboot fetch --iface` on a link where no
// DHCP server answers and starts dnsmasq 30 s later: the client must keep
// sending DISCOVERs with its backoff, get the lease soon after dnsmasq
// appears (lateServerBound), fetch the entry and write plan.json. It
// reports the time from dnsmasq's start to the lease.
func TestDHCPLateServer(t *testing.T) {
	if inNetns(t, 3*time.Minute, pxebootEnv(t)) {
		return
	}
	vethPair(t, "10.32.0.1/24")
	dir := t.TempDir()
	tftp := filepath.Join(dir, "tftp")
	kernel := strings.Repeat("late kernel ", 50000)
	files := map[string]string{
		"s390x/pxelinux.cfg/default": "DEFAULT lab\nLABEL lab\n  KERNEL images/vmlinuz\n  INITRD images/a.gz\n",
		"s390x/images/vmlinuz":       kernel,
		"s390x/images/a.gz":          "initrd a",
	}
	for name, data := range files {
		p := filepath.Join(tftp, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The client first, on a link with nobody to answer.
	out := filepath.Join(dir, "out")
	start := time.Now()
	fetch := exec.Command(os.Getenv("PXEBOOT"), "fetch", "--iface", vethClient, "--dhcp-arch", "0x1f", "--timeout", "80s", "-o", out)
	stderr, err := fetch.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := fetch.Start(); err != nil {
		t.Fatal(err)
	}
	var console timedLines
	scanned := make(chan struct{})
	go func() { console.scan(bufio.NewScanner(stderr)); close(scanned) }()
	t.Cleanup(func() { fetch.Process.Kill() })

	time.Sleep(lateServerDelay)
	if fetch.ProcessState != nil {
		t.Fatalf("pxeboot ended before the server came:\n%s", console.String())
	}
	serverStart := time.Now()
	startDnsmasq(t, vethServer,
		"--enable-tftp", "--tftp-root="+tftp,
		"--dhcp-range=10.32.0.50,10.32.0.99,255.255.255.0,1h",
		"--dhcp-match=set:s390,option:client-arch,31",
		"--dhcp-boot=tag:s390,s390x/pxelinux.0",
		"--dhcp-option=option:router,10.32.0.1",
	)
	<-scanned
	err = fetch.Wait()
	total := time.Since(start)
	t.Logf("pxeboot fetch (%v):\n%s", total.Round(time.Millisecond), console.String())
	if err != nil {
		t.Fatalf("pxeboot fetch: %v", err)
	}
	line, leaseAt, ok := console.find(regexp.MustCompile(`stage=lease `))
	if !ok {
		t.Fatal("no stage=lease line")
	}
	toLease := leaseAt.Sub(serverStart)
	if toLease > lateServerBound {
		t.Errorf("lease %v after dnsmasq started, more than %v: %s", toLease.Round(time.Millisecond), lateServerBound, line)
	}
	// The client kept asking while nobody answered: one DISCOVER round
	// (7 s) and a backoff pause (1 s, 2 s, 4 s, 4 s... ±25 %) after the
	// other, so at least 3 rounds in 30 s.
	rounds := len(regexp.MustCompile(`no DHCP lease; retrying .* round=\d+`).FindAllString(console.String(), -1))
	if rounds < 3 {
		t.Errorf("%d DHCP rounds logged before the server came, want at least 3", rounds)
	}
	var plan struct {
		Boot struct {
			Label  string `json:"label"`
			Kernel struct {
				SHA256 string
				Size   int
			} `json:"kernel"`
		} `json:"boot"`
	}
	pj, err := os.ReadFile(filepath.Join(out, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(kernel))
	if err := json.Unmarshal(pj, &plan); err != nil || plan.Boot.Label != "lab" || plan.Boot.Kernel.Size != len(kernel) ||
		plan.Boot.Kernel.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("plan.json (%v):\n%s", err, pj)
	}
	testenv.Fault(t, fmt.Sprintf("DHCP: no server for %.0f s, then dnsmasq appears", lateServerDelay.Seconds()),
		fmt.Sprintf("%d DHCP rounds while alone, lease %.2f s after dnsmasq started (bound %.0f s), entry fetched", rounds, toLease.Seconds(), lateServerBound.Seconds()),
		total, fmt.Sprintf("%d B (kernel SHA-256 checked)", len(kernel)))
}
