// Package meminfo reads the kernel's memory report, /proc/meminfo
// (proc(5)), for the two places that ask whether files fit in memory: the
// downloader before it allocates a buffer and the kexec loader before it
// copies the files into the kernel.
//
//	m, err := meminfo.Read()
//	if err == nil && need > m.Available { ... }
//
// # Security
//
// The input is trusted kernel output, but Parse still refuses values that
// overflow and lines longer than bufio's default limit.
package meminfo

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// File is where the kernel reports its memory.
const File = "/proc/meminfo"

// Info holds the fields of /proc/meminfo the callers use, in bytes.
type Info struct {
	Total     uint64 // MemTotal
	Available uint64 // MemAvailable, or MemFree on kernels older than 3.14
}

// Read parses File.
func Read() (Info, error) {
	b, err := os.ReadFile(File)
	if err != nil {
		return Info{}, err
	}
	return Parse(bytes.NewReader(b))
}

// Parse reads /proc/meminfo text ("MemTotal:  16318412 kB" lines). It
// needs MemTotal and MemAvailable (MemFree when MemAvailable is absent);
// other lines are skipped.
func Parse(r io.Reader) (Info, error) {
	var m Info
	var haveTotal, haveAvail, haveFree bool
	var free uint64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch name {
		case "MemTotal":
			dst, haveTotal = &m.Total, true
		case "MemAvailable":
			dst, haveAvail = &m.Available, true
		case "MemFree":
			dst, haveFree = &free, true
		default:
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 || len(f) > 2 || len(f) == 2 && f[1] != "kB" {
			return m, fmt.Errorf("%s: bad %s line %q", File, name, sc.Text())
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || v > math.MaxUint64/1024 {
			return m, fmt.Errorf("%s: bad %s value %q", File, name, f[0])
		}
		*dst = v * 1024
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("%s: %w", File, err)
	}
	if !haveTotal {
		return m, fmt.Errorf("%s: no MemTotal line", File)
	}
	if !haveAvail {
		if !haveFree {
			return m, fmt.Errorf("%s: neither MemAvailable nor MemFree", File)
		}
		m.Available = free
	}
	return m, nil
}
