package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/s390netboot/s390netboot/internal/atomicfile"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/signedboot"
)

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
	f := newFlags("sign", signUsage)
	keyFile := f.StringP("key", "s", "", "minisign secret key `FILE`")
	comment := f.StringP("trusted-comment", "t", "", "trusted comment for every signature (default: timestamp and file name)")
	pwFile := f.String("password-file", "", "read the secret key's password from the first line of `FILE`")
	verbose := f.BoolP("verbose", "v", false, "name each file signed")
	if code, done := f.parse(args, stdout, stderr); done {
		return code
	}
	if *keyFile == "" || f.NArg() == 0 {
		return f.fail(stderr, "need --key SECRET.key and at least one TFTPDIR or FILE")
	}
	key, err := loadSecretKey(*keyFile, *pwFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
		return exitFail
	}
	files, err := signedboot.TreeFiles(*keyFile, f.Args())
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
		return exitFail
	}
	now := time.Now()
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
			return exitFail
		}
		if err := signedboot.SignFile(key, file, *comment, now); err != nil {
			fmt.Fprintf(stderr, "pxeboot sign: %v\n", err)
			return exitFail
		}
		if *verbose {
			fmt.Fprintf(stdout, "signed %s\n", file.Path)
		}
	}
	fmt.Fprintf(stdout, "signed %d files with key %s\n", len(files), key.ID)
	return exitOK
}

// writeKey writes a key file atomically; without replace an existing
// name is an error.
func writeKey(name string, data []byte, mode os.FileMode, replace bool) error {
	if !replace {
		if _, err := os.Lstat(name); err == nil {
			return fmt.Errorf("%s exists (use -f to replace it)", name)
		}
	}
	return atomicfile.WriteFile(name, data, mode)
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
	flags := newFlags("keygen", keygenUsage)
	pubFile := flags.StringP("public", "p", "", "write the public key to `FILE`")
	secFile := flags.StringP("secret", "s", "", "write the secret key to `FILE`")
	noPassword := flags.BoolP("no-password", "W", false, "leave the secret key unencrypted")
	pwFile := flags.String("password-file", "", "encrypt with the password on the first line of `FILE`")
	force := flags.BoolP("force", "f", false, "replace existing key files")
	if code, done := flags.parse(args, stdout, stderr); done {
		return code
	}
	if *pubFile == "" || *secFile == "" || flags.NArg() > 0 {
		return flags.fail(stderr, "need -p KEY.pub and -s KEY.key and no other arguments")
	}
	if *noPassword && *pwFile != "" {
		return flags.fail(stderr, "--no-password and --password-file exclude each other")
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
		err = writeKey(*secFile, sec, 0o600, *force)
	}
	if err == nil {
		err = writeKey(*pubFile, key.Public().Encode(), 0o644, *force)
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

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// readPassword reads a line from the terminal f with echo off.
func readPassword(f *os.File, stderr io.Writer) ([]byte, error) {
	pw, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr) // the user's Enter was not echoed
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	return pw, nil
}
