package minisign

import (
	"bytes"
	"errors"
	"github.com/s390netboot/s390netboot/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file run the real minisign (Debian's package, 0.11):
// what it signs verifies here, what Sign makes verifies there, and its
// key files and ours are interchangeable.

// minisignCmd runs minisign with args in dir, feeding stdin, and returns
// its combined output and error.
func minisignCmd(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(testenv.Command(t, "minisign", "minisign"), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustMinisign(t *testing.T, dir, stdin string, args ...string) string {
	t.Helper()
	out, err := minisignCmd(t, dir, stdin, args...)
	if err != nil {
		t.Fatalf("minisign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeTemp(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readTemp(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestInteropMinisignSigns: files signed by minisign (a fresh key pair
// from minisign -G) verify here, legacy and prehashed; tampering fails.
func TestInteropMinisignSigns(t *testing.T) {
	dir := t.TempDir()
	mustMinisign(t, dir, "", "-G", "-W", "-p", "k.pub", "-s", "k.key")
	pub, err := ParsePublicKey(readTemp(t, dir, "k.pub"))
	if err != nil {
		t.Fatalf("minisign's public key: %v", err)
	}
	other, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("DEFAULT linux\nLABEL linux\n KERNEL vmlinuz\n")
	writeTemp(t, dir, "default", msg)

	for _, tc := range []struct {
		name  string
		flags []string
		alg   string
	}{
		{"prehashed", nil, AlgPrehashed},
		{"legacy", []string{"-l"}, AlgLegacy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-S", "-s", "k.key", "-m", "default", "-x", tc.name + ".minisig", "-t", "tc for " + tc.name}, tc.flags...)
			mustMinisign(t, dir, "", args...)
			raw := readTemp(t, dir, tc.name+".minisig")
			sig, err := Verify(pub, msg, raw)
			if err != nil {
				t.Fatalf("Verify: %v\n%s", err, raw)
			}
			if sig.Algorithm != tc.alg || sig.TrustedComment != "tc for "+tc.name {
				t.Errorf("got %s %q", sig.Algorithm, sig.TrustedComment)
			}
			if _, err := Verify(pub, append(bytes.Clone(msg), ' '), raw); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("tampered file: %v, want ErrInvalidSignature", err)
			}
			if _, err := Verify(other.Public(), msg, raw); !errors.Is(err, ErrWrongKey) {
				t.Errorf("wrong key: %v, want ErrWrongKey", err)
			}
			tampered := bytes.Replace(raw, []byte("tc for"), []byte("TC for"), 1)
			if _, err := Verify(pub, msg, tampered); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("tampered trusted comment: %v, want ErrInvalidSignature", err)
			}
		})
	}

	// minisign's unencrypted secret key works here too.
	sk, err := ParsePrivateKey(readTemp(t, dir, "k.key"), nil)
	if err != nil {
		t.Fatalf("minisign's secret key: %v", err)
	}
	if !sk.Public().Equal(pub) {
		t.Errorf("public half of minisign's secret key differs from its public key")
	}
}

// TestInteropMinisignVerifies: what Sign makes passes minisign -V, and
// minisign -V refuses a tampered file, a tampered trusted comment and
// another key.
func TestInteropMinisignVerifies(t *testing.T) {
	dir := t.TempDir()
	sk, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	writeTemp(t, dir, "k.pub", sk.Public().Encode())
	other, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	writeTemp(t, dir, "other.pub", other.Public().Encode())

	msg := bytes.Repeat([]byte{0, 1, 2, 0xff}, 100000)
	writeTemp(t, dir, "vmlinuz", msg)
	sig, err := sk.Sign(msg, "timestamp:1700000000\tfile:vmlinuz\thashed")
	if err != nil {
		t.Fatal(err)
	}
	writeTemp(t, dir, "vmlinuz.minisig", sig.Encode())
	out := mustMinisign(t, dir, "", "-V", "-p", "k.pub", "-m", "vmlinuz")
	if !strings.Contains(out, "Signature and comment signature verified") || !strings.Contains(out, "file:vmlinuz") {
		t.Errorf("minisign -V said:\n%s", out)
	}
	// -P with the bare key, as String gives it.
	mustMinisign(t, dir, "", "-V", "-P", sk.Public().String(), "-m", "vmlinuz")

	refuse := func(name string, args ...string) {
		t.Helper()
		if out, err := minisignCmd(t, dir, "", args...); err == nil {
			t.Errorf("%s: minisign -V accepted it:\n%s", name, out)
		}
	}
	refuse("wrong key", "-V", "-p", "other.pub", "-m", "vmlinuz", "-x", "vmlinuz.minisig")
	writeTemp(t, dir, "tampered", append(bytes.Clone(msg), 0))
	refuse("tampered file", "-V", "-p", "k.pub", "-m", "tampered", "-x", "vmlinuz.minisig")
	tc := *sig
	tc.TrustedComment = "timestamp:1800000000\tfile:vmlinuz\thashed"
	writeTemp(t, dir, "tc.minisig", tc.Encode())
	refuse("tampered trusted comment", "-V", "-p", "k.pub", "-m", "vmlinuz", "-x", "tc.minisig")
}

// TestInteropSecretKeys: minisign signs with secret keys Encode wrote,
// unencrypted and encrypted with both branches of libsodium's scrypt
// parameter choice, and -R derives the same public key from them.
func TestInteropSecretKeys(t *testing.T) {
	dir := t.TempDir()
	sk, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("initrd contents")
	writeTemp(t, dir, "initrd", msg)
	const password = "s3cret pass"
	for _, tc := range []struct {
		name     string
		password []byte
		kdf      KDFParams
	}{
		{"unencrypted", nil, KDFParams{}},
		{"scrypt opslimit-bound", []byte(password), testKDF},                     // N=2^10, p=1
		{"scrypt memlimit-bound", []byte(password), KDFParams{1 << 20, 1 << 24}}, // N=2^14, p=2
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := sk.Encode("", tc.password, tc.kdf, nil)
			if err != nil {
				t.Fatal(err)
			}
			writeTemp(t, dir, "k.key", enc)
			mustMinisign(t, dir, password+"\n", "-R", "-f", "-s", "k.key", "-p", "derived.pub")
			derived, err := ParsePublicKey(readTemp(t, dir, "derived.pub"))
			if err != nil {
				t.Fatal(err)
			}
			if !derived.Equal(sk.Public()) {
				t.Errorf("minisign -R derived %s, want %s", derived, sk.Public())
			}
			mustMinisign(t, dir, password+"\n", "-S", "-s", "k.key", "-m", "initrd", "-t", tc.name)
			if _, err := Verify(sk.Public(), msg, readTemp(t, dir, "initrd.minisig")); err != nil {
				t.Errorf("signature minisign made with our key: %v", err)
			}
			if tc.password != nil {
				if out, err := minisignCmd(t, dir, "wrong\n", "-S", "-s", "k.key", "-m", "initrd"); err == nil || !strings.Contains(out, "Wrong password") {
					t.Errorf("minisign with a wrong password: %v\n%s", err, out)
				}
			}
		})
	}
}
