package main

// A panic in a goroutine that the boot path starts (fetch.FetchAll's
// workers) cannot be caught by the loop's recover; FetchAll turns it into
// that file's error, so PID 1 lives on and reports it.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/internal/testenv"
	"github.com/s390netboot/s390netboot/pxeclient"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
)

type panicProgress struct{}

func (panicProgress) Update(s fetch.Status) {
	if strings.HasSuffix(s.URL, "vmlinuz") {
		panic("injected panic in a fetch worker's progress report")
	}
}

func workerPanicClient(t *testing.T) *pxeclient.Client {
	c := childClient(t, "kernel")
	c.Fetch.Progress = panicProgress{}
	return c
}

func TestLoopWorkerPanic(t *testing.T) {
	start := time.Now()
	p := loopAsPID1(t, "worker", workerPanicClient)
	select {
	case <-p.Ended():
	case <-time.After(4 * time.Second):
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("PID 1 died from a panic in a fetch worker goroutine: %v\n%s", err, firstLines(p.Output(), 12))
	}
	var reports []string
	for _, l := range strings.Split(p.Output(), "\n") {
		if strings.Contains(l, "injected panic") {
			reports = append(reports, strings.TrimSpace(l))
		}
	}
	if len(reports) == 0 {
		t.Fatalf("panic not reported:\n%s", p.Output())
	}
	testenv.Fault(t, "pxeinit as PID 1: panic in a fetch worker goroutine (the kernel's progress report)",
		fmt.Sprintf("alive until SIGKILL after %v; console lines naming the panic: %d, the first: %s", time.Since(start).Round(time.Second), len(reports), reports[0]),
		time.Since(start), "")
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
