package minisign

import (
	"bytes"
	"errors"
	"testing"

	"github.com/s390netboot/s390netboot/internal/testenv"
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
		testenv.Refused(t, pub.Verify(msg, sig), ErrInvalidSignature, ErrWrongKey)
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

// roundTrip parses data; a refusal must wrap ErrMalformed or
// ErrUnsupported, and what parses must encode to a file that parses back to an equal
// value. ok says whether data parsed.
func roundTrip[T any](t *testing.T, data []byte, parse func([]byte) (T, error), encode func(T) []byte, equal func(a, b T) bool) (v T, ok bool) {
	t.Helper()
	v, err := parse(data)
	if testenv.Refused(t, err, ErrMalformed, ErrUnsupported) {
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
