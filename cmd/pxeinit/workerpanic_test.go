package main

// A panic in a goroutine that the boot path starts (fetch.FetchAll's
// workers) cannot be caught by the loop's recover; FetchAll turns it into
// that file's error, so PID 1 lives on and reports it.

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
)

type panicProgress struct{}

func (panicProgress) Update(s fetch.Status) {
	if strings.HasSuffix(s.URL, "vmlinuz") {
		panic("injected panic in a fetch worker's progress report")
	}
}

func workerChild(t *testing.T) {
	c := childClient(t, "kernel")
	c.Fetch.Progress = panicProgress{}
	loop(context.Background(), c.Log, c)
}

func TestLoopWorkerPanic(t *testing.T) {
	if os.Getenv(loopEnv) == "worker" {
		workerChild(t)
		return
	}
	p := testenv.ReexecPID1(t, loopEnv+"=worker")
	select {
	case <-p.Ended():
	case <-time.After(4 * time.Second):
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("PID 1 died from a panic in a fetch worker goroutine: %v\n%s", err, firstLines(p.Output(), 12))
	}
	if !strings.Contains(p.Output(), "injected panic") {
		t.Errorf("panic not reported:\n%s", p.Output())
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
