//go:build e2e

// This file is the shared harness: finding the repository and the kernel
// cache, building the project's commands for a target architecture,
// making small busybox ramdisks, and running QEMU guests whose console the
// test reads line by line.

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// RepoRoot returns the directory holding the project's go.mod
// (testenv.RepoRoot).
func RepoRoot(t testing.TB) string {
	t.Helper()
	return testenv.RepoRoot(t)
}

// Cache returns the unpacked Debian kernel cache for arch ("s390x" or
// "amd64"): vmlinuz, config, modules/, version, busybox (testenv.Cache:
// $S390NETBOOT_CACHE/ARCH or .cache/ARCH, failing the test when
// scripts/fetch-kernels.sh has not been run).
func Cache(t testing.TB, arch string) string {
	t.Helper()
	return testenv.Cache(t, arch)
}

// NeedTool fails the test when name is not on PATH, saying which Debian
// package has it.
func NeedTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: apt-get install %s (scripts/test.sh does this)", name, pkg)
	}
	return p
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
	buildDir   string
)

// BuildCmd builds the package pkg (an import path, or a path relative to
// the repository such as "./cmd/pxeinit") as a static binary for
// linux/goarch and returns its path. Builds are shared by all tests of the
// test binary.
func BuildCmd(t testing.TB, pkg, goarch string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := pkg + "@" + goarch
	if p, ok := buildCache[key]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "s390netboot-e2e-bin-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, goarch, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s for %s: %v\n%s", pkg, goarch, err, b)
	}
	buildCache[key] = out
	return out
}

// Archive is an initramfs under construction: file paths (without a
// leading slash) to contents. Entries ending in "/" are directories;
// a value starting with "->" makes a symlink.
type Archive map[string]Entry

// Entry is one file of an Archive.
type Entry struct {
	Data    []byte
	Mode    uint64 // permission bits; 0 means 0644 (0755 for Exec)
	Exec    bool
	Symlink string
}

// Cpio encodes a as a gzip-compressed newc archive, adding parent
// directories with mode 0755.
func (a Archive) Cpio(t testing.TB) []byte {
	t.Helper()
	dirs := map[string]bool{}
	for name := range a {
		for d := filepath.Dir(name); d != "." && d != "/"; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	var names []string
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	var recs []cpio.Record
	for _, d := range names {
		recs = append(recs, cpio.Directory(d, 0o755))
	}
	var files []string
	for name := range a {
		files = append(files, name)
	}
	sort.Strings(files)
	for _, name := range files {
		e := a[name]
		switch {
		case e.Symlink != "":
			recs = append(recs, cpio.Symlink(name, e.Symlink))
		default:
			mode := e.Mode
			if mode == 0 {
				mode = 0o644
				if e.Exec {
					mode = 0o755
				}
			}
			recs = append(recs, cpio.StaticFile(name, string(e.Data), mode))
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w := cpio.Newc.Writer(zw)
	for _, r := range recs {
		if err := w.WriteRecord(cpio.MakeReproducible(r)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cpio.WriteTrailer(w); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// BusyboxInitramfs returns a gzip newc archive with the static busybox of
// arch at /bin/busybox (with /bin/sh), the shell script init as /init, and
// extra files.
func BusyboxInitramfs(t testing.TB, arch, init string, extra Archive) []byte {
	t.Helper()
	bb, err := os.ReadFile(filepath.Join(Cache(t, arch), "busybox"))
	if err != nil {
		t.Fatal(err)
	}
	a := Archive{
		"bin/busybox": {Data: bb, Exec: true},
		"bin/sh":      {Symlink: "busybox"},
		"init":        {Data: []byte(init), Exec: true},
		"dev/.keep":   {},
		"proc/.keep":  {},
		"sys/.keep":   {},
	}
	for k, v := range extra {
		a[k] = v
	}
	return a.Cpio(t)
}

// QEMU describes a guest.
type QEMU struct {
	Arch   string // "s390x", "amd64" or "arm64" (QEMU's virt machine)
	Memory string // e.g. "1024M"; default 1024M

	// Direct boot: Kernel (and Initrd, Append) are passed with -kernel.
	Kernel, Initrd, Append string

	// Network: with TFTPDir set the guest gets QEMU's user network with
	// its built-in TFTP server serving TFTPDir, and BootFile announced by
	// DHCP. On s390x with Kernel empty the firmware network-boots
	// BootFile (bootindex=1).
	TFTPDir, BootFile string
	// IPv6Only turns the user network's IPv4 off: the guest has router
	// advertisements and QEMU's stateless DHCPv6, whose option 59 names
	// BootFile on the TFTP server at fec0::2 (libslirp's dhcpv6.c).
	IPv6Only bool
	// NoNet leaves the guest without a network card.
	NoNet bool
	// MAC of the guest's NIC; default 52:54:00:12:34:56.
	MAC string

	// Input puts the guest's console input on a pipe that Guest.Type
	// writes to; without it the console reads /dev/null.
	Input bool

	Extra []string // more qemu arguments
}

// Guest is a running QEMU whose console the test reads.
type Guest struct {
	t       testing.TB
	cmd     *exec.Cmd
	stdin   io.WriteCloser // console input with QEMU.Input, else nil
	start   time.Time
	mu      sync.Mutex
	lines   []Line
	cond    *sync.Cond
	done    bool
	matched int // console lines consumed by Expect
	logPath string
}

// Line is one console line and when it arrived since QEMU started.
type Line struct {
	At   time.Duration
	Text string
}

// ansiEscape matches terminal control sequences (ESC c, CSI ... letter).
var ansiEscape = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|[A-Za-z])`)

// DefaultMAC is the guests' MAC unless QEMU.MAC says otherwise.
const DefaultMAC = "52:54:00:12:34:56"

// S390QEMU returns the path of scripts/qemu-s390x.sh, the launcher of every
// s390x guest, after checking that the QEMU it runs is there: the one named
// by S390NETBOOT_QEMU (scripts/fetch-qemu.sh prints QEMU 10.0's), else
// qemu-system-s390x from PATH. It logs the QEMU version and the -accel
// value the launcher chose for it.
func S390QEMU(t testing.TB) string {
	t.Helper()
	if q := os.Getenv("S390NETBOOT_QEMU"); q != "" {
		if _, err := exec.LookPath(q); err != nil {
			t.Fatalf("S390NETBOOT_QEMU=%s: %v (scripts/fetch-qemu.sh prints a usable path)", q, err)
		}
	} else {
		NeedTool(t, "qemu-system-s390x", "qemu-system-misc")
	}
	script := filepath.Join(RepoRoot(t), "scripts", "qemu-s390x.sh")
	out, err := exec.Command(script, "--settings").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --settings: %v\n%s", script, err, out)
	}
	t.Logf("s390x guest: %s", strings.TrimSpace(string(out)))
	return script
}

// Args returns the qemu command line for q.
func (q QEMU) Args(t testing.TB) (bin string, args []string) {
	t.Helper()
	mem := q.Memory
	if mem == "" {
		mem = "1024M"
	}
	mac := q.MAC
	if mac == "" {
		mac = DefaultMAC
	}
	args = []string{"-accel", "tcg", "-m", mem, "-nographic", "-no-reboot", "-nodefaults",
		"-serial", "stdio"}
	var nic string
	switch q.Arch {
	case "s390x":
		// scripts/qemu-s390x.sh holds the rest of the command line:
		// the QEMU binary (S390NETBOOT_QEMU), its TCG settings for
		// that QEMU version, and the SCLP console on stdio.
		bin = S390QEMU(t)
		args = []string{"-m", mem}
		nic = "virtio-net-ccw"
	case "amd64":
		bin = NeedTool(t, "qemu-system-x86_64", "qemu-system-x86")
		nic = "virtio-net-pci"
	case "arm64":
		bin = NeedTool(t, "qemu-system-aarch64", "qemu-system-arm")
		// cortex-a57, not max: max adds pointer authentication, which
		// TCG computes in software (one run: the init's module stage
		// 9.3 s with max, 3.0 s with cortex-a57).
		args = append(args, "-M", "virt", "-cpu", "cortex-a57")
		nic = "virtio-net-pci"
	default:
		t.Fatalf("unknown QEMU arch %q", q.Arch)
	}
	if q.Kernel != "" {
		args = append(args, "-kernel", q.Kernel)
		if q.Initrd != "" {
			args = append(args, "-initrd", q.Initrd)
		}
		args = append(args, "-append", q.Append)
	}
	if !q.NoNet {
		netdev := "user,id=n0"
		if q.IPv6Only {
			netdev += ",ipv4=off,ipv6=on"
		}
		if q.TFTPDir != "" {
			netdev += ",tftp=" + q.TFTPDir
			if q.BootFile != "" {
				netdev += ",bootfile=" + q.BootFile
			}
		}
		dev := nic + ",netdev=n0,mac=" + mac
		if q.Arch == "s390x" && q.Kernel == "" {
			dev += ",bootindex=1"
		}
		args = append(args, "-netdev", netdev, "-device", dev)
	}
	args = append(args, q.Extra...)
	return bin, args
}

// StartQEMU starts the guest; it is killed when the test ends. The console
// is logged to a file in the test's temp dir and dumped on failure.
func StartQEMU(t testing.TB, q QEMU) *Guest {
	t.Helper()
	bin, args := q.Args(t)
	g := &Guest{t: t, logPath: filepath.Join(t.TempDir(), "console.log")}
	g.cond = sync.NewCond(&g.mu)
	logf, err := os.Create(g.logPath)
	if err != nil {
		t.Fatal(err)
	}
	g.cmd = exec.Command(bin, args...)
	if q.Input {
		// Wait closes it when QEMU exits.
		if g.stdin, err = g.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	pr, pw := io.Pipe()
	g.cmd.Stdout = pw
	g.cmd.Stderr = pw
	t.Logf("%s %s", bin, strings.Join(args, " "))
	g.start = time.Now()
	if err := g.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			// Firmware and the kernel's serial console reset the
			// terminal with escape sequences that may start any line.
			text := ansiEscape.ReplaceAllString(strings.TrimRight(sc.Text(), "\r"), "")
			at := time.Since(g.start)
			fmt.Fprintf(logf, "[%7.3f] %s\n", at.Seconds(), text)
			g.mu.Lock()
			g.lines = append(g.lines, Line{At: at, Text: text})
			g.cond.Broadcast()
			g.mu.Unlock()
		}
	}()
	go func() {
		g.cmd.Wait()
		pw.Close()
		g.mu.Lock()
		g.done = true
		g.cond.Broadcast()
		g.mu.Unlock()
		logf.Close()
	}()
	t.Cleanup(func() {
		g.Kill()
		if t.Failed() || testing.Verbose() {
			b, _ := os.ReadFile(g.logPath)
			t.Logf("console of %s:\n%s", q.Arch, b)
		}
	})
	return g
}

// Kill stops the guest.
func (g *Guest) Kill() {
	if g.cmd.Process != nil {
		g.cmd.Process.Kill()
	}
}

// Type writes s to the guest's console input, as if typed on its console
// (the SCLP console on s390x, the serial port on amd64). The guest must
// have been started with QEMU.Input.
func (g *Guest) Type(s string) {
	g.t.Helper()
	if g.stdin == nil {
		g.t.Fatal("Guest.Type: the guest was started without QEMU.Input")
	}
	if _, err := io.WriteString(g.stdin, s); err != nil {
		g.t.Fatalf("typing %q on the guest's console: %v", s, err)
	}
}

// Expect waits until a console line after the last matched one matches re
// and returns the line and its submatches. It fails the test when timeout
// passes or QEMU exits first.
func (g *Guest) Expect(re string, timeout time.Duration) Line {
	g.t.Helper()
	l, _, err := g.ExpectAny(timeout, re)
	if err != nil {
		g.t.Fatal(err)
	}
	return l
}

// Submatch returns the submatches of re in the line that Expect found.
func Submatch(re string, l Line) []string {
	return regexp.MustCompile(re).FindStringSubmatch(l.Text)
}

// ExpectAny waits for the first console line matching one of res and says
// which one matched.
func (g *Guest) ExpectAny(timeout time.Duration, res ...string) (Line, int, error) {
	var rx []*regexp.Regexp
	for _, r := range res {
		rx = append(rx, regexp.MustCompile(r))
	}
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		g.mu.Lock()
		g.cond.Broadcast()
		g.mu.Unlock()
	})
	defer timer.Stop()
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		for i := g.matched; i < len(g.lines); i++ {
			for k, r := range rx {
				if r.MatchString(g.lines[i].Text) {
					g.matched = i + 1
					return g.lines[i], k, nil
				}
			}
		}
		if g.done {
			return Line{}, -1, fmt.Errorf("QEMU exited before the console showed %q", res)
		}
		if time.Now().After(deadline) {
			return Line{}, -1, fmt.Errorf("no console line matched %q within %v", res, timeout)
		}
		g.cond.Wait()
	}
}

// Console returns everything the guest printed so far.
func (g *Guest) Console() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	for _, l := range g.lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// Since returns how long QEMU has been running.
func (g *Guest) Since() time.Duration { return time.Since(g.start) }
