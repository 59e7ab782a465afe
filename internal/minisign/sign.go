package minisign

import (
	"crypto/ed25519"
	"fmt"
	"io"

	"golang.org/x/crypto/blake2b"
)

// Sign makes a prehashed ("ED") signature of message with the trusted
// comment tc (see [DefaultTrustedComment]); the untrusted comment is
// DefaultSigComment. tc must be printable UTF-8 without line breaks
// (tabs are fine) and at most MaxTrustedCommentLen bytes.
func (k *PrivateKey) Sign(message []byte, tc string) (*Signature, error) {
	h := blake2b.Sum512(message)
	return k.signDigest(h[:], tc)
}

// SignReader is Sign for a message read from r, which is hashed as it
// is read and not held in memory.
func (k *PrivateKey) SignReader(r io.Reader, tc string) (*Signature, error) {
	h, _ := blake2b.New512(nil)
	if _, err := io.Copy(h, r); err != nil {
		return nil, fmt.Errorf("minisign: reading the data to sign: %w", err)
	}
	return k.signDigest(h.Sum(nil), tc)
}

func (k *PrivateKey) signDigest(digest []byte, tc string) (*Signature, error) {
	if len(k.Key) != skSize {
		return nil, fmt.Errorf("minisign: secret key of %d bytes, want %d", len(k.Key), skSize)
	}
	if err := checkTrustedComment(tc); err != nil {
		return nil, fmt.Errorf("minisign: %v", err)
	}
	s := &Signature{
		Algorithm:        AlgPrehashed,
		KeyID:            k.ID,
		UntrustedComment: DefaultSigComment,
		TrustedComment:   tc,
	}
	copy(s.Signature[:], ed25519.Sign(k.Key, digest))
	copy(s.GlobalSignature[:], ed25519.Sign(k.Key, globalMessage(s)))
	return s, nil
}
