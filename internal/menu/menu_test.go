package menu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/bootmenu"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// fakeClock moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1e9, 0)} }

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	f.waiters = append(f.waiters, waiter{f.now.Add(d), ch})
	return ch
}

// Advance moves the clock in steps of 100 ms, firing timers as it goes
// and giving the menu time to react between steps.
func (f *fakeClock) Advance(d time.Duration) { f.AdvanceStep(d, 100*time.Millisecond) }

// AdvanceStep is Advance in steps of size step.
func (f *fakeClock) AdvanceStep(d, size time.Duration) {
	for step := time.Duration(0); step < d; step += size {
		f.mu.Lock()
		f.now = f.now.Add(size)
		var keep []waiter
		for _, w := range f.waiters {
			if !w.at.After(f.now) {
				w.ch <- f.now
			} else {
				keep = append(keep, w)
			}
		}
		f.waiters = keep
		f.mu.Unlock()
		time.Sleep(2 * time.Millisecond)
	}
}

// console is the output side: a buffer the test can wait on.
type console struct {
	testenv.Buffer
}

func (c *console) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("console never showed %q; it has:\n%s", s, c.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func parse(t *testing.T, cfg string) *bootmenu.Menu {
	t.Helper()
	p := &pxelinux.Parser{Opener: pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
		return nil, pxelinux.ErrNotFound
	})}
	c, err := p.ParseBytes(context.Background(), "", pxelinux.Path{Name: "pxelinux.cfg/default"}, []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c.BootMenu(pxelinux.Facts{}, nil, p)
}

const menuCfg = `UI menu.c32
SAY Welcome to the lab
MENU TITLE Lab boot menu
TIMEOUT 30
DEFAULT install
LABEL install
  MENU LABEL ^Install Debian
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND auto=true
LABEL rescue
  MENU LABEL Rescue shell
  KERNEL vmlinuz
  APPEND rescue/enable=true
LABEL secret
  MENU HIDE
  KERNEL vmlinuz-secret
LABEL disk
  MENU LABEL Boot from disk
  LOCALBOOT 0
MENU BEGIN tools
  MENU TITLE Tools
  LABEL memtest
    MENU LABEL Memory test
    KERNEL memtest
MENU END
`

type run struct {
	ch  bootmenu.Choice
	err error
}

func start(t *testing.T, cfg string) (*UI, *fakeClock, *console, *io.PipeWriter, chan run) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	clk := newFakeClock()
	out := &console{}
	ui := New(pr, out, clk)
	c := parse(t, cfg)
	res := make(chan run, 1)
	go func() {
		ch, err := ui.Choose(context.Background(), c)
		res <- run{ch, err}
	}()
	return ui, clk, out, pw, res
}

func wait(t *testing.T, res chan run) run {
	t.Helper()
	select {
	case r := <-res:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("Choose did not return")
	}
	return run{}
}

// keyStopsTimer lets Choose see a key just typed, moves the clock by d
// past the TIMEOUT, and fails with format (of the run) when Choose
// returned.
func keyStopsTimer(t *testing.T, clk *fakeClock, d time.Duration, res chan run, format string) {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
	clk.Advance(d)
	select {
	case r := <-res:
		t.Fatalf(format, r)
	default:
	}
}

// countingDown is on the console once the countdown of menuCfg runs.
const countingDown = "Booting install in 3 s (menu default):"

func TestChooseTimeout(t *testing.T) {
	_, clk, out, _, res := start(t, menuCfg)
	out.waitFor(t, countingDown)
	clk.Advance(3100 * time.Millisecond)
	r := wait(t, res)
	if r.err != nil || r.ch.Entry == nil || r.ch.Entry.Label != "install" {
		t.Fatalf("Choose = %+v, %v", r.ch, r.err)
	}
	text := out.String()
	for _, want := range []string{"Welcome to the lab", "Lab boot menu", " 1) Install Debian [install]",
		" 2) Rescue shell [rescue]", "Boot from disk [disk] (cannot boot", "Tools:", "     4) Memory test [memtest]",
		"Type a number or a label (and kernel options) and Enter to boot it; Enter alone boots install.\n",
		// The countdown is one line, the seconds appended to it.
		"\n" + countingDown + " 3 2 1\nTIMEOUT: booting install\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("console lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "secret") {
		t.Errorf("hidden entry listed:\n%s", text)
	}
	if strings.ContainsAny(text, "\r\x1b") {
		t.Errorf("console output has \\r or escape codes: %q", text)
	}
	if n := strings.Count(text, "Booting install"); n != 1 {
		t.Errorf("%d countdown lines, want 1:\n%s", n, text)
	}
}

// TestChooseCountdown: the countdown line of longer and odd timeouts, and
// what ends it.
func TestChooseCountdown(t *testing.T) {
	tests := []struct {
		name, timeout string
		advance       time.Duration
		input         string
		want          string
	}{
		{"30 s", "TIMEOUT 300", 31 * time.Second, "",
			"Booting install in 30 s (menu default): 30 20 10 5 4 3 2 1\nTIMEOUT: booting install\n"},
		{"5 min", "TIMEOUT 3000", 301 * time.Second, "",
			"Booting install in 300 s (menu default): 300 240 180 120 60 50 40 30 20 10 5 4 3 2 1\nTIMEOUT: booting install\n"},
		{"2.5 s", "TIMEOUT 25", 3500 * time.Millisecond, "",
			"Booting install in 2.5 s (menu default): 2 1\nTIMEOUT: booting install\n"},
		// A typed line stops the count; the console's echo ends the line.
		{"typed", "TIMEOUT 300", 22 * time.Second, "rescue\n",
			"Booting install in 30 s (menu default): 30 20 10"},
		{"ontimeout", "TIMEOUT 20\nONTIMEOUT rescue", 3 * time.Second, "",
			"Enter alone boots install.\nBooting rescue in 2 s (ONTIMEOUT): 2 1\nTIMEOUT: booting rescue\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, clk, out, pw, res := start(t, strings.Replace(menuCfg, "TIMEOUT 30", tt.timeout, 1))
			out.waitFor(t, "):")
			// Whole seconds: the menu's ticks come a second apart.
			clk.AdvanceStep(tt.advance, time.Second)
			if tt.input != "" {
				pw.Write([]byte(tt.input))
				clk.AdvanceStep(5*time.Second, time.Second)
			}
			r := wait(t, res)
			if r.err != nil {
				t.Fatal(r.err)
			}
			text := out.String()
			if !strings.Contains(text, tt.want) {
				t.Errorf("console lacks %q:\n%s", tt.want, text)
			}
			if tt.input != "" && !strings.HasSuffix(text, tt.want) {
				t.Errorf("the countdown went on after input:\n%s", text)
			}
		})
	}
}

func TestCountdownMark(t *testing.T) {
	var marks []int
	for s := 600; s > 0; s-- {
		if countdownMark(s) {
			marks = append(marks, s)
		}
	}
	want := []int{600, 540, 480, 420, 360, 300, 240, 180, 120, 60, 50, 40, 30, 20, 10, 5, 4, 3, 2, 1}
	if fmt.Sprint(marks) != fmt.Sprint(want) {
		t.Errorf("marks %v, want %v", marks, want)
	}
}

func TestChooseKeyCancelsTimeout(t *testing.T) {
	_, clk, out, pw, res := start(t, menuCfg)
	out.waitFor(t, countingDown)
	clk.Advance(time.Second)
	pw.Write([]byte("2")) // a key, no Enter yet
	keyStopsTimer(t, clk, 10*time.Second, res, "booted %+v after a key was pressed")
	pw.Write([]byte(" quiet\n"))
	r := wait(t, res)
	if r.err != nil || r.ch.Entry.Label != "rescue" || r.ch.Args != "quiet" {
		t.Fatalf("Choose = %+v, %v", r.ch, r.err)
	}
}

func TestChooseTotalTimeout(t *testing.T) {
	cfg := strings.Replace(menuCfg, "TIMEOUT 30", "TIMEOUT 20\nTOTALTIMEOUT 50\nONTIMEOUT rescue", 1)
	_, clk, out, pw, res := start(t, cfg)
	out.waitFor(t, "Booting rescue in 2 s (ONTIMEOUT): 2")
	pw.Write([]byte("x"))
	keyStopsTimer(t, clk, 3*time.Second, res, "TIMEOUT fired after a key: %+v")
	clk.Advance(2100 * time.Millisecond)
	r := wait(t, res)
	if r.err != nil || r.ch.Entry.Label != "rescue" {
		t.Fatalf("Choose = %+v, %v", r.ch, r.err)
	}
	if !strings.Contains(out.String(), "TOTALTIMEOUT: booting rescue") {
		t.Errorf("console:\n%s", out)
	}
}

func TestChooseTyped(t *testing.T) {
	tests := []struct {
		input, label, args string
		messages           []string
	}{
		{"secret\n", "secret", "", nil},
		{"install vga=normal\r\n", "install", "vga=normal", nil},
		{"disk\n4\n", "memtest", "", []string{"LOCALBOOT 0"}},
		{"\n", "install", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			_, _, out, pw, res := start(t, menuCfg)
			out.waitFor(t, countingDown)
			pw.Write([]byte(tt.input))
			r := wait(t, res)
			if r.err != nil || r.ch.Entry.Label != tt.label || r.ch.Args != tt.args {
				t.Fatalf("Choose(%q) = %+v, %v", tt.input, r.ch, r.err)
			}
			for _, m := range tt.messages {
				if !strings.Contains(out.String(), m) {
					t.Errorf("console lacks %q:\n%s", m, out)
				}
			}
		})
	}
}

func TestChooseDefaultAtOnce(t *testing.T) {
	_, _, _, _, res := start(t, "DEFAULT linux\nSAY hello\nLABEL linux\nKERNEL vmlinuz\nIPAPPEND 2\n")
	r := wait(t, res)
	if r.err != nil || r.ch.Entry.Label != "linux" {
		t.Fatalf("Choose = %+v, %v", r.ch, r.err)
	}
}

func TestChooseInputClosed(t *testing.T) {
	_, _, out, pw, res := start(t, "PROMPT 1\nLABEL linux\nKERNEL vmlinuz\n")
	out.waitFor(t, "to boot it.\nboot: ")
	pw.Close()
	r := wait(t, res)
	if !errors.Is(r.err, ErrNoInput) {
		t.Fatalf("Choose = %+v, %v; want ErrNoInput", r.ch, r.err)
	}
}

func TestPrompt(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	clk := newFakeClock()
	out := &console{}
	ui := New(pr, out, clk)
	c := parse(t, menuCfg)
	res := make(chan Action, 1)
	prompt := func(after time.Duration) {
		go func() {
			a, err := ui.Prompt(context.Background(), c, after, func() []string { return []string{"log line 1"} })
			if err != nil {
				t.Error(err)
			}
			res <- a
		}()
	}
	get := func() Action {
		select {
		case a := <-res:
			return a
		case <-time.After(5 * time.Second):
			t.Fatalf("Prompt did not return:\n%s", out)
		}
		return Action{}
	}

	prompt(time.Minute)
	out.waitFor(t, "pxeinit> ")
	clk.Advance(61 * time.Second)
	if a := get(); a.Kind != Retry || !a.Timeout {
		t.Errorf("idle prompt = %+v", a)
	}

	prompt(time.Minute)
	pw.Write([]byte("help\nlog\nlist\nfrobnicate\nboot\nboot disk\nboot rescue single\n"))
	a := get()
	if a.Kind != Boot || a.Choice.Entry.Label != "rescue" || a.Choice.Args != "single" {
		t.Errorf("boot = %+v", a)
	}
	for _, want := range []string{"retry ", "log line 1", "Rescue shell", `unknown command "frobnicate"`, "boot what?", "LOCALBOOT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	// The menu is shown again, and a label or menu number alone boots;
	// a word that is neither stays an unknown command (no implicit
	// kernel is fetched).
	if n := strings.Count(out.String(), " 2) Rescue shell [rescue]"); n < 2 {
		t.Errorf("the menu was not shown again on entering the prompt (%d times):\n%s", n, out)
	}
	for _, tt := range []struct{ in, label, args string }{
		{"rescue single\n", "rescue", "single"},
		{"vmlinuz-nothere\n4\n", "memtest", ""},
		{"disk\nsecret\n", "secret", ""},
	} {
		prompt(time.Minute)
		pw.Write([]byte(tt.in))
		if a := get(); a.Kind != Boot || a.Choice.Entry.Label != tt.label || a.Choice.Args != tt.args {
			t.Errorf("%q = %+v", tt.in, a)
		}
	}
	for _, want := range []string{`unknown command "vmlinuz-nothere"`, `"disk" is LOCALBOOT 0`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	for _, tt := range []struct {
		in   string
		want ActionKind
	}{{"retry\n", Retry}, {"reboot\n", Reboot}, {"poweroff\n", Poweroff}} {
		prompt(0)
		pw.Write([]byte(tt.in))
		if a := get(); a.Kind != tt.want {
			t.Errorf("%q = %v", tt.in, a.Kind)
		}
	}
	pw.Close()
	prompt(0)
	if a := get(); a.Kind != Retry {
		t.Errorf("closed input = %v", a.Kind)
	}
	if strings.ContainsAny(out.String(), "\r\x1b") {
		t.Errorf("\\r or escape codes in %q", out)
	}
}

// TestPromptNoUI: a config without UI gets its entries listed too, and
// a label typed alone boots.
func TestPromptNoUI(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	out := &console{}
	ui := New(pr, out, newFakeClock())
	c := parse(t, "PROMPT 1\nDEFAULT bad\nLABEL bad\nKERNEL nothere\nLABEL good\nKERNEL vmlinuz\n")
	res := make(chan Action, 1)
	go func() {
		a, _ := ui.Prompt(context.Background(), c, 0, nil)
		res <- a
	}()
	out.waitFor(t, " 1) bad\n 2) good\nNothing booted. Type a label to boot or a command (help lists them).\npxeinit> ")
	pw.Write([]byte("good quiet\n"))
	select {
	case a := <-res:
		if a.Kind != Boot || a.Choice.Entry.Label != "good" || a.Choice.Args != "quiet" {
			t.Errorf("Prompt = %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Prompt did not return:\n%s", out)
	}
}
