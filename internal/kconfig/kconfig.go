// Package kconfig reads a Linux kernel's build configuration: the
// config-VERSION file distributions install next to vmlinuz (a copy of the
// build's .config), or the copy a kernel built with CONFIG_IKCONFIG embeds
// in itself.
//
//	cfg, err := kconfig.ReadFile("/boot/config-6.1.0-50-s390x")
//	if err == nil && !cfg.Enabled("CONFIG_KEXEC_FILE") { ... }
//
// # Security
//
// Parse reads lines of at most maxLine bytes and keeps at most maxOptions
// options. FromImage decompresses at most maxInflated bytes from each
// candidate stream in a kernel image and at most maxConfig bytes of the
// embedded configuration. Neither panics on any input (FuzzParse,
// FuzzFromImage).
package kconfig

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/s390netboot/s390netboot/internal/compression"
)

// Bounds of what Parse and FromImage read.
const (
	maxLine     = 64 << 10
	maxOptions  = 100000 // a distribution config has about 10000 lines
	maxConfig   = 4 << 20
	maxInflated = 256 << 20 // an uncompressed kernel is well under it
	// maxCandidates bounds the compressed streams FromImage tries.
	maxCandidates = 16
)

// The markers around the gzip-compressed configuration CONFIG_IKCONFIG
// puts in the kernel (kernel/configs.c, kernel_config_data), and the
// marker a config file's lines start with.
const (
	ikconfigStart = "IKCFG_ST"
	ikconfigEnd   = "IKCFG_ED"
	optionPrefix  = "CONFIG_"
)

// ErrNoIKConfig reports a kernel image with no embedded configuration
// (built without CONFIG_IKCONFIG, or compressed in a way FromImage cannot
// undo).
var ErrNoIKConfig = errors.New("no embedded kernel configuration (CONFIG_IKCONFIG)")

// Config is a kernel configuration: the options set, with their values.
type Config struct {
	// Source names where it came from: a file, or "the IKCONFIG of FILE".
	Source  string
	options map[string]string
}

// Value returns the value of the option name ("CONFIG_KEXEC"): "y", "m",
// a number or a quoted string; "" when it is not set.
func (c *Config) Value(name string) string { return c.options[name] }

// Enabled reports whether the option name is built in or a module.
func (c *Config) Enabled(name string) bool {
	v := c.options[name]
	return v == "y" || v == "m"
}

// Len returns the number of options set.
func (c *Config) Len() int { return len(c.options) }

// Parse reads a configuration in the .config format: "CONFIG_NAME=value"
// lines, "# CONFIG_NAME is not set" and other comments, blank lines. A line
// of another form is an error naming it; a file without a single option is
// too (it is not a kernel configuration).
func Parse(r io.Reader, source string) (*Config, error) {
	c := &Config{Source: source, options: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLine)
	n, notSet := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if strings.HasPrefix(line, "# "+optionPrefix) && strings.HasSuffix(line, " is not set") {
				notSet++
			}
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, optionPrefix) || len(name) == len(optionPrefix) {
			return nil, fmt.Errorf("%s: line %d %.60q: not a kernel configuration line (CONFIG_NAME=value)", source, n, line)
		}
		if len(c.options) >= maxOptions {
			return nil, fmt.Errorf("%s: more than %d options", source, maxOptions)
		}
		c.options[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(c.options) == 0 && notSet == 0 {
		return nil, fmt.Errorf("%s: no CONFIG_ option in it: not a kernel configuration", source)
	}
	return c, nil
}

// ReadFile parses the configuration file path.
func ReadFile(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// FromImage returns the configuration embedded in the kernel image in
// data (a vmlinux, an Image, or a self-decompressing vmlinuz/bzImage): it
// looks for the IKCFG_ST marker in data and, as the kernel's
// scripts/extract-ikconfig does, in every gzip, xz or zstd stream found
// in it. source names the image in messages.
func FromImage(data []byte, source string) (*Config, error) {
	// The markers may also turn up in compressed data, with the bytes
	// after them mangled: a failure is remembered, and the search goes on.
	var firstErr error
	try := func(b []byte) *Config {
		c, ok := findIKConfig(b, source)
		if !ok {
			return nil
		}
		cfg, err := c()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return cfg
	}
	if cfg := try(data); cfg != nil {
		return cfg, nil
	}
	tried := 0
	for _, f := range []compression.Format{compression.Gzip, compression.XZ, compression.Zstd} {
		magic := []byte(f.Magic)
		for off := 0; tried < maxCandidates; off++ {
			i := bytes.Index(data[off:], magic)
			if i < 0 {
				break
			}
			off += i
			tried++
			// A stream cut short may still hold the configuration.
			if inflated, _ := inflate(f, data[off:]); len(inflated) > 0 {
				if cfg := try(inflated); cfg != nil {
					return cfg, nil
				}
			}
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, fmt.Errorf("%s: %w", source, ErrNoIKConfig)
}

// findIKConfig looks for the embedded configuration in b.
func findIKConfig(b []byte, source string) (func() (*Config, error), bool) {
	i := bytes.Index(b, []byte(ikconfigStart))
	if i < 0 {
		return nil, false
	}
	body := b[i+len(ikconfigStart):]
	if j := bytes.Index(body, []byte(ikconfigEnd)); j >= 0 {
		body = body[:j]
	}
	return func() (*Config, error) {
		src := "the IKCONFIG of " + source
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		zr.Multistream(false)
		text, err := io.ReadAll(io.LimitReader(zr, maxConfig+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if len(text) > maxConfig {
			return nil, fmt.Errorf("%s: more than %d bytes", src, maxConfig)
		}
		return Parse(bytes.NewReader(text), src)
	}, true
}

// inflate decompresses the stream of format f at the start of b, at most
// maxInflated bytes; on an error it returns what it got so far.
func inflate(f compression.Format, b []byte) ([]byte, error) {
	var r io.Reader
	switch f {
	case compression.Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		zr.Multistream(false)
		r = zr
	case compression.XZ:
		xr, err := xz.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		r = xr
	case compression.Zstd:
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxInflated))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("no decompressor for %s", f.Name)
	}
	var out bytes.Buffer
	_, err := io.Copy(&out, io.LimitReader(r, maxInflated))
	return out.Bytes(), err
}
