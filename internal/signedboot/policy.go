package signedboot

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/s390netboot/s390netboot/internal/logging"
	"github.com/s390netboot/s390netboot/internal/minisign"
	"github.com/s390netboot/s390netboot/pxeclient/fetch"
	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// Policy is the signed-boot rule of a client, one of three: off (the
// zero value: files are taken as fetched), on with a trusted key (On:
// every file needs a valid NAME.minisig by it), or refusing (Refuse: a
// trusted key was meant to be there but cannot be used, so every file is
// refused with that reason: fail closed).
type Policy struct {
	key    *minisign.PublicKey
	refuse error
}

// On is signed boot with key.
func On(key *minisign.PublicKey) Policy { return Policy{key: key} }

// Refuse is signed boot that refuses every file because of why.
func Refuse(why error) Policy { return Policy{refuse: why} }

// LoadPolicy reads the trusted key at path: no file is Off (signed boot
// is not wanted), a key is On, and a file that cannot be read or parsed
// is Refuse with the reason.
func LoadPolicy(path string) Policy {
	key, err := LoadKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Policy{}
	case err != nil:
		return Refuse(err)
	}
	return On(key)
}

// Enabled reports whether the policy is on or refusing: every file is
// checked, and typed kernel options are refused.
func (p Policy) Enabled() bool { return p.key != nil || p.refuse != nil }

// Key is the trusted key (nil when off or refusing).
func (p Policy) Key() *minisign.PublicKey { return p.key }

// Err is why the policy refuses every file (nil when it does not).
func (p Policy) Err() error { return p.refuse }

// String says what the policy is, for the log.
func (p Policy) String() string {
	switch {
	case p.refuse != nil:
		return "signed boot: refusing every file: " + p.refuse.Error()
	case p.key != nil:
		return "signed boot: configs, kernels and initrds need a signature by key " + p.key.ID.String()
	}
	return "signed boot off"
}

// Opener wraps next by the policy: unchanged when off, checking
// signatures when on (the package-level Opener), refusing every file when
// refusing. log (nil: none) gets a debug line per verified file.
func (p Policy) Opener(next pxelinux.Opener, log *slog.Logger) pxelinux.Opener {
	switch {
	case p.refuse != nil:
		return pxelinux.OpenerFunc(func(ctx context.Context, path pxelinux.Path) ([]byte, error) {
			return nil, fmt.Errorf("signed boot: refusing %s: %w", path, p.refuse)
		})
	case p.key != nil:
		return Opener(p.key, next, log)
	}
	return next
}

// ErrLocal: the file is on one of the machine's disks (a file:// URL).
// Under signed boot such files are refused even when a NAME.minisig lies
// next to them: the config that names them (grub.cfg, a BLS entry,
// extlinux.conf) and the command line in it carry no signature.
var ErrLocal = errors.New("files on a local disk carry no signature: their configs and command lines are not signed")

// LocalRefused is why entries found on the machine's disks cannot boot
// under p: nil when signed boot is off, else an error matching ErrLocal
// (the local boot source lists such entries with it as their reason).
func (p Policy) LocalRefused() error {
	if !p.Enabled() {
		return nil
	}
	return fmt.Errorf("refused by signed boot: %w", ErrLocal)
}

// FetchAll fetches urls with f by the policy: f.FetchAll when off, the
// package-level FetchAll (file and signature) when on, and an error
// naming the first URL when refusing. A local file (file://) is refused
// whenever signed boot is enabled (ErrLocal).
func (p Policy) FetchAll(ctx context.Context, f *fetch.Fetcher, urls []string, log *slog.Logger) ([]*fetch.File, error) {
	if p.Enabled() {
		for _, u := range urls {
			if fetch.IsLocal(u) {
				return nil, &Error{Name: u, Err: ErrLocal}
			}
		}
	}
	switch {
	case p.refuse != nil:
		return nil, fmt.Errorf("signed boot: refusing %s: %w", urls[0], p.refuse)
	case p.key != nil:
		return FetchAll(ctx, f, p.key, urls, logging.Or(log))
	}
	return f.FetchAll(ctx, urls)
}
