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
		sig, ok := roundTrip(t, data, ParseSignature, (*Signature).Encode, func(a, b *Signature) bool { return *a == *b })
		if !ok {
			return
		}
		err := pub.Verify(msg, sig)
		if err != nil && !errors.Is(err, ErrInvalidSignature) && !errors.Is(err, ErrWrongKey) {
			t.Fatalf("Verify error without sentinel: %v", err)
		}
	})
}

// FuzzParsePublicKey: no panic; what parses encodes back.
func FuzzParsePublicKey(f *testing.F) {
	f.Add(readFile(f, "test.pub"))
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip(t, data, ParsePublicKey, (*PublicKey).Encode, (*PublicKey).Equal)
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

// roundTrip parses data; a refusal must carry a sentinel (checkRefusal),
// and what parses must encode to a file that parses back to an equal
// value. ok says whether data parsed.
func roundTrip[T any](t *testing.T, data []byte, parse func([]byte) (T, error), encode func(T) []byte, equal func(a, b T) bool) (v T, ok bool) {
	t.Helper()
	v, err := parse(data)
	if err != nil {
		checkRefusal(t, err)
		return v, false
	}
	again, err := parse(encode(v))
	if err != nil {
		t.Fatalf("Encode gave an unparsable file: %v\n%q", err, encode(v))
	}
	if !equal(again, v) {
		t.Fatalf("round trip changed %+v to %+v", v, again)
	}
	return v, true
}

// checkRefusal fails t unless err, a parser's refusal, wraps ErrMalformed
// or ErrUnsupported.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error without sentinel: %v", err)
	}
}
