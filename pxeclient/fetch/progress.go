package fetch

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/s390netboot/s390netboot/internal/positive"
)

// Progress receives reports about transfers. The Fetcher calls Update
// from the goroutines that fetch, a few times a second per file while
// data arrives and once when a file is finished.
type Progress interface {
	Update(Status)
}

// Status is the state of one file's transfer.
type Status struct {
	// URL is the file as asked for.
	URL string
	// Done is how many bytes have arrived in this attempt.
	Done int64
	// Total is the announced size, or -1 when the server did not say.
	Total int64
	// Elapsed is the time since this attempt started.
	Elapsed time.Duration
	// Finished is set on the last report of a file; Err is then nil on
	// success.
	Finished bool
	Err      error
}

// progressTick is how often the Fetcher reports a running transfer.
const progressTick = 200 * time.Millisecond

// LineProgress prints progress as whole lines, at most one line per
// interval for all running transfers together plus one line per finished
// file. It never uses carriage returns or cursor movement, so it suits
// line-mode consoles (the SCLP console of IBM Z, serial logs).
//
//	fetching: vmlinuz 4.0 MiB/12 MiB, initrd.img 1.5 MiB/?
//	fetched vmlinuz: 12 MiB in 2.1 s (5.7 MiB/s)
//
// Failures are not printed: the caller reports the returned errors.
type LineProgress struct {
	w     io.Writer
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	last    time.Time
	running map[string]Status
}

// NewLineProgress returns a LineProgress writing to w at most once per
// every (once a second when every is zero).
func NewLineProgress(w io.Writer, every time.Duration) *LineProgress {
	return &LineProgress{w: w, every: positive.Or(every, time.Second), now: time.Now, running: map[string]Status{}}
}

// Update implements [Progress].
func (p *LineProgress) Update(s Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := displayName(s.URL)
	if s.Finished {
		delete(p.running, s.URL)
		if s.Err == nil {
			fmt.Fprintf(p.w, "fetched %s: %s in %.1f s (%s/s)\n", name, formatSize(s.Done),
				s.Elapsed.Seconds(), formatSize(rate(s.Done, s.Elapsed)))
		}
		return
	}
	p.running[s.URL] = s
	now := p.now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	urls := make([]string, 0, len(p.running))
	for u := range p.running {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	var b strings.Builder
	b.WriteString("fetching:")
	for i, u := range urls {
		r := p.running[u]
		if i > 0 {
			b.WriteByte(',')
		}
		total := "?"
		if r.Total >= 0 {
			total = formatSize(r.Total)
		}
		fmt.Fprintf(&b, " %s %s/%s", displayName(u), formatSize(r.Done), total)
	}
	b.WriteByte('\n')
	io.WriteString(p.w, b.String())
}

// displayName shortens a URL to its last path element for progress lines.
func displayName(u string) string {
	if base := path.Base(u); base != "" && base != "." && base != "/" {
		return base
	}
	return u
}

func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}
