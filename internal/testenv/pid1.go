package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PID1 is a copy of the running test binary that runs one test as PID 1
// of a new PID namespace; ReexecPID1 starts it.
type PID1 struct {
	// Cmd is the running copy.
	Cmd *exec.Cmd

	mu       sync.Mutex
	lines    []string      // standard output so far, a line each
	errLines []string      // standard error so far
	eof      bool          // standard output and error have closed
	next     int           // the first line Next has not returned
	more     chan struct{} // has a value when lines or eof changed
	ended    chan struct{} // closed when Wait has returned
	err      error         // what Wait returned
}

// ReexecPID1 starts the test binary again (Reexec) as PID 1 of a new PID
// namespace (which needs root), running only the calling test, with env
// ("NAME=value") added to its environment so that the copy knows to play
// the init instead of starting another copy:
//
//	if os.Getenv(childEnv) == "1" {
//		initStandIn() // never returns
//	}
//	p := testenv.ReexecPID1(t, childEnv+"=1")
//	l, err := p.Next(time.Now().Add(20 * time.Second))
//	...
//	if err := p.Kill(); err != nil {
//		t.Fatalf("the init: %v\n%s", err, p.Output())
//	}
//
// Under qemu-user (Emulated) the test is skipped, saying why. The copy
// is killed (SIGKILL) at the end of the test, and when the test binary
// dies.
func ReexecPID1(t testing.TB, env string) *PID1 {
	t.Helper()
	SkipEmulated(t, "create PID namespaces or run a second s390x binary")
	p := &PID1{more: make(chan struct{}, 1), ended: make(chan struct{})}
	p.Cmd = Reexec(syscall.CLONE_NEWPID, []string{env}, RunOnly(t), "-test.timeout=1m")
	stdout, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := p.Cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s in a new PID namespace (needs root): %v", t.Name(), err)
	}
	t.Cleanup(func() { p.Cmd.Process.Kill(); <-p.ended })
	var wg sync.WaitGroup
	wg.Go(func() { p.scan(stdout, &p.lines) })
	wg.Go(func() { p.scan(stderr, &p.errLines) })
	go func() {
		wg.Wait()
		p.mu.Lock()
		p.eof = true
		p.mu.Unlock()
		p.poke()
		p.err = p.Cmd.Wait()
		close(p.ended)
	}()
	return p
}

// scan appends the lines r gives to *into until r ends.
func (p *PID1) scan(r io.Reader, into *[]string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		*into = append(*into, sc.Text())
		p.mu.Unlock()
		p.poke()
	}
}

func (p *PID1) poke() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// Next returns the next line the copy writes to standard output, waiting
// for it until deadline. The error says when the copy ended first (with
// how it ended) or the deadline passed.
func (p *PID1) Next(deadline time.Time) (string, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		p.mu.Lock()
		if p.next < len(p.lines) {
			l := p.lines[p.next]
			p.next++
			p.mu.Unlock()
			return l, nil
		}
		eof := p.eof
		p.mu.Unlock()
		if eof {
			<-p.ended
			return "", fmt.Errorf("the init ended (%v)", p.err)
		}
		select {
		case <-p.more:
		case <-timer.C:
			return "", errors.New("no line before the deadline")
		}
	}
}

// Ended is closed when the copy has ended.
func (p *PID1) Ended() <-chan struct{} { return p.ended }

// Output returns what the copy has written so far: its standard output,
// then its standard error.
func (p *PID1) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range append(p.lines[:len(p.lines):len(p.lines)], p.errLines...) {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Kill ends the copy with SIGKILL and waits for it. The error says when
// the copy was not running any more or ended in another way: an init
// must stay alive until it is killed.
func (p *PID1) Kill() error {
	select {
	case <-p.ended:
		return fmt.Errorf("the init exited before it was killed: %v", p.err)
	default:
	}
	if err := p.Cmd.Process.Signal(syscall.Signal(0)); err != nil {
		return fmt.Errorf("the init is gone: %w", err)
	}
	p.Cmd.Process.Kill()
	<-p.ended
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		return fmt.Errorf("the init ended with %v, want killed by SIGKILL", p.err)
	}
	return nil
}
