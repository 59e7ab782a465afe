package initramfs

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/s390netboot/s390netboot/internal/compression"
	"github.com/s390netboot/s390netboot/pxeclient/kexec"
)

// ErrNotUnpackable is returned (wrapped) by Identify for a ramdisk the
// kernel's initramfs unpacker cannot unpack.
var ErrNotUnpackable = errors.New("not a ramdisk the kernel can unpack")

// The newc cpio format as the kernel reads it (init/initramfs.c, do_header;
// the format: Documentation/driver-api/early-userspace/buffer-format.rst).
const (
	newcMagic    = "070701" // newc
	newcCRCMagic = "070702" // newc with checksums; the kernel ignores the sum
	odcMagic     = "070707" // old portable format: the kernel refuses it
	newcHeader   = 110      // magic and 13 eight-digit hex fields
	newcTrailer  = "TRAILER!!!"
	cpioAlign    = 4 // header+name and data are padded to 4 bytes
	pathMax      = 4096
	// newc field indexes, after the magic.
	newcMode, newcFilesize, newcNamesize = 1, 6, 11
	sIFMT, sIFREG                        = 0o170000, 0o100000
)

// Limits of Identify's work.
const (
	// identifyBudget bounds the bytes of records Identify decompresses
	// from one compressed member before it gives up looking for /init (a
	// netboot ramdisk puts it after the CA bundle, a few hundred KiB in).
	// /init itself is read on top, up to maxInitRead.
	identifyBudget = 4 << 20
	// maxInitRead bounds the /init Identify reads into memory to learn
	// whether it is a Go program (pxeinit is 7 MiB).
	maxInitRead = 64 << 20
)

// Member is one part of a ramdisk as the kernel's unpacker sees it: a newc
// cpio archive, or a compressed stream around one. Zero bytes between
// members are padding the kernel skips.
type Member struct {
	Offset int64 // in the ramdisk
	// Compression names the format of a compressed member, "" for a plain
	// cpio archive.
	Compression string
	// Verified reports that Identify read a newc cpio header inside: a
	// plain member always, a compressed one when this package has its
	// decompressor (gzip, bzip2, xz, zstd). lzma, lzop and lz4 members are
	// recognised by their magic only.
	Verified bool
}

// Contents says what Identify found in a ramdisk.
type Contents struct {
	Members []Member
	// Rest reports that Identify stopped at a compressed member without
	// looking for what follows it: it reads a compressed member only as
	// far as its first records, so anything concatenated after one is not
	// checked.
	Rest bool
	// Init is the main package of /init when /init is a Go program
	// (debug/buildinfo) that Identify came across, "" otherwise. A netboot
	// ramdisk has InitPackage here.
	Init string
}

// String describes c: "gzip-compressed newc cpio", "newc cpio +
// zstd-compressed newc cpio".
func (c *Contents) String() string {
	var parts []string
	for _, m := range c.Members {
		s := "newc cpio"
		if m.Compression != "" {
			s = m.Compression + "-compressed newc cpio"
			if !m.Verified {
				s = m.Compression + "-compressed data (content not checked)"
			}
		}
		parts = append(parts, s)
	}
	s := strings.Join(parts, " + ")
	if c.Rest {
		s += " (anything after it not checked)"
	}
	return s
}

// Identify reads a ramdisk from r and says whether the kernel's initramfs
// unpacker (init/initramfs.c, unpack_to_rootfs) can unpack it: newc cpio
// archives ("070701" or "070702"), each plain or compressed with gzip,
// bzip2, lzma, xz, lzop, lz4 (legacy framing) or zstd, one after another
// with zero bytes between them. Whether the kernel was built with the
// decompressor (CONFIG_RD_*) is not Identify's to know.
//
// Identify reads plain members to their end and compressed ones only as
// far as it needs to: it decompresses the start of a gzip, bzip2, xz or
// zstd member to see a cpio header there, and keeps going until it has
// passed /init (when /init starts within identifyBudget bytes), to say in
// Contents.Init what the init is. It stops at the first compressed member
// and does not read what follows it (Contents.Rest). The caller drains r
// if it needs to.
//
// The error matches ErrNotUnpackable for a ramdisk the kernel would refuse,
// and says at which offset and what the bytes there look like. Errors of r
// itself are returned as they are.
//
// # Security
//
// r is untrusted. Identify holds at most one cpio header, one name
// (pathMax) and an /init of at most maxInitRead bytes in memory,
// decompresses at most identifyBudget bytes and the /init after them, and
// does not panic on any input (FuzzIdentify).
func Identify(r io.Reader) (*Contents, error) {
	read := &countWriter{w: io.Discard}
	br := bufio.NewReaderSize(io.TeeReader(r, read), describeLen)
	pos := func() int64 { return read.n - int64(br.Buffered()) }
	c := &Contents{}
	id := &walker{c: c}
	// The start of the file, for describing one that starts with zero
	// bytes (an s390 kernel does) and is not a ramdisk.
	start, _ := br.Peek(describeLen)
	start = bytes.Clone(start)
	for {
		if _, err := skipZeros(br); err == io.EOF {
			break
		} else if err != nil {
			return c, err
		}
		off := pos()
		head, err := br.Peek(compression.MaxMagic)
		if err != nil && err != io.EOF {
			return c, err
		}
		if head[0] == '0' && off%cpioAlign == 0 {
			// The kernel's rule: a member that starts with '0' at a
			// 4-byte boundary of the ramdisk is a cpio archive.
			if err := id.archive(br, pos, true); err != nil {
				return c, notUnpackable(off, len(c.Members), err)
			}
			c.Members = append(c.Members, Member{Offset: off, Verified: true})
			continue
		}
		f, ok := compression.Detect(head)
		if !ok || !f.Initramfs {
			head, _ = br.Peek(describeLen)
			if len(c.Members) == 0 && known(start) {
				off, head = 0, start
			}
			return c, notUnpackable(off, len(c.Members), errors.New(describe(head, f, ok, off)))
		}
		m := Member{Offset: off, Compression: f.Name}
		dec, err := decompressor(f, br)
		if err != nil {
			return c, notUnpackable(off, len(c.Members), fmt.Errorf("%s data: %w", f.Name, err))
		}
		if dec != nil {
			err := id.compressed(dec, f)
			dec.Close()
			if err != nil {
				return c, notUnpackable(off, len(c.Members), err)
			}
			m.Verified = true
		}
		c.Members = append(c.Members, m)
		c.Rest = true
		return c, nil
	}
	if len(c.Members) == 0 {
		if pos() == 0 {
			return c, fmt.Errorf("%w: an empty file", ErrNotUnpackable)
		}
		return c, fmt.Errorf("%w: %d zero bytes and nothing else", ErrNotUnpackable, pos())
	}
	return c, nil
}

// notUnpackable wraps err, the reason the member at off is not one the
// kernel unpacks.
func notUnpackable(off int64, after int, err error) error {
	if off == 0 {
		return fmt.Errorf("%w: %w", ErrNotUnpackable, err)
	}
	return fmt.Errorf("%w: at offset %d, after %d good member(s): %w", ErrNotUnpackable, off, after, err)
}

// known reports whether kexec.Identify knows what start, the start of a
// stream, is: then describe looks at it rather than at what follows the
// zero bytes it may start with (an s390 kernel does).
func known(start []byte) bool {
	k := kexec.Identify(start).Kind
	return k != kexec.KindUnknown && k != kexec.KindEmpty
}

// describeLen is how much of a member describe looks at: enough for the
// s390 kernel image magic at 0x10008 (s390image.MagicOffset).
const describeLen = 0x10010

// describe says what the bytes at the start of a member, at offset off of
// its stream, look like, for a member that is neither cpio nor a format
// the kernel unpacks.
func describe(head []byte, f compression.Format, isCompressed bool, off int64) string {
	switch {
	case len(head) == 0:
		return "no data"
	case isCompressed:
		return fmt.Sprintf("%s-compressed data, which the kernel's unpacker does not read (for lz4, write the legacy format: lz4 -l)", f.Name)
	case head[0] == '0':
		return fmt.Sprintf("a cpio archive at an offset that is not a multiple of %d: pad the member before it with zero bytes", cpioAlign)
	}
	if info := kexec.Identify(head); info.Kind != kexec.KindUnknown {
		return info.What
	}
	head = bytes.TrimLeft(head, "\x00")
	return fmt.Sprintf("bytes % x, neither a newc cpio archive nor gzip, bzip2, lzma, xz, lzop, lz4 (legacy) or zstd data", head[:min(len(head), 8)])
}

// decompressor returns a reader of the data compressed in f's format at
// the start of r, or nil when this package cannot decompress f.
func decompressor(f compression.Format, r io.Reader) (io.ReadCloser, error) {
	switch f {
	case compression.Gzip:
		zr, err := kgzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		zr.Multistream(false) // the kernel starts a new member after each
		return zr, nil
	case compression.XZ:
		xr, err := xz.NewReader(r)
		if err != nil {
			return nil, err
		}
		return io.NopCloser(xr), nil
	case compression.Zstd:
		// The decoder's memory is bounded by the window; the kernel
		// allocates the whole window too (lib/decompress_unzstd.c).
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	case compression.Bzip2:
		return io.NopCloser(bzip2.NewReader(r)), nil
	}
	return nil, nil
}

// walker reads cpio records and remembers what Contents needs from them.
type walker struct {
	c        *Contents
	seenInit bool
}

// compressed checks that the data dec decompresses holds newc archives
// (after optional zero bytes, as the kernel's flush_buffer allows), and
// walks them until /init is passed, the data ends, or identifyBudget
// bytes are read.
func (w *walker) compressed(dec io.Reader, f compression.Format) error {
	w.seenInit = false
	// The walk stops at identifyBudget by itself; the limit only backs
	// that up.
	const limit = identifyBudget + maxInitRead + 2*newcHeader + 2*pathMax
	read := &countWriter{w: io.Discard}
	br := bufio.NewReaderSize(io.TeeReader(io.LimitReader(dec, limit), read), describeLen)
	pos := func() int64 { return read.n - int64(br.Buffered()) }
	start, _ := br.Peek(describeLen)
	start = bytes.Clone(start)
	for first := true; ; first = false {
		zeros, err := skipZeros(br)
		if err == io.EOF {
			if first {
				return fmt.Errorf("%s data that decompresses to nothing but %d zero bytes", f.Name, zeros)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s data at %d bytes decompressed: %w", f.Name, pos(), err)
		}
		head, _ := br.Peek(newcHeader)
		if !bytes.HasPrefix(head, []byte("0")) {
			if first && known(start) {
				head = start
			}
			what := describe(head, compression.Format{}, false, pos())
			if first {
				return fmt.Errorf("%s-compressed, but not a cpio archive inside: %s", f.Name, what)
			}
			return fmt.Errorf("%s-compressed cpio followed, %d bytes decompressed, by junk: %s", f.Name, pos(), what)
		}
		if err := w.archive(br, pos, false); err != nil {
			if errors.Is(err, errBudget) {
				return nil // enough seen
			}
			return fmt.Errorf("%s-compressed cpio: %w", f.Name, err)
		}
		if w.seenInit {
			return nil
		}
	}
}

// errBudget stops a walk that has seen what it needs.
var errBudget = errors.New("seen enough")

// archive reads one newc archive from r, up to and including its trailer.
// Inside compressed data (whole is false) it stops with errBudget once
// /init is behind it, or when the records before /init pass
// identifyBudget bytes. pos gives the offset in the stream.
func (w *walker) archive(r *bufio.Reader, pos func() int64, whole bool) error {
	var hdr [newcHeader]byte
	for n := 0; ; n++ {
		off := pos()
		if !whole && off >= identifyBudget {
			return errBudget
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("cpio record %d at %d: header: %w", n, off, eofIsUnexpected(err))
		}
		fields, err := parseNewc(hdr[:])
		if err != nil {
			return fmt.Errorf("cpio record %d at %d: %w", n, off, err)
		}
		namesize, size := fields[newcNamesize], fields[newcFilesize]
		name := make([]byte, namesize)
		if _, err := io.ReadFull(r, name); err != nil {
			return fmt.Errorf("cpio record %d at %d: name: %w", n, off, eofIsUnexpected(err))
		}
		name = bytes.TrimRight(name, "\x00")
		if err := discard(r, pad(newcHeader+int64(namesize))); err != nil {
			return fmt.Errorf("cpio record %d (%q) at %d: %w", n, name, off, err)
		}
		if string(name) == newcTrailer {
			return nil
		}
		isInit := fields[newcMode]&sIFMT == sIFREG && cleanRecordName(string(name)) == "init"
		if !whole && !isInit && pos()+int64(size) > identifyBudget {
			return errBudget
		}
		if err := w.data(r, int64(size), isInit); err != nil {
			return fmt.Errorf("cpio record %d (%q, %d bytes) at %d: %w", n, name, size, off, err)
		}
		if err := discard(r, pad(int64(size))); err != nil {
			return fmt.Errorf("cpio record %d (%q) at %d: %w", n, name, off, err)
		}
		if isInit {
			w.seenInit = true
			if !whole {
				return errBudget
			}
		}
	}
}

// data reads a record's size data bytes; /init is read into memory to
// learn whether it is a Go program.
func (w *walker) data(r *bufio.Reader, size int64, isInit bool) error {
	if !isInit || size > maxInitRead {
		return discard(r, size)
	}
	w.c.Init = "" // a later /init replaces an earlier one
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return eofIsUnexpected(err)
	}
	if bi, err := buildinfo.Read(bytes.NewReader(b)); err == nil {
		w.c.Init = bi.Path
	}
	return nil
}

// parseNewc checks the magic of a newc header and decodes its 13 fields.
func parseNewc(h []byte) ([13]uint32, error) {
	var f [13]uint32
	switch m := string(h[:6]); m {
	case newcMagic, newcCRCMagic:
	case odcMagic:
		return f, errors.New(`a cpio archive in the old portable format ("070707"): the kernel reads only newc (cpio -H newc)`)
	default:
		return f, fmt.Errorf("no newc cpio magic (%q, want %q or %q)", m, newcMagic, newcCRCMagic)
	}
	for i := range f {
		s := string(h[6+8*i : 6+8*i+8])
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			return f, fmt.Errorf("newc header field %d is %q, not 8 hex digits", i, s)
		}
		f[i] = uint32(v)
	}
	if n := f[newcNamesize]; n == 0 || n > pathMax {
		return f, fmt.Errorf("name size %d (want 1 to %d)", n, pathMax)
	}
	return f, nil
}

// cleanRecordName is the path a record name stands for below the root.
func cleanRecordName(n string) string {
	for {
		switch {
		case strings.HasPrefix(n, "./"):
			n = n[2:]
		case strings.HasPrefix(n, "/"):
			n = n[1:]
		default:
			return n
		}
	}
}

// pad is the padding after n bytes to the next cpio boundary.
func pad(n int64) int64 { return (cpioAlign - n%cpioAlign) % cpioAlign }

// skipZeros reads past zero bytes and returns how many there were; io.EOF
// when r ends first.
func skipZeros(r *bufio.Reader) (int, error) {
	n := 0
	for {
		b, err := r.Peek(1)
		if err != nil {
			return n, err
		}
		if b[0] != 0 {
			return n, nil
		}
		buf, _ := r.Peek(r.Buffered())
		k := len(buf) - len(bytes.TrimLeft(buf, "\x00"))
		r.Discard(k)
		n += k
	}
}

func discard(r *bufio.Reader, n int64) error {
	_, err := io.CopyN(io.Discard, r, n)
	return eofIsUnexpected(err)
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
