// Package signedboot is the signed boot of the netboot client: when the
// ramdisk holds a trusted minisign public key ([TrustedKeyPath], put there
// by `mkpxeramfs --trust-key FILE`), every file the client reads from the
// boot server — configs and what they include or display, kernels,
// initrds — is accepted only with a valid detached signature NAME.minisig
// next to it, made with that key (`pxeboot sign`, or `minisign -S`).
//
// The client holds it as one value, a [Policy]: off (no key in the
// ramdisk), on with the key, or refusing every file with the reason the
// key could not be used (fail closed):
//
//	policy := signedboot.LoadPolicy(signedboot.TrustedKeyPath)
//	p := &pxelinux.Parser{Opener: policy.Opener(fetchOpener, logger), Logger: logger} // configs, INCLUDE, DISPLAY
//	...
//	files, err := policy.FetchAll(ctx, fetcher, urls, logger) // kernel, initrds
//
// Under signed boot the boot flow also refuses kernel options typed at
// the console (bootmenu.Menu.Locked): the command line is signed as part
// of the config, unless the config says ALLOWOPTIONS 1.
//
// The producer's side is here too, so both use one naming rule (SigName):
// TreeFiles lists the files of a TFTP tree and SignFile writes each one's
// NAME.minisig (`pxeboot sign`). A client that fetched a file and its
// signature itself calls [Check].
// Every refusal is an [*Error] naming the file; it matches [ErrUnsigned]
// (no NAME.minisig on the server), [ErrBadSignature] (a signature that
// does not verify, or one made with another key) or [ErrLocal] (a file
// on one of the machine's disks, see Policy.LocalRefused) under
// errors.Is, never fs.ErrNotExist, so the PXELINUX config lookup stops at
// a config whose signature is missing instead of falling through to the
// next name.
//
// # Security
//
// A signature is fetched from the same untrusted server as its file and
// parsed by package minisign, which bounds and checks it as hostile input
// (see its Security section). A file is returned only after both its
// signature and the trusted comment's signature verified with the trusted
// key. A missing file (fs.ErrNotExist from the underlying opener) is passed
// through unchanged — its absence is not something a signature can vouch
// for, and the PXELINUX lookup depends on it — so an attacker can make a
// machine fall back from its own config to a more general one (01-MAC to
// default) that is signed too: sign only configs every machine may boot,
// and remove old ones. Signatures bind content, not names: a validly
// signed file can be served under another signed file's name. The command
// line is covered because it is in the signed config.
package signedboot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/internal/modload"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// TrustedKeyPath is where the netboot ramdisk keeps the trusted public
// key (minisign format); mkpxeramfs --trust-key puts it there. The
// ramdisk's layout is written once, in package modload.
const TrustedKeyPath = modload.TrustedKey

var (
	// ErrUnsigned: the server has no signature for the file.
	ErrUnsigned = errors.New("no signature")
	// ErrBadSignature: the signature does not verify with the trusted
	// key (tampered file or trusted comment, another key, a malformed
	// signature file). The minisign error is wrapped too.
	ErrBadSignature = errors.New("bad signature")
)

// Error is a refused file.
type Error struct {
	// Name is the file as asked for (a PXELINUX path or a URL).
	Name string
	// Err is ErrUnsigned, ErrBadSignature or ErrLocal.
	Err error
	// Cause says why: the fetch error of the signature for ErrUnsigned
	// (shown, but not wrapped, so it does not match fs.ErrNotExist), the
	// minisign error for ErrBadSignature (wrapped).
	Cause error
}

func (e *Error) Error() string {
	if e.Cause == nil {
		return fmt.Sprintf("%s: refused by signed boot: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("%s: refused by signed boot: %v: %v", e.Name, e.Err, e.Cause)
}

// Unwrap gives Err, and Cause for ErrBadSignature.
func (e *Error) Unwrap() []error {
	if e.Err == ErrUnsigned || e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// LoadKey reads a trusted public key file. A missing file gives an
// error matching fs.ErrNotExist.
func LoadKey(path string) (*minisign.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trusted key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, minisign.MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("trusted key %s: %w", path, err)
	}
	k, err := minisign.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("trusted key %s: %w", path, err)
	}
	return k, nil
}

// SigName gives the name of the signature of a file named by a path or
// URL: NAME.minisig, with the suffix before a URL's query or fragment
// ("http://h/k?x=1" gives "http://h/k.minisig?x=1").
func SigName(name string) string {
	i := strings.IndexAny(name, "?#")
	if i < 0 || !strings.Contains(name, "://") {
		return name + minisign.SigSuffix
	}
	return name[:i] + minisign.SigSuffix + name[i:]
}

// SigPath is SigName for a PXELINUX path.
func SigPath(p pxelinux.Path) pxelinux.Path {
	if p.URL != "" {
		p.URL = SigName(p.URL)
	} else {
		p.Name += minisign.SigSuffix
	}
	return p
}

// Check verifies that sig (the content of NAME.minisig; nil when the
// server had none) is a valid signature of data by key. name is only
// used in errors and logs. On success it returns the signature, whose
// TrustedComment can be shown.
func Check(key *minisign.PublicKey, name string, data, sig []byte) (*minisign.Signature, error) {
	if sig == nil {
		return nil, &Error{Name: name, Err: ErrUnsigned, Cause: fmt.Errorf("%s not found", SigName(name))}
	}
	s, err := minisign.Verify(key, data, sig)
	if err != nil {
		return nil, &Error{Name: name, Err: ErrBadSignature, Cause: err}
	}
	return s, nil
}

// Opener wraps next so that it returns a file only when NAME.minisig,
// fetched through next as well, is a valid signature of it by key. A
// file that does not exist gives next's error unchanged; a missing
// signature gives ErrUnsigned; any other failure to fetch the signature
// is returned as it is (wrapped, naming the signature). log (nil: none)
// gets one debug line per verified file with its trusted comment.
func Opener(key *minisign.PublicKey, next pxelinux.Opener, log *slog.Logger) pxelinux.Opener {
	log = logging.Or(log)
	return pxelinux.OpenerFunc(func(ctx context.Context, p pxelinux.Path) ([]byte, error) {
		data, err := next.Open(ctx, p)
		if err != nil {
			return nil, err
		}
		sp := SigPath(p)
		sig, err := next.Open(ctx, sp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, &Error{Name: p.String(), Err: ErrUnsigned, Cause: err}
		case err != nil:
			return nil, fmt.Errorf("%s: signature %s: %w", p, sp, err)
		}
		s, err := Check(key, p.String(), data, sig)
		if err != nil {
			return nil, err
		}
		log.Debug("signature verified", "file", p.String(), "key", key.ID.String(), "trusted_comment", s.TrustedComment)
		return data, nil
	})
}

// FetchAll is [fetch.Fetcher.FetchAll] for signed files: it fetches urls
// and their signatures (SigName) together and returns files[i] only when
// its signature verified with key. Like FetchAll, files[i] is nil for a
// file that failed and err joins one error per failed file: the
// *fetch.Error of the file or its signature, or an [*Error] (ErrUnsigned,
// ErrBadSignature). log (nil: none) gets a debug line per verified file.
func FetchAll(ctx context.Context, f *fetch.Fetcher, key *minisign.PublicKey, urls []string, log *slog.Logger) ([]*fetch.File, error) {
	log = logging.Or(log)
	all := make([]string, 0, 2*len(urls))
	all = append(all, urls...)
	for _, u := range urls {
		all = append(all, SigName(u))
	}
	got, err := f.FetchAll(ctx, all)
	fetchErr := map[string]error{}
	if err != nil {
		var list []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		} else {
			list = []error{err}
		}
		for _, e := range list {
			var fe *fetch.Error
			if errors.As(e, &fe) {
				fetchErr[fe.URL] = e
			}
		}
	}
	files := make([]*fetch.File, len(urls))
	var errs []error
	for i, u := range urls {
		file, sigFile := got[i], got[len(urls)+i]
		if file == nil {
			errs = append(errs, orUnknown(fetchErr[u], u))
			continue
		}
		var sig []byte
		if sigFile != nil {
			sig = sigFile.Data
		} else if e := fetchErr[SigName(u)]; !errors.Is(e, fetch.ErrNotFound) {
			errs = append(errs, orUnknown(e, SigName(u)))
			continue
		} else {
			errs = append(errs, &Error{Name: u, Err: ErrUnsigned, Cause: e})
			continue
		}
		s, err := Check(key, u, file.Data, sig)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		log.Debug("signature verified", "file", u, "key", key.ID.String(), "trusted_comment", s.TrustedComment)
		files[i] = file
	}
	return files, errors.Join(errs...)
}

// orUnknown never lets a failed file go without an error.
func orUnknown(err error, u string) error {
	if err == nil {
		return fmt.Errorf("fetch %s: failed without an error", u)
	}
	return err
}
