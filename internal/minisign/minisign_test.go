package minisign

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func fixtureKey(t testing.TB) *PublicKey {
	t.Helper()
	k, err := ParsePublicKey(readFile(t, "test.pub"))
	if err != nil {
		t.Fatalf("ParsePublicKey(test.pub): %v", err)
	}
	return k
}

func TestFixtures(t *testing.T) {
	pub := fixtureKey(t)
	if got, want := pub.ID.String(), "F471E4345739D8A8"; got != want {
		t.Errorf("key ID %s, want %s (the ID in test.pub's comment)", got, want)
	}
	if !bytes.Equal(pub.Encode(), readFile(t, "test.pub")) {
		t.Errorf("Encode:\n%s\nwant test.pub:\n%s", pub.Encode(), readFile(t, "test.pub"))
	}
	msg := readFile(t, "message.txt")
	for _, tc := range []struct {
		file, alg, comment string
	}{
		{"message.txt.minisig", AlgPrehashed, "timestamp:1700000000\tfile:message.txt\thashed"},
		{"message.txt.legacy.minisig", AlgLegacy, "timestamp:1700000000\tfile:message.txt"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw := readFile(t, tc.file)
			sig, err := Verify(pub, msg, raw)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if sig.Algorithm != tc.alg || sig.TrustedComment != tc.comment || sig.UntrustedComment != DefaultSigComment {
				t.Errorf("got %q %q %q", sig.Algorithm, sig.TrustedComment, sig.UntrustedComment)
			}
			if !bytes.Equal(sig.Encode(), raw) {
				t.Errorf("Encode does not give the file back:\n%s", sig.Encode())
			}
		})
	}

	sk, err := ParsePrivateKey(readFile(t, "test.key"), nil)
	if err != nil {
		t.Fatalf("ParsePrivateKey(test.key): %v", err)
	}
	if !sk.Public().Equal(pub) {
		t.Errorf("secret key's public half %s, want %s", sk.Public(), pub)
	}
}

// TestVerifyRefuses checks each way a signature must fail.
func TestVerifyRefuses(t *testing.T) {
	pub := fixtureKey(t)
	msg := readFile(t, "message.txt")
	other, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherSameID := other.Public()
	otherSameID.ID = pub.ID

	for _, file := range []string{"message.txt.minisig", "message.txt.legacy.minisig"} {
		for _, tc := range []struct {
			name   string
			key    *PublicKey
			msg    []byte
			edit   func(*Signature)
			target error
		}{
			{"tampered file", pub, append(bytes.Clone(msg), '#'), nil, ErrInvalidSignature},
			{"empty file", pub, nil, nil, ErrInvalidSignature},
			{"wrong key", other.Public(), msg, nil, ErrWrongKey},
			{"wrong key with the right ID", otherSameID, msg, nil, ErrInvalidSignature},
			{"tampered trusted comment", pub, msg, func(s *Signature) { s.TrustedComment += " " }, ErrInvalidSignature},
			{"trusted comment removed", pub, msg, func(s *Signature) { s.TrustedComment = "" }, ErrInvalidSignature},
			{"flipped bit", pub, msg, func(s *Signature) { s.Signature[5] ^= 1 }, ErrInvalidSignature},
			{"global flipped bit", pub, msg, func(s *Signature) { s.GlobalSignature[63] ^= 0x80 }, ErrInvalidSignature},
			{"algorithm switched", pub, msg, func(s *Signature) {
				if s.Algorithm == AlgLegacy {
					s.Algorithm = AlgPrehashed
				} else {
					s.Algorithm = AlgLegacy
				}
			}, ErrInvalidSignature},
			{"unknown algorithm", pub, msg, func(s *Signature) { s.Algorithm = "EX" }, ErrUnsupported},
		} {
			t.Run(file+"/"+tc.name, func(t *testing.T) {
				sig, err := ParseSignature(readFile(t, file))
				if err != nil {
					t.Fatal(err)
				}
				if tc.edit != nil {
					tc.edit(sig)
				}
				err = tc.key.Verify(tc.msg, sig)
				if !errors.Is(err, tc.target) {
					t.Fatalf("Verify = %v, want %v", err, tc.target)
				}
				// The same through the file form, where it parses.
				if _, err := Verify(tc.key, tc.msg, sig.Encode()); err == nil {
					t.Fatalf("Verify(encoded) succeeded")
				}
			})
		}
	}
}

func TestParseSignatureErrors(t *testing.T) {
	good := string(readFile(t, "message.txt.minisig"))
	lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
	join := func(l ...string) []byte { return []byte(strings.Join(l, "\n") + "\n") }
	for _, tc := range []struct {
		name   string
		data   []byte
		target error
	}{
		{"empty", nil, ErrMalformed},
		{"three lines", join(lines[:3]...), ErrMalformed},
		{"five lines", join(append(lines, "x")...), ErrMalformed},
		{"no comment prefix", join("comment: x", lines[1], lines[2], lines[3]), ErrMalformed},
		{"no trusted prefix", join(lines[0], lines[1], "trusted: x", lines[3]), ErrMalformed},
		{"bad base64", join(lines[0], strings.Replace(lines[1], "R", "*", 1), lines[2], lines[3]), ErrMalformed},
		{"short signature", join(lines[0], lines[1][4:], lines[2], lines[3]), ErrMalformed},
		{"unpadded", join(lines[0], strings.TrimRight(lines[1], "="), lines[2], lines[3]), ErrMalformed},
		{"short global", join(lines[0], lines[1], lines[2], lines[3][:84]), ErrMalformed},
		{"unknown algorithm", join(lines[0], "RVg"+lines[1][3:], lines[2], lines[3]), ErrUnsupported},
		{"escape in trusted comment", join(lines[0], lines[1], lines[2]+"\x1b[2J", lines[3]), ErrMalformed},
		{"DEL in trusted comment", join(lines[0], lines[1], lines[2]+"\x7f", lines[3]), ErrMalformed},
		{"invalid UTF-8", join(lines[0], lines[1], lines[2]+"\xff", lines[3]), ErrMalformed},
		{"CR inside a line", join(lines[0]+"\rx", lines[1], lines[2], lines[3]), ErrMalformed},
		{"NUL", join(lines[0]+"\x00", lines[1], lines[2], lines[3]), ErrMalformed},
		{"trusted comment too long", join(lines[0], lines[1], lines[2]+strings.Repeat("a", MaxTrustedCommentLen), lines[3]), ErrMalformed},
		{"comment too long", join(lines[0]+strings.Repeat("a", 1024), lines[1], lines[2], lines[3]), ErrMalformed},
		{"huge", bytes.Repeat([]byte("a"), 1<<20), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSignature(tc.data)
			if !errors.Is(err, tc.target) {
				t.Fatalf("ParseSignature = %+v, %v; want %v", s, err, tc.target)
			}
		})
	}
	// What is accepted: CRLF line ends and a missing final newline.
	for name, data := range map[string]string{
		"CRLF":       strings.ReplaceAll(good, "\n", "\r\n"),
		"no newline": strings.TrimSuffix(good, "\n"),
	} {
		if _, err := Verify(fixtureKey(t), readFile(t, "message.txt"), []byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	file := string(readFile(t, "test.pub"))
	_, bare, _ := strings.Cut(strings.TrimSpace(file), "\n")
	for _, tc := range []struct {
		name   string
		data   string
		target error
	}{
		{"file", file, nil},
		{"bare", bare, nil},
		{"bare with newline", bare + "\n", nil},
		{"empty", "", ErrMalformed},
		{"three lines", file + "x\n", ErrMalformed},
		{"comment without prefix", "minisign public key\n" + bare, ErrMalformed},
		{"short", bare[:40], ErrMalformed},
		{"not base64", strings.Repeat("!", len(bare)), ErrMalformed},
		{"signature instead", string(readFile(t, "message.txt.minisig")), ErrMalformed},
		{"secret key instead", string(readFile(t, "test.key")), ErrMalformed},
		{"other algorithm", "RUS" + bare[3:], ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParsePublicKey([]byte(tc.data))
			if !errors.Is(err, tc.target) || (err == nil) != (tc.target == nil) {
				t.Fatalf("ParsePublicKey = %v, %v; want %v", k, err, tc.target)
			}
			if err == nil && k.String() != bare {
				t.Errorf("String() = %s, want %s", k, bare)
			}
		})
	}
}

func TestSignRoundTrip(t *testing.T) {
	sk, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("s390x kernel "), 1000)
	tc := DefaultTrustedComment("s390x/vmlinuz", time.Unix(1700000000, 0))
	if want := "timestamp:1700000000\tfile:s390x/vmlinuz\thashed"; tc != want {
		t.Errorf("DefaultTrustedComment = %q, want %q", tc, want)
	}
	sig, err := sk.Sign(msg, tc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(sk.Public(), msg, sig.Encode())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.TrustedComment != tc || got.Algorithm != AlgPrehashed || got.KeyID != sk.ID {
		t.Errorf("parsed %+v", got)
	}
	sig2, err := sk.SignReader(bytes.NewReader(msg), tc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig.Encode(), sig2.Encode()) {
		t.Errorf("SignReader and Sign differ (Ed25519 is deterministic)")
	}

	for _, bad := range []string{"a\nb", "a\rb", "\x00", "\xff", strings.Repeat("x", MaxTrustedCommentLen+1)} {
		if _, err := sk.Sign(msg, bad); err == nil {
			t.Errorf("Sign with trusted comment %.20q succeeded", bad)
		}
	}
	if _, err := sk.Sign(msg, strings.Repeat("x", MaxTrustedCommentLen)); err != nil {
		t.Errorf("Sign with the longest trusted comment: %v", err)
	}
	if got := DefaultTrustedComment("a\nb\x1b\xff", time.Unix(0, 0)); got != "timestamp:0\tfile:a?b??\thashed" {
		t.Errorf("DefaultTrustedComment sanitized %q", got)
	}
}

// testKDF is the cheapest parameter set libsodium accepts: N=2^10, r=8,
// 1 MiB.
var testKDF = KDFParams{OpsLimit: minOpsLimit, MemLimit: 16 << 20}

func TestPrivateKeyEncode(t *testing.T) {
	sk, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pw := func(s string) func() ([]byte, error) {
		return func() ([]byte, error) { return []byte(s), nil }
	}
	enc, err := sk.Encode("", []byte("correct horse"), testKDF, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(enc, []byte("untrusted comment: minisign encrypted secret key\nRWRTY0Iy")) {
		t.Errorf("encrypted key starts %q", enc[:60])
	}
	plain, err := sk.Encode("my key", nil, KDFParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		password func() ([]byte, error)
		target   error
	}{
		{"encrypted", enc, pw("correct horse"), nil},
		{"unencrypted", plain, nil, nil},
		{"unencrypted ignores password", plain, pw("x"), nil},
		{"wrong password", enc, pw("correct horse "), ErrWrongPassword},
		{"no password", enc, nil, ErrPasswordRequired},
		{"password error", enc, func() ([]byte, error) { return nil, errors.New("no tty") }, nil},
		{"public key instead", sk.Public().Encode(), nil, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePrivateKey(tc.data, tc.password)
			if tc.name == "password error" {
				if err == nil || !strings.Contains(err.Error(), "no tty") {
					t.Fatalf("err = %v, want the password function's error", err)
				}
				return
			}
			if !errors.Is(err, tc.target) || (err == nil) != (tc.target == nil) {
				t.Fatalf("ParsePrivateKey = %v, want %v", err, tc.target)
			}
			if err == nil && (got.ID != sk.ID || !bytes.Equal(got.Key, sk.Key)) {
				t.Errorf("decoded key differs")
			}
		})
	}
	if _, err := sk.Encode("two\nlines", nil, KDFParams{}, nil); err == nil {
		t.Errorf("Encode with a two-line comment succeeded")
	}
}

func TestPrivateKeyCorrupt(t *testing.T) {
	sk, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := sk.Encode("", nil, KDFParams{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	comment, line, _ := bytes.Cut(bytes.TrimSpace(plain), []byte("\n"))
	raw, err := b64.DecodeString(string(line))
	if err != nil {
		t.Fatal(err)
	}
	called := false
	pw := func() ([]byte, error) { called = true; return []byte("x"), nil }
	for _, tc := range []struct {
		name   string
		edit   func([]byte)
		target error
	}{
		{"checksum", func(r []byte) { r[len(r)-1] ^= 1 }, ErrMalformed},
		{"public half", func(r []byte) { r[offKeynumSK+keyIDSize+40] ^= 1 }, ErrMalformed},
		{"signature algorithm", func(r []byte) { r[1] = 'X' }, ErrUnsupported},
		{"checksum algorithm", func(r []byte) { r[offChk] = 'S' }, ErrUnsupported},
		{"KDF", func(r []byte) { copy(r[offKDF:], "Ar") }, ErrUnsupported},
		{"KDF memory", func(r []byte) {
			copy(r[offKDF:], kdfScrypt)
			copy(r[offOps:], []byte{0, 0, 0, 0, 0, 0, 0, 1}) // 2^56
			copy(r[offMem:], []byte{0, 0, 0, 0, 0, 0, 0, 1})
		}, ErrKDFLimit},
		{"KDF work", func(r []byte) {
			copy(r[offKDF:], kdfScrypt)
			copy(r[offOps:], []byte{0, 0, 0, 0, 0, 0, 0, 0x10}) // 2^60
			copy(r[offMem:], []byte{0, 0, 0, 0x40})             // 1 GiB
		}, ErrKDFLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.Clone(raw)
			tc.edit(r)
			data := []byte(string(comment) + "\n" + b64.EncodeToString(r) + "\n")
			called = false
			if _, err := ParsePrivateKey(data, pw); !errors.Is(err, tc.target) {
				t.Fatalf("ParsePrivateKey = %v, want %v", err, tc.target)
			}
			if called {
				t.Errorf("asked for the password of a key that is refused anyway")
			}
		})
	}
}

func TestScryptParams(t *testing.T) {
	for _, tc := range []struct {
		kdf     KDFParams
		logN    uint
		r, p    uint64
		refused bool
	}{
		{DefaultKDF, 20, 8, 1, false},
		{InteractiveKDF, 14, 8, 1, false},
		{testKDF, 10, 8, 1, false},
		{KDFParams{0, 0}, 1, 8, 512, false},            // opslimit floor; memory-bound with N=2
		{KDFParams{1 << 20, 1 << 24}, 14, 8, 2, false}, // memory-bound: the rest goes into p
		{KDFParams{1 << 40, 1 << 40}, 30, 8, 32, true}, // 1 TiB
	} {
		logN, r, p := tc.kdf.scryptParams()
		if logN != tc.logN || r != tc.r || p != tc.p {
			t.Errorf("%+v: N=2^%d r=%d p=%d, want N=2^%d r=%d p=%d", tc.kdf, logN, r, p, tc.logN, tc.r, tc.p)
		}
		if _, _, _, err := tc.kdf.check(); (err != nil) != tc.refused {
			t.Errorf("%+v: check = %v, refused want %v", tc.kdf, err, tc.refused)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	sk, err := GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 16<<20) // a kernel and a small initrd
	for _, alg := range []string{AlgPrehashed, AlgLegacy} {
		sig, err := sk.Sign(msg, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if alg == AlgLegacy {
			// Legacy signatures are made the old way: over the data.
			sig.Algorithm = AlgLegacy
			sig.Signature = [sigSize]byte(ed25519Sign(sk, msg))
			sig.GlobalSignature = [sigSize]byte(ed25519Sign(sk, globalMessage(sig)))
		}
		b.Run(alg, func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if err := sk.Public().Verify(msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ed25519Sign(sk *PrivateKey, m []byte) []byte { return ed25519.Sign(sk.Key, m) }
