package pxeclient

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// VmHWM returns the process's peak resident set size in bytes (the VmHWM
// line of /proc/self/status, in kB).
func VmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/status VmHWM %q: %w", v, err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("/proc/self/status: no VmHWM line")
}
