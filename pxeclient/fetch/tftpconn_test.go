package fetch

import (
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestReadLetsTimersRun: while the TFTP socket's read waits for a silent
// server, the Go runtime still runs timers and collects garbage on time,
// with one P as in the 1-CPU guests. A read that held its P (a raw system
// call the scheduler does not see) let a timer fire only when the runtime
// forcibly preempted the reader (forcePreemptNS, 10 ms, in
// runtime/proc.go): each 1 ms sleep below lasted about 20 ms, and a
// runtime.GC 20-135 ms instead of about 1 ms.
func TestReadLetsTimersRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const (
		silence = 500 * time.Millisecond // the server says nothing
		nap     = time.Millisecond       // the timer measured meanwhile
		// limit on the median nap: five times the nap, half the forced
		// preemption period; a loaded machine makes a few naps long,
		// not half of them.
		limit = 5 * time.Millisecond
		// gcLimit on the fastest of three collections: a held P is
		// caught by the naps every time, by this only when the
		// collection waited for a preemption or two.
		gcLimit = 50 * time.Millisecond
	)
	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	c, err := dialUDP(server.LocalAddr().(*net.UDPAddr).AddrPort(), 20*silence)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if err := c.connect(server.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
		t.Fatal(err)
	}
	// The client speaks first, as with an ACK, so the server learns its
	// address.
	if err := c.write([]byte("ack")); err != nil {
		t.Fatal(err)
	}
	server.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	_, client, err := server.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}

	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := c.read(make([]byte, 16))
		done <- result{n, err}
	}()
	var naps []time.Duration
	for start := time.Now(); time.Since(start) < silence; {
		t0 := time.Now()
		time.Sleep(nap)
		naps = append(naps, time.Since(t0))
	}
	gc := time.Hour
	for range 3 {
		t0 := time.Now()
		runtime.GC()
		gc = min(gc, time.Since(t0))
	}
	select {
	case r := <-done:
		t.Fatalf("read returned (%d bytes, %v) while the server was silent", r.n, r.err)
	default:
	}
	if _, err := server.WriteToUDPAddrPort([]byte("data"), client); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.n != len("data") || r.err != nil {
			t.Fatalf("read = %d, %v; want the server's %d bytes", r.n, r.err, len("data"))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read did not return the server's datagram within 10 s")
	}

	slices.Sort(naps)
	median, longest := naps[len(naps)/2], naps[len(naps)-1]
	t.Logf("%d naps of %v while the read waited %v: median %v, longest %v; runtime.GC: %v", len(naps), nap, silence, median, longest, gc)
	if median > limit {
		t.Errorf("a %v sleep took %v (median of %d) while a read blocked with GOMAXPROCS=1, want under %v: the read holds the scheduler's P",
			nap, median, len(naps), limit)
	}
	if gc > gcLimit {
		t.Errorf("runtime.GC took %v (fastest of 3) while a read blocked with GOMAXPROCS=1, want under %v: the read holds the scheduler's P",
			gc, gcLimit)
	}
}
