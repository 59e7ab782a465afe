// Package diskimage builds disk images for tests, without root and
// without mounting anything: a partition table written by sfdisk into an
// image file, and filesystems made by their own mkfs tools from a tree of
// files, each into a file of its own that is then copied into its
// partition (holes stay holes). Filesystem UUIDs and labels are set
// explicitly, so that the configs a test puts on the disk can name them.
// Only tests import it; a tool that is not installed skips the test
// (fails under CI=true, see testenv.Command).
//
//	img := diskimage.Build(t, filepath.Join(t.TempDir(), "disk.img"), diskimage.Disk{
//		Table: diskimage.GPT,
//		Partitions: []diskimage.Partition{
//			{Size: 16 << 20, Type: diskimage.TypeESP, FS: &diskimage.FS{Type: "vfat", UUID: "1234-ABCD", Label: "ESP",
//				Files: map[string][]byte{"loader/loader.conf": []byte("default debian-*\n")}}},
//			{Size: 32 << 20, Type: diskimage.TypeLinux, FS: &diskimage.FS{Type: "ext4", UUID: "...", Label: "boot",
//				Files: map[string][]byte{"grub/grub.cfg": cfg}}},
//		},
//	})
//
// The tools: sfdisk (util-linux: fdisk), mkfs.ext4 -d (e2fsprogs),
// mkfs.vfat and mcopy -s (dosfstools, mtools), mkfs.btrfs --rootdir
// (btrfs-progs).
package diskimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// Table is a partition table type, as sfdisk's "label:" names it.
type Table string

const (
	GPT Table = "gpt" // GUID partition table
	MBR Table = "dos" // MS-DOS (MBR) partition table
	// Whole: no partition table; the one partition's filesystem fills
	// the disk from its first byte (a "superfloppy").
	Whole Table = ""
)

// Partition types in sfdisk's shortcut form, valid in GPT and MBR tables.
const (
	TypeESP   = "U" // EFI system partition: C12A7328-F81F-11D2-BA4B-00A0C93EC93B, MBR 0xef
	TypeLinux = "L" // Linux filesystem: 0FC63DAF-8483-4772-8E79-3D69D8477DE4, MBR 0x83
)

// Alignment is where the first partition starts and what every partition
// size must be a multiple of: 1 MiB, as fdisk and parted align.
const Alignment = 1 << 20

// gptBackup is the room at the end of the disk for GPT's backup header
// and entries (33 sectors), rounded up to the alignment.
const gptBackup = Alignment

// Disk describes a disk image.
type Disk struct {
	Table Table
	// ID is the GPT disk GUID or the MBR disk identifier ("0x1234abcd");
	// "" lets sfdisk choose one at random.
	ID         string
	Partitions []Partition
}

// Partition is one partition, in table order (the first is number 1).
type Partition struct {
	Size int64  // bytes, a multiple of Alignment
	Type string // sfdisk type: TypeESP, TypeLinux, a GPT type GUID or an MBR hex code
	// UUID and Name are the GPT partition's unique GUID and name; ""
	// leaves the UUID random and the name empty. MBR tables have neither.
	UUID, Name string
	Bootable   bool // the MBR active flag
	FS         *FS  // nil leaves the partition zeroed
}

// FS is a filesystem and its files.
type FS struct {
	Type string // "ext4", "vfat" or "btrfs"
	// UUID: ext4 and btrfs a UUID, vfat its volume ID as blkid shows it
	// ("1234-ABCD"). Label is the volume label.
	UUID, Label string
	// Files are the filesystem's files: slash-separated paths relative to
	// its root, directories made as needed, mode 0644.
	Files map[string][]byte
}

// Image is a built disk image.
type Image struct {
	Path string
	Size int64
	// Starts are the partitions' byte offsets in the image, in table order.
	Starts []int64
}

// Build writes the disk d to the file path and returns where its
// partitions are; any failure fails the test.
func Build(t testing.TB, path string, d Disk) Image {
	t.Helper()
	img, err := build(t, path, d)
	if err != nil {
		t.Fatalf("disk image %s: %v", path, err)
	}
	return img
}

func build(t testing.TB, path string, d Disk) (Image, error) {
	if len(d.Partitions) == 0 {
		return Image{}, fmt.Errorf("no partitions")
	}
	img := Image{Path: path}
	switch d.Table {
	case Whole:
		if len(d.Partitions) != 1 {
			return Image{}, fmt.Errorf("a disk without a partition table has one filesystem, not %d", len(d.Partitions))
		}
		img.Starts, img.Size = []int64{0}, d.Partitions[0].Size
	case GPT, MBR:
		off := int64(Alignment)
		for i, p := range d.Partitions {
			if p.Size <= 0 || p.Size%Alignment != 0 {
				return Image{}, fmt.Errorf("partition %d: size %d is not a positive multiple of %d", i+1, p.Size, Alignment)
			}
			img.Starts = append(img.Starts, off)
			off += p.Size
		}
		img.Size = off + gptBackup
	default:
		return Image{}, fmt.Errorf("partition table %q: want %q, %q or none", d.Table, GPT, MBR)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return Image{}, err
	}
	defer f.Close()
	if err := f.Truncate(img.Size); err != nil {
		return Image{}, err
	}
	if d.Table != Whole {
		if err := partition(t, path, d, img.Starts); err != nil {
			return Image{}, err
		}
	}
	for i, p := range d.Partitions {
		if p.FS == nil {
			continue
		}
		fsImg, err := makeFS(t, p.Size, *p.FS)
		if err != nil {
			return Image{}, fmt.Errorf("partition %d: %s: %w", i+1, p.FS.Type, err)
		}
		if err := copyAt(f, img.Starts[i], fsImg); err != nil {
			return Image{}, fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return img, f.Close()
}

// sectorSize is the unit of sfdisk's script.
const sectorSize = 512

// partition writes the partition table with sfdisk.
func partition(t testing.TB, path string, d Disk, starts []int64) error {
	var script strings.Builder
	fmt.Fprintf(&script, "label: %s\n", d.Table)
	if d.ID != "" {
		fmt.Fprintf(&script, "label-id: %s\n", d.ID)
	}
	script.WriteString("unit: sectors\n")
	for i, p := range d.Partitions {
		fmt.Fprintf(&script, "start=%d, size=%d, type=%s", starts[i]/sectorSize, p.Size/sectorSize, p.Type)
		if d.Table == GPT {
			if p.UUID != "" {
				fmt.Fprintf(&script, ", uuid=%s", p.UUID)
			}
			if p.Name != "" {
				fmt.Fprintf(&script, ", name=%q", p.Name)
			}
		} else if p.UUID != "" || p.Name != "" {
			return fmt.Errorf("partition %d: an MBR partition has no UUID or name", i+1)
		}
		if p.Bootable {
			script.WriteString(", bootable")
		}
		script.WriteByte('\n')
	}
	cmd := exec.Command(testenv.Command(t, "sfdisk", "fdisk"), "--no-reread", "--no-tell-kernel", "--quiet", path)
	cmd.Stdin = strings.NewReader(script.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sfdisk with\n%s: %w\n%s", script.String(), err, out)
	}
	return nil
}

// makeFS makes the filesystem fs of size bytes in a temporary file and
// returns that file's path.
func makeFS(t testing.TB, size int64, fs FS) (string, error) {
	work := t.TempDir()
	root := filepath.Join(work, "root")
	if err := writeFiles(root, fs.Files); err != nil {
		return "", err
	}
	img := filepath.Join(work, "fs.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Truncate(img, size); err != nil {
		return "", err
	}
	var cmds [][]string
	switch fs.Type {
	case "ext4":
		args := []string{testenv.Command(t, "mkfs.ext4", "e2fsprogs"), "-q", "-F", "-d", root, "-E", "root_owner=0:0"}
		args = append(args, fsIDArgs(fs, "-U", "-L")...)
		cmds = append(cmds, append(args, img))
	case "btrfs":
		args := []string{testenv.Command(t, "mkfs.btrfs", "btrfs-progs"), "-q", "-f", "--rootdir", root}
		if size < btrfsMinPlain {
			// Below its minimum, mkfs.btrfs grows the file; mixed
			// block groups fit in 16 MiB.
			args = append(args, "--mixed")
		}
		args = append(args, fsIDArgs(fs, "-U", "-L")...)
		cmds = append(cmds, append(args, img))
	case "vfat":
		args := []string{testenv.Command(t, "mkfs.vfat", "dosfstools")}
		if fs.UUID != "" {
			id := strings.ReplaceAll(fs.UUID, "-", "")
			if len(id) != 8 {
				return "", fmt.Errorf("volume ID %q: want 8 hex digits as blkid shows them, 1234-ABCD", fs.UUID)
			}
			args = append(args, "-i", id)
		}
		if fs.Label != "" {
			args = append(args, "-n", fs.Label)
		}
		cmds = append(cmds, append(args, img))
		if len(fs.Files) > 0 {
			tops, err := os.ReadDir(root)
			if err != nil {
				return "", err
			}
			mcopy := []string{testenv.Command(t, "mcopy", "mtools"), "-s", "-Q", "-i", img}
			for _, e := range tops {
				mcopy = append(mcopy, filepath.Join(root, e.Name()))
			}
			cmds = append(cmds, append(mcopy, "::/"))
		}
	default:
		return "", fmt.Errorf("filesystem type %q: want ext4, vfat or btrfs", fs.Type)
	}
	for _, args := range cmds {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	if fi, err := os.Stat(img); err != nil {
		return "", err
	} else if fi.Size() != size {
		return "", fmt.Errorf("%s made a %d-byte filesystem for a %d-byte partition", cmds[0][0], fi.Size(), size)
	}
	return img, nil
}

// btrfsMinPlain is the smallest btrfs mkfs.btrfs 6.2 makes without mixed
// block groups (it grows a smaller file to this size).
const btrfsMinPlain = 114294784

// fsIDArgs returns the mkfs flags setting fs's UUID and label.
func fsIDArgs(fs FS, uuidFlag, labelFlag string) []string {
	var args []string
	if fs.UUID != "" {
		args = append(args, uuidFlag, fs.UUID)
	}
	if fs.Label != "" {
		args = append(args, labelFlag, fs.Label)
	}
	return args
}

// writeFiles writes files below root, which it creates.
func writeFiles(root string, files map[string][]byte) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		clean := filepath.Clean(filepath.FromSlash(name))
		if !filepath.IsLocal(clean) {
			return fmt.Errorf("file %q: not a path below the filesystem's root", name)
		}
		p := filepath.Join(root, clean)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyChunk is the unit copyAt reads and, unless all zero, writes.
const copyChunk = 64 << 10

// copyAt copies the file src into dst at offset off, leaving the chunks
// that are all zero unwritten (the image is sparse and zeroed already).
func copyAt(dst *os.File, off int64, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, copyChunk)
	zero := make([]byte, copyChunk)
	for pos := int64(0); ; {
		n, err := io.ReadFull(f, buf)
		if n > 0 && !bytes.Equal(buf[:n], zero[:n]) {
			if _, werr := dst.WriteAt(buf[:n], off+pos); werr != nil {
				return werr
			}
		}
		pos += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", src, err)
		}
	}
}

// SHA256 returns the hex SHA-256 of the file path, to show that a boot
// left a disk image as it was.
func SHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
