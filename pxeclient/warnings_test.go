package pxeclient

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestConfigWarningsLimited: the client logs at most MaxWarningsShown
// warnings per config file and then one line with the number of the
// others; the config still boots.
func TestConfigWarningsLimited(t *testing.T) {
	garbage := make([]byte, 1<<20-64) // with the label below, just under MaxFileSize
	r := rand.New(rand.NewPCG(7, 7))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	junk := func(n int) string { return strings.Repeat("frobnicate\n", n) }
	tests := []struct {
		name  string
		files map[string][]byte
		// want: per file, the warnings shown and the number in the
		// "N more warnings in FILE" line (0: no such line).
		want map[string][2]int
	}{
		{"few", map[string][]byte{"pxelinux.cfg/default": []byte(junk(3) + "DEFAULT a\nLABEL a\nKERNEL k\n")},
			map[string][2]int{"pxelinux.cfg/default": {3, 0}}},
		{"exactly the limit", map[string][]byte{"pxelinux.cfg/default": []byte(junk(MaxWarningsShown) + "DEFAULT a\nLABEL a\nKERNEL k\n")},
			map[string][2]int{"pxelinux.cfg/default": {MaxWarningsShown, 0}}},
		{"many in two files", map[string][]byte{
			"pxelinux.cfg/default": []byte(junk(25) + "INCLUDE inc.cfg\n" + junk(5) + "DEFAULT a\nLABEL a\nKERNEL k\n"),
			"inc.cfg":              []byte(junk(12)),
		}, map[string][2]int{"pxelinux.cfg/default": {MaxWarningsShown, 20}, "inc.cfg": {MaxWarningsShown, 2}}},
		{"1 MiB of binary garbage (seed 7)", map[string][]byte{"pxelinux.cfg/default": append(garbage, "\nDEFAULT a\nLABEL a\nKERNEL k\n"...)},
			nil}, // counted from the parser's result below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, out := newClient(t, tt.files, &booted{})
			ctx := context.Background()
			l, err := c.Lease(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := c.Config(ctx, l)
			if err != nil {
				t.Fatalf("Config: %v\n%s", err, out)
			}
			if a := cfg.Auto; a.Entry == nil || a.Entry.Label != "a" {
				t.Errorf("the config does not boot \"a\" any more: %+v", a)
			}
			want := tt.want
			if want == nil {
				n := len(cfg.Warnings)
				if n < 1000 {
					t.Fatalf("garbage gave only %d warnings", n)
				}
				want = map[string][2]int{"pxelinux.cfg/default": {MaxWarningsShown, n - MaxWarningsShown}}
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			total := 0
			for file, w := range want {
				shown := 0
				for _, l := range lines {
					if strings.HasPrefix(l, "pxeinit: warning: "+file+":") {
						shown++
					}
				}
				if shown != w[0] {
					t.Errorf("%d warnings about %s shown, want %d", shown, file, w[0])
				}
				more := fmt.Sprintf("pxeinit: warning: %d more warnings in %s", w[1], file)
				if got := countLines(lines, more); w[1] > 0 && got != 1 {
					t.Errorf("%q %d times, want once", more, got)
				}
				total += w[0]
				if w[1] > 0 {
					total++
				}
			}
			if got := countPrefix(lines, "pxeinit: warning: "); got != total {
				t.Errorf("%d warning lines, want %d:\n%s", got, total, out)
			}
			t.Logf("%d warnings, %d console lines", len(cfg.Warnings), len(lines))
			if len(lines) > 40 {
				t.Errorf("%d console lines for one config", len(lines))
			}
		})
	}
}

func countLines(lines []string, s string) (n int) {
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}

func countPrefix(lines []string, p string) (n int) {
	for _, l := range lines {
		if strings.HasPrefix(l, p) {
			n++
		}
	}
	return n
}
