package bls

import (
	"errors"
	"testing"
	"time"
)

func TestParseLoaderConf(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		want       LoaderConf
		warns      []error
	}{
		{name: "empty: systemd-boot's defaults", want: LoaderConf{Mode: MenuHidden, Editor: true}},
		{name: "Arch wiki", data: "default  arch.conf\ntimeout  4\nconsole-mode max\neditor   no\n",
			want: LoaderConf{Default: "arch.conf", DefaultLine: 1, Timeout: 4 * time.Second, Mode: MenuTimeout, TimeoutLine: 2, EditorSet: true, EditorLine: 4}},
		{name: "loader.conf(5) example", data: "# /boot/efi/loader/loader.conf\ntimeout 0\ndefault 01234567890abcdef1234567890abdf0-*\neditor no\n",
			want: LoaderConf{Default: "01234567890abcdef1234567890abdf0-*", DefaultLine: 3, Mode: MenuHidden, TimeoutLine: 2, EditorSet: true, EditorLine: 4}},
		{name: "menu-force", data: "timeout menu-force\n", want: LoaderConf{Mode: MenuForce, TimeoutLine: 1, Editor: true}},
		{name: "menu-disabled", data: "timeout menu-disabled\n", want: LoaderConf{Mode: MenuDisabled, TimeoutLine: 1, Editor: true}},
		{name: "huge timeout is capped", data: "timeout 99999999999999999999999\n",
			want: LoaderConf{Mode: MenuTimeout, Timeout: maxTimeoutSeconds * time.Second, TimeoutLine: 1, Editor: true}},
		{name: "bad values keep the defaults", data: "timeout soon\neditor maybe\ndefault\n",
			want: LoaderConf{Mode: MenuHidden, Editor: true}, warns: []error{ErrBadValue, ErrBadValue, ErrNoValue}},
		{name: "systemd-boot's own keys are ignored, unknown ones warned", data: "beep yes\nauto-entries no\nsecure-boot-enroll manual\nreboot-for-bitlocker yes\nfoo bar\n",
			want: LoaderConf{Mode: MenuHidden, Editor: true}, warns: []error{ErrUnknownKey}},
		{name: "binary", data: "timeout 3\n\x00", want: LoaderConf{Mode: MenuHidden, Editor: true}, warns: []error{ErrNotText}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, warns := ParseLoaderConf("loader/loader.conf", []byte(tt.data))
			tt.want.Path = "loader/loader.conf"
			if *c != tt.want {
				t.Errorf("ParseLoaderConf =\n%+v\nwant\n%+v", *c, tt.want)
			}
			checkWarnings(t, warns, tt.warns)
		})
	}
}

// TestMatch: loader.conf's glob on entry IDs.
func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, id string
		want        bool
	}{
		{"arch.conf", "arch.conf", true},
		{"arch.conf", "ARCH.CONF", true},
		{"arch", "arch.conf", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"01234567890abcdef1234567890abdf0-*", "01234567890abcdef1234567890abdf0-6.1.conf", true},
		{"*-6.?.conf", "fedora-6.8.conf", true},
		{"*-6.?.conf", "fedora-6.10.conf", false},
		{"*[0-9].conf", "fedora-6.8.conf", true},
		{"*[0-9].conf", "fedora-rescue.conf", false},
		{"[A-C]*", "beta", true},
		{"[!a]*", "!x", true}, // no negation: '!' is a member
		{"[abc", "[abc", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{"a*b*c*d", "aXbYcZd", true},
		{"a*b*c*d", "aXbYcZ", false},
		{"**a", "xa", true},
	} {
		if got := Match(tt.pattern, tt.id); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.id, got, tt.want)
		}
	}
}

func TestParseOSRelease(t *testing.T) {
	vars, warns := ParseOSRelease("os-release", []byte(`# comment
NAME="Fedora Linux"
VERSION="40 (Workstation Edition)"
ID=fedora
PRETTY_NAME="Fedora \"Linux\" \$40 \\ \q"
HOME_URL='https://fedoraproject.org/ "x"'
BARE=a\ b
EMPTY=
  SPACED=1
X=1 trailing"
bad line
9X=1
OPEN="no end
`))
	want := map[string]string{
		"NAME": "Fedora Linux", "VERSION": "40 (Workstation Edition)", "ID": "fedora",
		"PRETTY_NAME": `Fedora "Linux" $40 \ \q`, "HOME_URL": `https://fedoraproject.org/ "x"`,
		"BARE": "a b", "EMPTY": "", "SPACED": "1", "X": `1 trailing"`,
	}
	for k, v := range want {
		if vars[k] != v {
			t.Errorf("%s = %q, want %q", k, vars[k], v)
		}
	}
	if len(vars) != len(want) {
		t.Errorf("%d variables, want %d: %q", len(vars), len(want), vars)
	}
	checkWarnings(t, warns, []error{ErrOSRelease, ErrOSRelease, ErrOSRelease})
	var w *Warning
	if errors.As(warns[0], &w); w.Line != 11 {
		t.Errorf("first warning %v, want line 11", warns[0])
	}
}
