package minisign

import (
	"bytes"
	"errors"
	"testing"
)

// Seeds: testdata/fuzz/Fuzz*/ (the fixtures and broken variants).

// FuzzParseSignature: no panic; what parses encodes back to the same
// signature and verifies or fails with a sentinel error.
func FuzzParseSignature(f *testing.F) {
	f.Add(readFile(f, "message.txt.minisig"))
	f.Add(readFile(f, "message.txt.legacy.minisig"))
	pub := fixtureKey(f)
	msg := readFile(f, "message.txt")
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := ParseSignature(data)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		again, err := ParseSignature(sig.Encode())
		if err != nil {
			t.Fatalf("Encode gave an unparsable file: %v\n%q", err, sig.Encode())
		}
		if *again != *sig {
			t.Fatalf("round trip changed %+v to %+v", sig, again)
		}
		err = pub.Verify(msg, sig)
		if err != nil && !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrWrongKey) {
			t.Fatalf("Verify error without sentinel: %v", err)
		}
	})
}

// FuzzParsePublicKey: no panic; what parses encodes back.
func FuzzParsePublicKey(f *testing.F) {
	f.Add(readFile(f, "test.pub"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublicKey(data)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		again, err := ParsePublicKey(k.Encode())
		if err != nil || !again.Equal(k) {
			t.Fatalf("round trip: %v, %v != %v", err, again, k)
		}
	})
}

// FuzzParsePrivateKey: no panic, and no password is asked for (so no
// scrypt runs) for keys refused by their form.
func FuzzParsePrivateKey(f *testing.F) {
	f.Add(readFile(f, "test.key"))
	f.Fuzz(func(t *testing.T, data []byte) {
		errAsked := errors.New("asked")
		k, err := ParsePrivateKey(data, func() ([]byte, error) { return nil, errAsked })
		if err != nil {
			return
		}
		enc, err := k.Encode("", nil, KDFParams{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParsePrivateKey(enc, nil)
		if err != nil || again.ID != k.ID || !bytes.Equal(again.Key, k.Key) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// checkRefusal fails t unless err, a parser's refusal, wraps ErrMalformed
// or ErrUnsupported.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error without sentinel: %v", err)
	}
}
