package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/pxeclient"
)

// sourceFlags say where the boot server's files are: a local copy of the
// TFTP root (--root, plan only) or the server itself (--url).
type sourceFlags struct {
	root, url string
}

func (s *sourceFlags) register(fs *pflag.FlagSet, root bool) {
	if root {
		fs.StringVar(&s.root, "root", "", "local TFTP root directory (works offline)")
	}
	fs.StringVar(&s.url, "url", "", "boot server: tftp://HOST[:PORT]/ or http(s)://HOST/PATH/ (its TFTP root)")
}

// errNoSource: neither --root nor --url.
var errNoSource = errors.New("give --root TFTPDIR or --url tftp://HOST/ | http(s)://HOST/PATH/")

// source checks the flags; the zero Source (errNoSource) when none is
// given.
func (s *sourceFlags) source() (pxeclient.Source, error) {
	switch {
	case s.root != "" && s.url != "":
		return pxeclient.Source{}, errors.New("give --root or --url, not both")
	case s.root != "":
		src, err := pxeclient.DirSource(s.root)
		if err != nil {
			return src, fmt.Errorf("--root: %w", err)
		}
		return src, nil
	case s.url != "":
		src, err := pxeclient.ParseSource(s.url)
		if err != nil {
			return src, fmt.Errorf("--url: %w", err)
		}
		return src, nil
	}
	return pxeclient.Source{}, errNoSource
}
