package blockdev

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
)

// image is a filesystem image a test makes with the real tool.
type image struct {
	name string
	size int64                           // bytes of the sparse file made first (0: the tool makes the file)
	tool string                          // program
	pkg  string                          // Debian package providing it
	args func(dir, img string) []string  // arguments, given a scratch folder and the image path
	want FS                              // expected result (UUID "" = whatever blkid says)
	prep func(t *testing.T, dir string)  // fills the scratch folder before the tool runs
	post func(t *testing.T, img string)  // changes the image after the tool ran
	cmp  func(t *testing.T, got, blk FS) // extra comparison; nil: got must equal blkid's
}

const (
	testLabel = "bootfs"
	testUUID  = "5bcd7b56-0c70-4c5d-9f0b-2fc5fa9b0d4e"
)

func testImages() []image {
	withFile := func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []image{
		{name: "ext2", size: 16 << 20, tool: "mkfs.ext2", pkg: "e2fsprogs",
			args: func(_, img string) []string { return []string{"-q", "-F", "-L", testLabel, "-U", testUUID, img} },
			want: FS{Type: "ext2", UUID: testUUID, Label: testLabel}},
		{name: "ext3", size: 16 << 20, tool: "mkfs.ext4", pkg: "e2fsprogs",
			args: func(_, img string) []string {
				return []string{"-q", "-F", "-t", "ext3", "-L", testLabel, "-U", testUUID, img}
			},
			want: FS{Type: "ext3", UUID: testUUID, Label: testLabel}},
		{name: "ext4", size: 16 << 20, tool: "mkfs.ext4", pkg: "e2fsprogs",
			args: func(_, img string) []string { return []string{"-q", "-F", "-L", testLabel, "-U", testUUID, img} },
			want: FS{Type: "ext4", UUID: testUUID, Label: testLabel}},
		{name: "ext4-nolabel", size: 16 << 20, tool: "mkfs.ext4", pkg: "e2fsprogs",
			args: func(_, img string) []string { return []string{"-q", "-F", "-U", testUUID, img} },
			want: FS{Type: "ext4", UUID: testUUID}},
		{name: "xfs", size: 320 << 20, tool: "mkfs.xfs", pkg: "xfsprogs",
			args: func(_, img string) []string {
				return []string{"-q", "-f", "-L", testLabel, "-m", "uuid=" + testUUID, img}
			},
			want: FS{Type: "xfs", UUID: testUUID, Label: testLabel}},
		{name: "btrfs", size: 128 << 20, tool: "mkfs.btrfs", pkg: "btrfs-progs",
			args: func(_, img string) []string { return []string{"-q", "-f", "-L", testLabel, "-U", testUUID, img} },
			want: FS{Type: "btrfs", UUID: testUUID, Label: testLabel}},
		{name: "vfat12", size: 2 << 20, tool: "mkfs.vfat", pkg: "dosfstools",
			args: func(_, img string) []string { return []string{"-F", "12", "-n", "ESP12", "-i", "1234abcd", img} },
			want: FS{Type: "vfat", Version: "FAT12", UUID: "1234-ABCD", Label: "ESP12"}},
		{name: "vfat16", size: 32 << 20, tool: "mkfs.vfat", pkg: "dosfstools",
			args: func(_, img string) []string { return []string{"-F", "16", "-n", "ESP16", "-i", "0000beef", img} },
			want: FS{Type: "vfat", Version: "FAT16", UUID: "0000-BEEF", Label: "ESP16"}},
		{name: "vfat32", size: 64 << 20, tool: "mkfs.vfat", pkg: "dosfstools",
			args: func(_, img string) []string { return []string{"-F", "32", "-n", "EFI SYSTEM", "-i", "a1b2c3d4", img} },
			want: FS{Type: "vfat", Version: "FAT32", UUID: "A1B2-C3D4", Label: "EFI SYSTEM"}},
		{name: "vfat32-nolabel", size: 64 << 20, tool: "mkfs.vfat", pkg: "dosfstools",
			args: func(_, img string) []string { return []string{"-F", "32", "-i", "a1b2c3d4", img} },
			want: FS{Type: "vfat", Version: "FAT32", UUID: "A1B2-C3D4"}},
		{name: "vfat16-mlabel", size: 32 << 20, tool: "mkfs.vfat", pkg: "dosfstools",
			args: func(_, img string) []string { return []string{"-F", "16", "-n", "OLD", "-i", "0000beef", img} },
			post: func(t *testing.T, img string) {
				// mlabel rewrites the root directory's label entry only:
				// blkid (and Probe) prefer it to the boot sector's.
				run(t, testenv.Command(t, "mlabel", "mtools"), "-i", img, "::NEW")
			},
			want: FS{Type: "vfat", Version: "FAT16", UUID: "0000-BEEF", Label: "NEW"}},
		{name: "iso9660-xorriso", tool: "xorriso", pkg: "xorriso", prep: withFile,
			args: func(dir, img string) []string {
				return []string{"-as", "mkisofs", "-quiet", "-V", "Debian 12 amd64", "-J", "-R", "-o", img, dir}
			},
			want: FS{Type: "iso9660", Label: "Debian 12 amd64"}},
		{name: "iso9660-genisoimage", tool: "genisoimage", pkg: "genisoimage", prep: withFile,
			args: func(dir, img string) []string {
				return []string{"-quiet", "-V", "CDROM", "-o", img, dir}
			},
			want: FS{Type: "iso9660", Label: "CDROM"}},
		{name: "swap", size: 1 << 20, tool: "mkswap", pkg: "util-linux",
			args: func(_, img string) []string { return []string{"-q", "-L", "swap0", "-U", testUUID, img} },
			want: FS{Type: "swap", Version: "1", UUID: testUUID, Label: "swap0"}},
		{name: "squashfs", tool: "mksquashfs", pkg: "squashfs-tools", prep: withFile,
			args: func(dir, img string) []string { return []string{dir, img, "-quiet", "-no-progress"} },
			want: FS{Type: "squashfs"}},
		{name: "erofs", tool: "mkfs.erofs", pkg: "erofs-utils", prep: withFile,
			args: func(dir, img string) []string { return []string{"--quiet", "-U", testUUID, img, dir} },
			want: FS{Type: "erofs", UUID: testUUID}}, // mkfs.erofs 1.5 has no -L
		{name: "luks1", size: 4 << 20, tool: "cryptsetup", pkg: "cryptsetup-bin",
			args: func(dir, img string) []string { return luksArgs(dir, img, "luks1") },
			want: FS{Type: "crypto_LUKS", Version: "1", UUID: testUUID}},
		{name: "luks2", size: 20 << 20, tool: "cryptsetup", pkg: "cryptsetup-bin",
			args: func(dir, img string) []string {
				return append(luksArgs(dir, img, "luks2"), "--label", "cryptroot")
			},
			want: FS{Type: "crypto_LUKS", Version: "2", UUID: testUUID, Label: "cryptroot"}},
	}
}

func luksArgs(dir, img, typ string) []string {
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte("secret"), 0o600)
	return []string{"luksFormat", "-q", "--batch-mode", "--type", typ, "--uuid", testUUID,
		"--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", key, img}
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// makeImage makes im's image in a test folder and returns its path.
func makeImage(t testing.TB, im image) string {
	t.Helper()
	tt, _ := t.(*testing.T)
	tool := testenv.Command(t, im.tool, im.pkg)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if im.prep != nil {
		im.prep(tt, src)
	}
	img := filepath.Join(dir, im.name+".img")
	if im.size > 0 {
		if err := os.WriteFile(img, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(img, im.size); err != nil {
			t.Fatal(err)
		}
	}
	run(t, tool, im.args(dir, img)...)
	if im.post != nil {
		im.post(tt, img)
	}
	return img
}

// blkid is what `blkid -p` says of the image.
func blkid(t testing.TB, img string) FS {
	t.Helper()
	tool := testenv.Command(t, "blkid", "util-linux")
	out, err := exec.Command(tool, "-p", "-o", "export", img).Output()
	if err != nil {
		t.Fatalf("blkid -p %s: %v", img, err)
	}
	var fs FS
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		v = unescapeExport(v)
		switch k {
		case "TYPE":
			fs.Type = v
		case "UUID":
			fs.UUID = v
		case "LABEL":
			fs.Label = v
		case "VERSION":
			fs.Version = v
		}
	}
	return fs
}

func probeFile(t testing.TB, img string) (FS, error) {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Probe(f, st.Size())
}

// TestProbeImages makes each filesystem with its own mkfs and compares
// Probe's answer with the expected values and with blkid -p's.
func TestProbeImages(t *testing.T) {
	for _, im := range testImages() {
		t.Run(im.name, func(t *testing.T) {
			img := makeImage(t, im)
			got, err := probeFile(t, img)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			want := im.want
			blk := blkid(t, img)
			if want.UUID == "" {
				want.UUID = blk.UUID // iso9660: the date of the run
			}
			if got != want {
				t.Errorf("Probe = %+v, want %+v", got, want)
			}
			// blkid prints VERSION for more types than we do (ext4's
			// "1.0", xfs's "5"); compare it where we set it.
			if got.Version == "" {
				blk.Version = ""
			}
			if got != blk {
				t.Errorf("Probe = %+v, blkid -p = %+v", got, blk)
			}
		})
	}
}

// TestProbeCorrupt damages real superblocks: each gives an error naming
// the cause, never a panic and never a wrong answer.
func TestProbeCorrupt(t *testing.T) {
	for _, c := range []struct {
		image   string
		off     int64 // byte to overwrite
		val     []byte
		cut     int64 // truncate the image to this many bytes first (0: keep)
		wantErr error
	}{
		{image: "ext4", off: extSuper + extLogBlockSize, val: []byte{99}, wantErr: ErrCorrupt},
		{image: "ext4", cut: extSuper + 0x40, wantErr: ErrCorrupt},
		{image: "xfs", off: xfsBlockSize, val: []byte{0, 0, 3, 0}, wantErr: ErrCorrupt},
		{image: "btrfs", off: btrfsSuper + btrfsBytenr, val: []byte{1}, wantErr: ErrCorrupt},
		{image: "btrfs", cut: btrfsSuper + 0x100, wantErr: ErrCorrupt},
		{image: "vfat32", off: fatBytesPerSector, val: []byte{0x33, 0x01}, wantErr: ErrCorrupt},
		{image: "vfat32", off: fatRootClus, val: []byte{0xff, 0xff, 0xff, 0x0f}, wantErr: ErrCorrupt},
		{image: "vfat16", off: fatNumFATs, val: []byte{0}, wantErr: ErrCorrupt},
		{image: "swap", off: swapVersion, val: []byte{7}, wantErr: ErrCorrupt},
		{image: "iso9660-xorriso", off: 17*isoSector + 1, val: []byte("XX"), wantErr: ErrCorrupt},
		{image: "ext4", off: extSuper + 0x38, val: []byte{0, 0}, wantErr: ErrUnknownFS},
	} {
		t.Run(c.image, func(t *testing.T) {
			img := makeImage(t, imageNamed(t, c.image))
			if c.cut > 0 {
				if err := os.Truncate(img, c.cut); err != nil {
					t.Fatal(err)
				}
			}
			if c.val != nil {
				f, err := os.OpenFile(img, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(c.val, c.off); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			fs, err := probeFile(t, img)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Probe = %+v, %v; want %v", fs, err, c.wantErr)
			}
			t.Logf("%v", err)
		})
	}
}

// TestProbeShortReader: a reader that ends before the size it claims is
// an error, not a panic or a wrong type.
func TestProbeShortReader(t *testing.T) {
	img := makeImage(t, imageNamed(t, "ext4"))
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Probe(bytes.NewReader(b[:extSuper+0x3a]), int64(len(b)))
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Probe of a reader cut at the magic = %v, want io.ErrUnexpectedEOF", err)
	}
}

// unescapeExport undoes the backslashes blkid -o export puts before
// characters a shell would take apart.
func unescapeExport(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func imageNamed(t testing.TB, name string) image {
	for _, im := range testImages() {
		if im.name == name {
			return im
		}
	}
	t.Fatalf("no test image %q", name)
	return image{}
}
