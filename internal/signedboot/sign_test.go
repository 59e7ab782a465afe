package signedboot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s390netboot/s390netboot/pxeclient/pxelinux"
)

// TestSignTree: the producer's side (TreeFiles, SignFile) writes the
// signatures where the consumer's Opener looks for them.
func TestSignTree(t *testing.T) {
	k := newKey(t)
	dir := t.TempDir()
	tree := filepath.Join(dir, "tftp")
	for name, data := range map[string]string{
		"pxelinux.cfg/default": "DEFAULT a\nLABEL a\nKERNEL images/vmlinuz\n",
		"images/vmlinuz":       "kernel",
	} {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(dir, "boot.key")
	if err := os.WriteFile(secret, []byte("not used here"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := TreeFiles(secret, []string{tree})
	if err != nil || len(files) != 2 {
		t.Fatalf("TreeFiles = %v, %v", files, err)
	}
	for _, f := range files {
		if err := SignFile(k, f, "", time.Unix(1700000000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	o := Opener(k.Public(), pxelinux.FSOpener(os.DirFS(tree), 0), nil)
	for _, f := range files {
		if _, err := o.Open(context.Background(), pxelinux.Path{Name: f.Name}); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	// A second run signs the files again, not the signatures.
	if again, err := TreeFiles(secret, []string{tree}); err != nil || len(again) != 2 {
		t.Errorf("TreeFiles after signing = %v, %v", again, err)
	}
	// The secret key inside the tree is refused.
	if err := os.Rename(secret, filepath.Join(tree, "boot.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := TreeFiles(filepath.Join(tree, "boot.key"), []string{tree}); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("TreeFiles with the key in the tree: %v", err)
	}
}
