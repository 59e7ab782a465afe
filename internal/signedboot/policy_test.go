package signedboot

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/s390netboot/s390netboot/pxeclient/fetch"
)

// TestPolicyLocal: files on a local disk are read when signed boot is
// off, and refused when it is on or refusing, even with a valid
// NAME.minisig next to them (the config naming them is not signed).
func TestPolicyLocal(t *testing.T) {
	k := newKey(t)
	dir := t.TempDir()
	for name, data := range signed(t, k, map[string]string{"vmlinuz": "kernel"}) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u := (&url.URL{Scheme: "file", Path: filepath.Join(dir, "vmlinuz")}).String()
	f := fetch.New(fetch.Options{})
	for _, tt := range []struct {
		name   string
		p      Policy
		refuse bool
	}{
		{"off", Policy{}, false},
		{"on", On(k.Public()), true},
		{"refusing", Refuse(errors.New("key unreadable")), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			why := tt.p.LocalRefused()
			files, err := tt.p.FetchAll(context.Background(), f, []string{u}, nil)
			if !tt.refuse {
				if why != nil || err != nil || string(files[0].Data) != "kernel" {
					t.Fatalf("LocalRefused %v, FetchAll %v, %v", why, files, err)
				}
				return
			}
			var se *Error
			if !errors.Is(why, ErrLocal) || !errors.Is(err, ErrLocal) || !errors.As(err, &se) || se.Name != u || files != nil {
				t.Errorf("LocalRefused %v; FetchAll %v, %v: want ErrLocal naming %s", why, files, err, u)
			}
		})
	}
}
