//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestBenchNetboot runs the side-by-side speed report
// scripts/bench-netboot.sh: the s390-tools method's busybox + kexec-tools ramdisk and
// ours network-boot the same TFTP tree through the s390-ccw firmware.
// Both targets must come up and the report must carry its figures; the
// figures themselves are logged with their verdicts (met/MISSED), not
// enforced, because they depend on the machine's load under TCG.
func TestBenchNetboot(t *testing.T) {
	Cache(t, "s390x")
	S390QEMU(t) // the QEMU the script runs: S390NETBOOT_QEMU or PATH's
	NeedTool(t, "cpio", "cpio")
	// On QEMU 10.0 the s390-tools method's kexec'd kernel (kexec-tools' layout) needs
	// 90-150 s of QEMU's CPU before its banner (docs/kexec-tcg-delay.md).
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(RepoRoot(t), "scripts", "bench-netboot.sh"), "--timeout", "420")
	cmd.Dir = RepoRoot(t)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/bench-netboot.sh (%v):\n%s", time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("bench-netboot.sh: %v", err)
	}
	for _, re := range []string{
		`(?m)^target /init +[0-9.]+ +[0-9.]+$`,
		`(?m)^ours /init -> kexec: [0-9.]+ s \(target: <= 6\.5 s\): (met|MISSED)$`,
		`(?m)^ours/s390tools /init -> kexec: [0-9.]+ \(target: <= 0\.5\): (met|MISSED)$`,
		`(?m)^ours peak RSS: [0-9.]+ MiB \(target: <= downloaded [0-9.]+ MiB \+ 32 MiB = [0-9.]+ MiB\): (met|MISSED)$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("the report has no line matching %s", re)
		}
	}
}

// TestBenchNetbootHTTP runs scripts/bench-netboot.sh --proto http: the
// same tree with a second initrd, named by http:// URLs on the script's
// file server, fetched by busybox wget and by ours. Each guest stops at
// its kexec line (--until kexec: the fetch and /init -> kexec rows are
// the report; TestNetbootHTTP boots a target over HTTP end to end), which
// keeps the test to about a minute. Both sides must reach kexec and the
// report must carry its figures; the figures are logged with their
// verdicts, not enforced.
func TestBenchNetbootHTTP(t *testing.T) {
	Cache(t, "s390x")
	S390QEMU(t)
	NeedTool(t, "cpio", "cpio")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(RepoRoot(t), "scripts", "bench-netboot.sh"),
		"--proto", "http", "--until", "kexec", "--timeout", "240")
	cmd.Dir = RepoRoot(t)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("scripts/bench-netboot.sh --proto http (%v):\n%s", time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("bench-netboot.sh: %v", err)
	}
	for _, re := range []string{
		`(?m)^fetch s \(guest clock\) +[0-9.]+ +[0-9.]+$`,
		`(?m)^kexec +[0-9.]+ +[0-9.]+$`,
		`(?m)^ours /init -> kexec over HTTP: [0-9.]+ s \(target: <= 1\.5 s\): (met|MISSED)$`,
		`(?m)^ours/busybox wget fetch: [0-9.]+ \(target: <= 1\.0\): (met|MISSED)$`,
	} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("the report has no line matching %s", re)
		}
	}
}
