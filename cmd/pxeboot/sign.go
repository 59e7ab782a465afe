package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/s390netboot/s390netboot/internal/minisign"
)

func init() {
	commands["sign"] = command{summary: "sign the files of a TFTP tree for signed boot (NAME.minisig)", run: runSign}
	commands["keygen"] = command{summary: "make a minisign key pair for pxeboot sign", run: runKeygen}
}

const signUsage = `usage: pxeboot sign --key SECRET.key [--trusted-comment T] [--password-file F] TFTPDIR|FILE...

Signs every regular file under each TFTPDIR (configs, what they include,
kernels, initrds; everything but *.minisig) and each FILE, writing
NAME.minisig next to it: minisign's format, prehashed, verifiable with
minisign -Vm NAME -p KEY.pub. A netboot ramdisk built with
mkpxeramfs --trust-key KEY.pub boots only files signed this way.

The key is a minisign secret key (pxeboot keygen, or minisign -G). An
encrypted key's password comes from --password-file (its first line) or,
when stdin is a terminal, a prompt. The trusted comment defaults to
"timestamp:UNIX<TAB>file:PATH<TAB>hashed", PATH relative to TFTPDIR.
`

const keygenUsage = `usage: pxeboot keygen -p KEY.pub -s KEY.key [--no-password | --password-file F] [-f]

Makes a minisign key pair (the same files as minisign -G): KEY.pub goes
into the ramdisk (mkpxeramfs --trust-key KEY.pub), KEY.key signs
(pxeboot sign --key KEY.key, or minisign -S -s KEY.key). The secret key
is encrypted with a password (scrypt, as minisign does: 1 GiB, a few
seconds) unless --no-password; the password comes from --password-file
or is asked twice on the terminal.
`

// keygenKDF is the scrypt cost of new keys; tests lower it.
var keygenKDF = minisign.DefaultKDF

// stdin is where passwords are asked; tests replace it.
var stdin = os.Stdin

func runSign(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := pflag.NewFlagSet("pxeboot sign", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	keyFile := flags.StringP("key", "s", "", "minisign secret key `FILE`")
	comment := flags.StringP("trusted-comment", "t", "", "trusted comment for every signature (default: timestamp and file name)")
	pwFile := flags.String("password-file", "", "read the secret key's password from the first line of `FILE`")
	verbose := flags.BoolP("verbose", "v", false, "name each file signed")
	flags.Usage = func() {
		fmt.Fprint(stderr, signUsage, "\nflags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *keyFile == "" || flags.NArg() == 0 {
		fmt.Fprintln(stderr, "pxeboot sign: need --key SECRET.key and at least one TFTPDIR or FILE")
		return exitUsage
	}
	key, err := loadSecretKey(*keyFile, *pwFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
		return exitFail
	}
	targets, err := signTargets(*keyFile, flags.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
		return exitFail
	}
	now := time.Now()
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
			return exitFail
		}
		tc := *comment
		if tc == "" {
			tc = minisign.DefaultTrustedComment(t.name, now)
		}
		if err := signFile(key, t.path, tc); err != nil {
			fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
			return exitFail
		}
		if *verbose {
			fmt.Fprintf(stdout, "signed %s\n", t.path)
		}
	}
	fmt.Fprintf(stdout, "signed %d files with key %s\n", len(targets), key.ID)
	return exitOK
}

// A signTarget is a file to sign: its path and the name the trusted
// comment gives it.
type signTarget struct{ path, name string }

// signTargets lists the files to sign under args. It refuses to sign a
// tree that holds the secret key itself: the TFTP server would hand it
// to anyone who asks.
func signTargets(keyFile string, args []string) ([]signTarget, error) {
	keyInfo, err := os.Stat(keyFile)
	if err != nil {
		return nil, err
	}
	var out []signTarget
	add := func(path, name string, fi fs.FileInfo) error {
		if os.SameFile(fi, keyInfo) {
			return fmt.Errorf("%s is the secret key: keep it out of the TFTP tree, the server gives files to anyone", path)
		}
		out = append(out, signTarget{path, name})
		return nil
	}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("%s: not a regular file or directory", arg)
			}
			if strings.HasSuffix(arg, minisign.SigSuffix) {
				return nil, fmt.Errorf("%s: is a signature itself", arg)
			}
			if err := add(arg, filepath.Base(arg), fi); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || strings.HasSuffix(d.Name(), minisign.SigSuffix) {
				return nil
			}
			fi, err := os.Stat(path) // follows symlinks, as TFTP servers do
			if err != nil {
				if d.Type()&fs.ModeSymlink != 0 {
					return nil // a dangling link: nothing a server could send
				}
				return err
			}
			if !fi.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(arg, path)
			if err != nil {
				return err
			}
			return add(path, filepath.ToSlash(rel), fi)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// signFile writes path.minisig atomically: a temporary file in the same
// directory, synced, then renamed over the old signature.
func signFile(key *minisign.PrivateKey, path, tc string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	sig, err := key.SignReader(f, tc)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeAtomic(path+minisign.SigSuffix, sig.Encode(), 0o644, true)
}

// writeAtomic writes data to name through a temporary file and a rename,
// so readers see the old file or the whole new one. With replace false
// an existing name is an error.
func writeAtomic(name string, data []byte, mode os.FileMode, replace bool) (err error) {
	if !replace {
		if _, err := os.Lstat(name); err == nil {
			return fmt.Errorf("%s exists (use -f to replace it)", name)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err = os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	return nil
}

// loadSecretKey reads and, when encrypted, decrypts a secret key.
func loadSecretKey(keyFile, pwFile string, stderr io.Writer) (*minisign.PrivateKey, error) {
	data, err := readLimited(keyFile, minisign.MaxKeyFileSize)
	if err != nil {
		return nil, err
	}
	k, err := minisign.ParsePrivateKey(data, func() ([]byte, error) {
		if pwFile != "" {
			return readPasswordFile(pwFile)
		}
		if !isTerminal(stdin) {
			return nil, errors.New("stdin is not a terminal: give --password-file FILE")
		}
		fmt.Fprintf(stderr, "Password for %s: ", keyFile)
		return readPassword(stdin, stderr)
	})
	if err != nil {
		return nil, fmt.Errorf("secret key %s: %w", keyFile, err)
	}
	return k, nil
}

func runKeygen(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := pflag.NewFlagSet("pxeboot keygen", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	pubFile := flags.StringP("public", "p", "", "write the public key to `FILE`")
	secFile := flags.StringP("secret", "s", "", "write the secret key to `FILE`")
	noPassword := flags.BoolP("no-password", "W", false, "leave the secret key unencrypted")
	pwFile := flags.String("password-file", "", "encrypt with the password on the first line of `FILE`")
	force := flags.BoolP("force", "f", false, "replace existing key files")
	flags.Usage = func() {
		fmt.Fprint(stderr, keygenUsage, "\nflags:\n")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *pubFile == "" || *secFile == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "pxeboot keygen: need -p KEY.pub and -s KEY.key and no other arguments")
		return exitUsage
	}
	if *noPassword && *pwFile != "" {
		fmt.Fprintln(stderr, "pxeboot keygen: --no-password and --password-file exclude each other")
		return exitUsage
	}
	if !*force {
		for _, f := range []string{*pubFile, *secFile} {
			if _, err := os.Lstat(f); err == nil {
				fmt.Fprintf(stderr, "pxeboot keygen: %s exists (use -f to replace it)\n", f)
				return exitFail
			}
		}
	}
	var password []byte
	var err error
	switch {
	case *noPassword:
	case *pwFile != "":
		password, err = readPasswordFile(*pwFile)
	case isTerminal(stdin):
		password, err = askNewPassword(stderr)
	default:
		err = errors.New("stdin is not a terminal: give --password-file FILE or --no-password")
	}
	if err == nil && password != nil && len(password) == 0 {
		err = errors.New("empty password: use --no-password for an unencrypted key")
	}
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot keygen: %v\n", err)
		return exitFail
	}
	key, err := minisign.GenerateKey(nil)
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot keygen: %v\n", err)
		return exitFail
	}
	sec, err := key.Encode("", password, keygenKDF, nil)
	if err == nil {
		err = writeAtomic(*secFile, sec, 0o600, *force)
	}
	if err == nil {
		err = writeAtomic(*pubFile, key.Public().Encode(), 0o644, *force)
	}
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot keygen: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "key %s: public key %s (for mkpxeramfs --trust-key), secret key %s (for pxeboot sign --key)\n", key.ID, *pubFile, *secFile)
	return exitOK
}

// readPasswordFile gives the first line of name without its line end.
func readPasswordFile(name string) ([]byte, error) {
	data, err := readLimited(name, 4096)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r")), nil
}

// readLimited reads a small file, refusing one over max bytes.
func readLimited(name string, max int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > max {
		return nil, fmt.Errorf("%s: more than %d bytes", name, max)
	}
	return data, nil
}

func askNewPassword(stderr io.Writer) ([]byte, error) {
	fmt.Fprint(stderr, "Password for the new secret key: ")
	pw, err := readPassword(stdin, stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(stderr, "Password (again): ")
	again, err := readPassword(stdin, stderr)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pw, again) {
		return nil, errors.New("the passwords differ")
	}
	return pw, nil
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// readPassword reads a line from the terminal f with echo off.
func readPassword(f *os.File, stderr io.Writer) ([]byte, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	defer func() {
		unix.IoctlSetTermios(fd, unix.TCSETS, old)
		fmt.Fprintln(stderr)
	}()
	line, err := bufio.NewReader(f).ReadBytes('\n')
	if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	return bytes.TrimRight(line, "\r\n"), nil
}
