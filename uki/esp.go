package uki

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
)

// ESP sizes. The UEFI specification wants FAT32 on a system partition,
// and FAT32 needs at least 65525 clusters: 33 MiB with 512-byte clusters.
const (
	MinESPSize = 64 << 20 // the smallest image WriteESP makes
	espSlack   = 8 << 20  // free space WriteESP leaves beyond the files
)

// ESPSize is the size WriteESP gives an image that holds files of total
// bytes: the files plus 8 MiB, rounded up to MiB, at least MinESPSize.
func ESPSize(total int64) int64 {
	return max(MinESPSize, int64(alignUp(uint64(total+espSlack), 1<<20)))
}

// ESPFile is one file WriteESP puts on the partition.
type ESPFile struct {
	Path string // inside the partition, with slashes: "EFI/BOOT/BOOTX64.EFI"
	Data []byte
}

// WriteESP writes name as the image of an EFI system partition of size
// bytes (0: ESPSize of the files): a FAT32 file system, made with
// mkfs.vfat (dosfstools), holding files (copied with mtools' mmd and
// mcopy, so nothing is mounted and root is not needed). The image has no
// partition table: dd it onto a partition, or give it to a virtual
// machine as a disk (UEFI firmware reads a FAT file system on a whole
// disk). The image appears complete or not at all.
func WriteESP(name string, size int64, files []ESPFile) error {
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
	}
	if size == 0 {
		size = ESPSize(total)
	}
	if size < total {
		return fmt.Errorf("ESP %s: %d bytes cannot hold %d bytes of files", name, size, total)
	}
	mkfs, err := sbinTool("mkfs.vfat", "dosfstools")
	if err != nil {
		return err
	}
	mmd, err := sbinTool("mmd", "mtools")
	if err != nil {
		return err
	}
	mcopy, err := sbinTool("mcopy", "mtools")
	if err != nil {
		return err
	}
	out, err := atomicfile.Create(name, 0o644)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := out.Truncate(size); err != nil {
		return fmt.Errorf("ESP %s: %w", name, err)
	}
	img := out.File.Name() // the temporary file
	if err := run(mkfs, "-F", "32", "-n", "ESP", img); err != nil {
		return fmt.Errorf("ESP %s: %w", name, err)
	}
	tmp, err := os.MkdirTemp("", "esp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	made := map[string]bool{}
	for i, f := range files {
		p := strings.Trim(path.Clean("/"+f.Path), "/")
		if p == "" {
			return fmt.Errorf("ESP %s: empty file path %q", name, f.Path)
		}
		var dirs []string
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if !made[d] {
				dirs = append([]string{"::/" + d}, dirs...)
				made[d] = true
			}
		}
		if len(dirs) > 0 {
			if err := run(mmd, append([]string{"-i", img}, dirs...)...); err != nil {
				return fmt.Errorf("ESP %s: %w", name, err)
			}
		}
		src := filepath.Join(tmp, fmt.Sprint(i))
		if err := os.WriteFile(src, f.Data, 0o644); err != nil {
			return err
		}
		if err := run(mcopy, "-i", img, src, "::/"+p); err != nil {
			return fmt.Errorf("ESP %s: %w", name, err)
		}
		os.Remove(src)
	}
	return out.Commit()
}

// sbinTool finds a program that Debian installs in /usr/sbin or /sbin,
// which a user's PATH may lack.
func sbinTool(name, pkg string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found: install %s", name, pkg)
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	// mtools refuses images whose geometry it doubts without this.
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
