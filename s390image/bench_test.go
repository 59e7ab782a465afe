package s390image

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkBuildFile compares BuildFile with the shell method it replaces,
// `cat kernel ramdisk > out`, on a 5 MiB kernel and a 256 MiB ramdisk in
// the same run. BuildFile also syncs its output before renaming it, so
// "cat+fsync" (cat, then coreutils sync on the output) is the like-for-like
// baseline; "cat" is the target the issue sets (BuildFile within 1.25x).
//
//	go test -run XXX -bench BuildFile -benchtime 5x ./s390image/
func BenchmarkBuildFile(b *testing.B) {
	dir := b.TempDir()
	kernel := writeFile(b, dir, "vmlinuz", synth{size: 5066752, maxCmdline: 4096}.bytes())
	ramdisk := filepath.Join(dir, "initrd")
	f, err := os.Create(ramdisk)
	if err != nil {
		b.Fatal(err)
	}
	chunk := pattern(1<<20, 0x33)
	for range 256 {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	const total = 5066752 + 256<<20
	out := filepath.Join(dir, "pxelinux.0")
	shell := func(b *testing.B, script string) {
		cmd := exec.Command("sh", "-c", script, "sh", kernel, ramdisk, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", script, err, msg)
		}
	}
	b.Run("cat", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			shell(b, `cat "$1" "$2" > "$3"`)
		}
	})
	b.Run("cat+fsync", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			shell(b, `cat "$1" "$2" > "$3" && sync "$3"`)
		}
	})
	b.Run("BuildFile", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			if _, err := BuildFile(out, kernel, ramdisk, Options{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
