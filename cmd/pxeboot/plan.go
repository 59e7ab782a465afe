package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// maxConfigFollow bounds how many CONFIG entries plan follows when the
// unattended choice restarts with another config.
const maxConfigFollow = 8

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("pxeboot plan", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var lease leaseFlags
	var src sourceFlags
	lease.register(fs)
	src.register(fs)
	format := fs.String("format", "json", "output: json or text")
	verbose := fs.BoolP("verbose", "v", false, "log what the parser ignores")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: pxeboot plan --root TFTPDIR | --url tftp://HOST/ | --url http(s)://HOST/PATH/ [lease flags] [--format json|text]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pxeboot plan: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	if *format != "json" && *format != "text" {
		fmt.Fprintf(stderr, "pxeboot plan: --format %q: want json or text\n", *format)
		return exitUsage
	}
	facts, err := lease.facts()
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
		return exitUsage
	}
	opener, err := src.opener(pxelinux.DefaultMaxFileSize)
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
		return exitUsage
	}
	level := slog.LevelError
	if *verbose {
		level = slog.LevelDebug
	}
	p := &pxelinux.Parser{Opener: opener, Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	cfg, err := plan(ctx, p, facts)
	if err != nil {
		var nc *pxelinux.NoConfigError
		if errors.As(err, &nc) {
			fmt.Fprintf(stderr, "pxeboot plan: no config file found on %s; tried:\n", where(src))
			for _, t := range nc.Tried {
				fmt.Fprintf(stderr, "  %s\n", t)
			}
			return exitFail
		}
		fmt.Fprintf(stderr, "pxeboot plan: %v\n", err)
		return exitFail
	}
	if *format == "text" {
		err = pxelinux.WritePlan(stdout, cfg, facts)
	} else {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(pxelinux.NewPlan(cfg, facts))
	}
	if err != nil {
		fmt.Fprintf(stderr, "pxeboot plan: writing output: %v\n", err)
		return exitFail
	}
	return exitOK
}

// plan loads the config for facts and, as PXELINUX restarts with a new
// config when the unattended choice is a CONFIG entry, follows those.
func plan(ctx context.Context, p *pxelinux.Parser, facts pxelinux.Facts) (*pxelinux.Config, error) {
	cfg, err := p.Load(ctx, facts)
	if err != nil {
		return nil, err
	}
	for range maxConfigFollow {
		a := cfg.Autoboot()
		if a.Entry == nil || a.Entry.Kind != pxelinux.KindConfig || a.Forever {
			return cfg, nil
		}
		cfg, err = p.Follow(ctx, cfg, a.Entry)
		if err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("more than %d CONFIG restarts, last %s", maxConfigFollow, cfg.Source)
}

func where(s sourceFlags) string {
	if s.root != "" {
		return s.root
	}
	return s.url
}
