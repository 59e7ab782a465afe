package s390image

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
)

// StdioPath is the path that stands for standard input (for a ramdisk) or
// standard output (for an image).
const StdioPath = "-"

// BuildFile builds the single boot image out from the files kernel and
// ramdisk, as Build does. ramdisk may be StdioPath (opts.Stdin) or a pipe,
// and "" to keep the kernel's own ramdisk and only apply opts.Cmdline. out
// may be StdioPath (opts.Stdout).
//
// The output appears complete or not at all: Build writes to a temporary
// file in out's folder, which is synced and then renamed to out; on any
// error it is removed and an existing out stays untouched. out must not
// name one of the inputs (ErrOutputIsInput).
func BuildFile(out, kernel, ramdisk string, opts Options) (*Layout, error) {
	src, err := openSources(kernel, ramdisk, out == StdioPath, &opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	r, size := src.ramdiskStream()
	var l *Layout
	build := func(w io.Writer) error {
		l, err = Build(w, src.kernel.f, src.kernel.size, r, size, opts)
		return err
	}
	if out == StdioPath {
		if err := build(opts.stdout()); err != nil {
			return nil, err
		}
		return l, nil
	}
	var o outputs
	defer o.abort()
	f, err := o.create(out, src.inputs())
	if err != nil {
		return nil, err
	}
	if err := build(f); err != nil {
		return nil, err
	}
	return l, o.commit()
}

// ExtractFile splits the single boot image image into the files kernel
// and ramdisk (either may be "" to skip it, or StdioPath), as Extract does,
// with BuildFile's guarantees for the outputs.
func ExtractFile(image, kernel, ramdisk string, opts Options) (*Layout, error) {
	in, err := openKernelFile(image)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if kernel != "" && kernel == ramdisk {
		return nil, fmt.Errorf("kernel and ramdisk outputs are both %s", kernel)
	}
	var o outputs
	defer o.abort()
	var ws [2]io.Writer
	for i, path := range []string{kernel, ramdisk} {
		switch path {
		case "":
		case StdioPath:
			ws[i] = opts.stdout()
		default:
			f, err := o.create(path, []*input{in})
			if err != nil {
				return nil, err
			}
			ws[i] = f
		}
	}
	l, err := Extract(in.f, in.size, ws[0], ws[1])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", image, err)
	}
	return l, o.commit()
}

// InspectFile inspects the image in the file path.
func InspectFile(path string) (*Info, error) {
	in, err := openKernelFile(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	info, err := Inspect(in.f, in.size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// WriteLoadDir writes the IBM Z load files (see WriteLoadFiles) for the
// files kernel and ramdisk into the folder dir, creating it if needed.
// ramdisk may be StdioPath, or "" to take the ramdisk out of a single boot
// image. Every file appears complete or none does.
func WriteLoadDir(dir, kernel, ramdisk string, opts Options) (_ *LoadLayout, err error) {
	src, err := openSources(kernel, ramdisk, false, &opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	made, err := mkdirs(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			removeMade(dir, made)
		}
	}()
	var o outputs
	defer o.abort()
	var w LoadFiles
	for _, f := range []struct {
		w    *io.Writer
		name string
	}{
		{&w.Kernel, InsKernelName}, {&w.Initrd, InsInitrdName}, {&w.Parmfile, InsParmfileName},
		{&w.AddrSize, InsAddrSizeName}, {&w.Ins, InsFileName},
	} {
		file, err := o.create(filepath.Join(dir, f.name), src.inputs())
		if err != nil {
			return nil, err
		}
		*f.w = file
	}
	r, size := src.ramdiskStream()
	l, err := WriteLoadFiles(w, src.kernel.f, src.kernel.size, r, size, opts)
	if err != nil {
		return nil, err
	}
	return l, o.commit()
}

// mkdirs creates dir and its missing parents, and returns the topmost
// folder it created ("" when dir existed), so that a failure can take
// them away again (removeMade): a refused --ins leaves nothing behind.
func mkdirs(dir string) (made string, err error) {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		made = d
		if filepath.Dir(d) == d {
			break
		}
	}
	return made, os.MkdirAll(dir, 0o755)
}

// removeMade removes the folders from dir up to made, which mkdirs
// created, if they are still empty.
func removeMade(dir, made string) {
	if made == "" {
		return
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == made || filepath.Dir(d) == d {
			return
		}
	}
}

func (o *Options) stdout() io.Writer {
	if o.Stdout == nil {
		return os.Stdout
	}
	return o.Stdout
}

// input is an opened input file.
type input struct {
	name string
	f    *os.File    // nil for a stream that is not a file
	fi   fs.FileInfo // nil for a stream that is not a file
	r    io.Reader
	size int64 // UnknownSize for pipes
}

func (in *input) Close() {
	if in.f != nil && in.f != os.Stdin {
		in.f.Close()
	}
}

// sources are the opened inputs of BuildFile and WriteLoadDir: a kernel
// and an optional ramdisk.
type sources struct {
	kernel  *input
	ramdisk *input // nil when none is given
}

// openSources opens kernel and, unless it is "", ramdisk (with needSize as
// openRamdisk takes it), and names both in opts for errors.
func openSources(kernel, ramdisk string, needSize bool, opts *Options) (*sources, error) {
	opts.kernelName = "kernel " + kernel
	k, err := openKernelFile(kernel)
	if err != nil {
		return nil, err
	}
	src := &sources{kernel: k}
	if ramdisk != "" {
		rd, err := openRamdisk(ramdisk, needSize, *opts)
		if err != nil {
			k.Close()
			return nil, err
		}
		opts.ramdiskName = "ramdisk " + rd.name
		src.ramdisk = rd
	}
	return src, nil
}

func (s *sources) Close() {
	s.kernel.Close()
	if s.ramdisk != nil {
		s.ramdisk.Close()
	}
}

// inputs are the files no output may overwrite.
func (s *sources) inputs() []*input {
	if s.ramdisk == nil {
		return []*input{s.kernel}
	}
	return []*input{s.kernel, s.ramdisk}
}

// ramdiskStream gives the ramdisk as Build and WriteLoadFiles take it: a
// nil reader when there is none.
func (s *sources) ramdiskStream() (io.Reader, int64) {
	if s.ramdisk == nil {
		return nil, 0
	}
	return s.ramdisk.r, s.ramdisk.size
}

// openKernelFile opens an image or kernel, which must be a regular file:
// it is read at random offsets.
func openKernelFile(path string) (*input, error) {
	if path == StdioPath {
		return nil, errors.New("the kernel cannot come from standard input; only the ramdisk can")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("kernel: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("kernel %s: not a regular file (%v)", path, fi.Mode().Type())
	}
	return &input{name: path, f: f, fi: fi, r: f, size: fi.Size()}, nil
}

// openRamdisk opens a ramdisk: a regular file, a pipe or StdioPath. With
// needSize, a ramdisk whose size is unknown until its end is first copied
// to an unlinked temporary file, which keeps memory use flat.
func openRamdisk(path string, needSize bool, opts Options) (*input, error) {
	in := &input{name: path}
	if path == StdioPath {
		in.name = "standard input"
		in.r = opts.Stdin
		if in.r == nil {
			in.r = os.Stdin
		}
		in.f, _ = in.r.(*os.File)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("ramdisk: %w", err)
		}
		in.f, in.r = f, f
	}
	in.size = UnknownSize
	if in.f != nil {
		fi, err := in.f.Stat()
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("ramdisk %s: %w", in.name, err)
		}
		if fi.IsDir() {
			in.Close()
			return nil, fmt.Errorf("ramdisk %s: is a directory", in.name)
		}
		if fi.Mode().IsRegular() {
			in.fi = fi
			// Standard input redirected from a file may not start at 0.
			pos, err := in.f.Seek(0, io.SeekCurrent)
			if err != nil {
				pos = 0
			}
			in.size = fi.Size() - pos
		}
	}
	if in.size == 0 {
		in.Close()
		return nil, fmt.Errorf("ramdisk %s: %w", in.name, ErrEmpty)
	}
	if in.size == UnknownSize && needSize {
		if err := in.spool(); err != nil {
			in.Close()
			return nil, err
		}
	}
	return in, nil
}

// spool copies a stream to an unlinked temporary file to learn its size.
func (in *input) spool() error {
	f, err := os.CreateTemp("", "mks390image-ramdisk-*")
	if err != nil {
		return fmt.Errorf("ramdisk %s: spooling to a temporary file: %w", in.name, err)
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, in.r)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("ramdisk %s: spooling to a temporary file: %w", in.name, err)
	}
	if n == 0 {
		f.Close()
		return fmt.Errorf("ramdisk %s: %w", in.name, ErrEmpty)
	}
	in.Close()
	in.f, in.r, in.size = f, f, n
	return nil
}

// outputs are files written as a unit: each regular file goes to an
// atomicfile; commit syncs them all before it puts any in place, abort
// removes them.
type outputs struct {
	files []output
	done  bool
}

// output is one file of the set: a temporary file to put in place, or a
// device or FIFO written in place.
type output struct {
	tmp   *atomicfile.File // nil when written in place
	place *os.File
}

// outputMode is the permission of the files written.
const outputMode = 0o644

// create starts the output path, refusing one that names an input. An
// existing output that is not a regular file (a device, a FIFO) is
// written in place: renaming over it would replace it.
func (o *outputs) create(path string, inputs []*input) (*os.File, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("output %s is a directory", path)
	case err == nil:
		for _, in := range inputs {
			if in.fi != nil && os.SameFile(fi, in.fi) {
				return nil, fmt.Errorf("%w: output %s is the input %s", ErrOutputIsInput, path, in.name)
			}
		}
		if !fi.Mode().IsRegular() {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return nil, fmt.Errorf("output: %w", err)
			}
			o.files = append(o.files, output{place: f})
			return f, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("output: %w", err)
	}
	f, err := atomicfile.Create(path, outputMode)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	o.files = append(o.files, output{tmp: f})
	return f.File, nil
}

// commit makes every output visible under its name. The data of all is
// synced first, so that a full disk leaves none of them behind.
func (o *outputs) commit() error {
	for _, out := range o.files {
		if out.tmp == nil {
			continue
		}
		if err := out.tmp.Sync(); err != nil {
			return fmt.Errorf("output %s: %w", out.tmp.Name(), err)
		}
	}
	for _, out := range o.files {
		if out.tmp != nil {
			if err := out.tmp.Commit(); err != nil {
				return fmt.Errorf("output: %w", err)
			}
		} else if err := out.place.Close(); err != nil {
			return fmt.Errorf("output: %w", err)
		}
	}
	o.done = true
	return nil
}

// abort removes the temporary files of an uncommitted set.
func (o *outputs) abort() {
	if o.done {
		return
	}
	for _, out := range o.files {
		if out.tmp != nil {
			out.tmp.Abort()
		} else {
			out.place.Close()
		}
	}
}
