package minisign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/blake2b"
)

// Names and sizes of the formats, from minisign's src/minisign.h
// (minisign 0.11) unless noted.
const (
	// SigSuffix is what minisign appends to a file's name for its
	// signature (SIG_SUFFIX).
	SigSuffix = ".minisig"

	// AlgLegacy signs the file itself (SIGALG).
	AlgLegacy = "Ed"
	// AlgPrehashed signs the BLAKE2b-512 of the file (SIGALG_HASHED).
	AlgPrehashed = "ED"

	kdfScrypt = "Sc"       // KDFALG
	kdfNone   = "\x00\x00" // KDFNONE
	chkBlake2 = "B2"       // CHKALG

	commentPrefix        = "untrusted comment: " // COMMENT_PREFIX
	trustedCommentPrefix = "trusted comment: "   // TRUSTED_COMMENT_PREFIX

	// DefaultSigComment is the untrusted comment of new signatures
	// (DEFAULT_COMMENT).
	DefaultSigComment = "signature from minisign secret key"
	// DefaultSecretKeyComment is the untrusted comment of new secret keys
	// (SECRETKEY_DEFAULT_COMMENT).
	DefaultSecretKeyComment = "minisign encrypted secret key"

	// maxCommentLine is the longest untrusted comment line minisign reads:
	// fgets into COMMENTMAXBYTES (1024) bytes must hold the line, its
	// '\n' and the terminating NUL.
	maxCommentLine = 1024 - 2
	// MaxTrustedCommentLen is the longest trusted comment: fgets into
	// TRUSTEDCOMMENTMAXBYTES (8192) bytes holds the prefix, the comment,
	// '\n' and NUL; minisign's sign() refuses 8192-18 bytes and more.
	MaxTrustedCommentLen = 8192 - len(trustedCommentPrefix) - 2

	keyIDSize = 8 // KEYNUMBYTES
	algSize   = 2 // sig_alg, kdf_alg, chk_alg
	sigSize   = ed25519.SignatureSize
	pubSize   = ed25519.PublicKeySize
	chkSize   = blake2b.Size256

	pubStructSize = algSize + keyIDSize + pubSize // PubkeyStruct: 42
	sigStructSize = algSize + keyIDSize + sigSize // SigStruct: 74

	// MaxSignatureFileSize bounds a signature file: two comment lines at
	// their maximum, the two base64 lines and line ends. Longer input is
	// refused before it is looked at.
	MaxSignatureFileSize = maxCommentLine + (len(trustedCommentPrefix) + MaxTrustedCommentLen) + 100 + 88 + 8
	// MaxKeyFileSize bounds a public or secret key file likewise.
	MaxKeyFileSize = maxCommentLine + 216 + 4
)

var (
	// ErrMalformed means the input is not a minisign file of the
	// expected kind: wrong line structure, bad base64, wrong lengths,
	// an unprintable trusted comment.
	ErrMalformed = errors.New("minisign: malformed")
	// ErrUnsupported means a well-formed file uses an algorithm this
	// package (and minisign) does not know.
	ErrUnsupported = errors.New("minisign: unsupported algorithm")
	// ErrWrongKey means the signature was made with another key than
	// the one it is checked against (the key IDs differ).
	ErrWrongKey = errors.New("minisign: signed with another key")
	// ErrInvalidSignature means the signature does not match the file
	// or the trusted comment was changed.
	ErrInvalidSignature = errors.New("minisign: invalid signature")
	// ErrWrongPassword means an encrypted secret key did not decrypt to
	// a key with a valid checksum.
	ErrWrongPassword = errors.New("minisign: wrong password for secret key")
	// ErrPasswordRequired means a secret key is encrypted and no way to
	// ask for the password was given.
	ErrPasswordRequired = errors.New("minisign: secret key is encrypted, a password is required")
	// ErrKDFLimit means a secret key's scrypt parameters need more
	// memory or work than allowed (see MaxKDFMemory).
	ErrKDFLimit = errors.New("minisign: key derivation parameters over limit")
)

var b64 = base64.StdEncoding.Strict()

// KeyID identifies a key pair; signatures carry the ID of their key.
type KeyID [keyIDSize]byte

// String gives the ID as minisign prints it: the bytes read as a
// little-endian integer in 16 upper-case hex digits.
func (id KeyID) String() string {
	return fmt.Sprintf("%016X", binary.LittleEndian.Uint64(id[:]))
}

// PublicKey is a minisign public key.
type PublicKey struct {
	ID  KeyID
	Key ed25519.PublicKey
}

// ParsePublicKey reads a public key file (an untrusted comment line and
// the base64 key) or a bare base64 key as given to `minisign -P`.
func ParsePublicKey(data []byte) (*PublicKey, error) {
	lines, err := fileLines(data, MaxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w public key: %v", ErrMalformed, err)
	}
	var line string
	switch len(lines) {
	case 1:
		line = lines[0]
	case 2:
		if _, err := comment(lines[0]); err != nil {
			return nil, fmt.Errorf("%w public key: %v", ErrMalformed, err)
		}
		line = lines[1]
	default:
		return nil, fmt.Errorf("%w public key: %d lines, want a comment and the key", ErrMalformed, len(lines))
	}
	raw, err := decode(line, pubStructSize)
	if err != nil {
		return nil, fmt.Errorf("%w public key: %v", ErrMalformed, err)
	}
	if alg := string(raw[:algSize]); alg != AlgLegacy {
		return nil, fmt.Errorf("%w: public key algorithm %q, want %q", ErrUnsupported, alg, AlgLegacy)
	}
	k := &PublicKey{Key: ed25519.PublicKey(raw[algSize+keyIDSize:])}
	copy(k.ID[:], raw[algSize:])
	return k, nil
}

// String is the key's base64 line, the form `minisign -P` takes.
func (k *PublicKey) String() string {
	raw := make([]byte, 0, pubStructSize)
	raw = append(raw, AlgLegacy...)
	raw = append(raw, k.ID[:]...)
	raw = append(raw, k.Key...)
	return b64.EncodeToString(raw)
}

// Encode gives the key as a file in minisign's format.
func (k *PublicKey) Encode() []byte {
	return fmt.Appendf(nil, "%sminisign public key %s\n%s\n", commentPrefix, k.ID, k)
}

// Equal says whether two keys are the same key with the same ID.
func (k *PublicKey) Equal(o *PublicKey) bool {
	return k.ID == o.ID && bytes.Equal(k.Key, o.Key)
}

// Signature is a parsed .minisig file.
type Signature struct {
	// Algorithm is AlgLegacy or AlgPrehashed.
	Algorithm string
	// KeyID names the key that made the signature.
	KeyID KeyID
	// Signature is the Ed25519 signature of the file (legacy) or of
	// its BLAKE2b-512 (prehashed).
	Signature [sigSize]byte
	// UntrustedComment is not covered by any signature.
	UntrustedComment string
	// TrustedComment is covered by GlobalSignature; it is only to be
	// believed after Verify succeeded.
	TrustedComment string
	// GlobalSignature signs Signature followed by TrustedComment.
	GlobalSignature [sigSize]byte
}

// ParseSignature reads a signature file. It checks the form only; use
// [PublicKey.Verify] to check the signature.
func ParseSignature(data []byte) (*Signature, error) {
	lines, err := fileLines(data, MaxSignatureFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w signature: %v", ErrMalformed, err)
	}
	if len(lines) != 4 {
		return nil, fmt.Errorf("%w signature: %d lines, want 4 (comment, signature, trusted comment, global signature)", ErrMalformed, len(lines))
	}
	s := new(Signature)
	if s.UntrustedComment, err = comment(lines[0]); err != nil {
		return nil, fmt.Errorf("%w signature: %v", ErrMalformed, err)
	}
	raw, err := decode(lines[1], sigStructSize)
	if err != nil {
		return nil, fmt.Errorf("%w signature line: %v", ErrMalformed, err)
	}
	s.Algorithm = string(raw[:algSize])
	if s.Algorithm != AlgLegacy && s.Algorithm != AlgPrehashed {
		return nil, fmt.Errorf("%w: signature algorithm %q, want %q or %q", ErrUnsupported, s.Algorithm, AlgPrehashed, AlgLegacy)
	}
	copy(s.KeyID[:], raw[algSize:])
	copy(s.Signature[:], raw[algSize+keyIDSize:])
	tc, ok := strings.CutPrefix(lines[2], trustedCommentPrefix)
	if !ok {
		return nil, fmt.Errorf("%w signature: third line does not start with %q", ErrMalformed, trustedCommentPrefix)
	}
	if err := checkTrustedComment(tc); err != nil {
		return nil, fmt.Errorf("%w signature: %v", ErrMalformed, err)
	}
	s.TrustedComment = tc
	global, err := decode(lines[3], sigSize)
	if err != nil {
		return nil, fmt.Errorf("%w global signature line: %v", ErrMalformed, err)
	}
	copy(s.GlobalSignature[:], global)
	return s, nil
}

// Encode gives the signature as a .minisig file.
func (s *Signature) Encode() []byte {
	raw := make([]byte, 0, sigStructSize)
	raw = append(raw, s.Algorithm...)
	raw = append(raw, s.KeyID[:]...)
	raw = append(raw, s.Signature[:]...)
	return fmt.Appendf(nil, "%s%s\n%s\n%s%s\n%s\n",
		commentPrefix, s.UntrustedComment,
		b64.EncodeToString(raw),
		trustedCommentPrefix, s.TrustedComment,
		b64.EncodeToString(s.GlobalSignature[:]))
}

// Verify checks that sig is a valid signature of message made with k:
// the key IDs match ([ErrWrongKey] otherwise), the signature matches
// the message and the global signature matches the trusted comment
// ([ErrInvalidSignature] otherwise).
func (k *PublicKey) Verify(message []byte, sig *Signature) error {
	if len(k.Key) != pubSize {
		return fmt.Errorf("%w: public key of %d bytes, want %d", ErrMalformed, len(k.Key), pubSize)
	}
	if sig.KeyID != k.ID {
		return fmt.Errorf("%w: signature key ID %s, trusted key ID %s", ErrWrongKey, sig.KeyID, k.ID)
	}
	signed := message
	switch sig.Algorithm {
	case AlgPrehashed:
		h := blake2b.Sum512(message)
		signed = h[:]
	case AlgLegacy:
	default:
		return fmt.Errorf("%w: signature algorithm %q", ErrUnsupported, sig.Algorithm)
	}
	if !ed25519.Verify(k.Key, signed, sig.Signature[:]) {
		return fmt.Errorf("%w: the signature (%s, key %s) does not match the data", ErrInvalidSignature, sig.Algorithm, k.ID)
	}
	if !ed25519.Verify(k.Key, globalMessage(sig), sig.GlobalSignature[:]) {
		return fmt.Errorf("%w: the trusted comment %q was not signed by key %s", ErrInvalidSignature, sig.TrustedComment, k.ID)
	}
	return nil
}

// Verify parses sigFile and checks it against message with key; on
// success it returns the signature, whose TrustedComment can then be
// believed.
func Verify(key *PublicKey, message, sigFile []byte) (*Signature, error) {
	sig, err := ParseSignature(sigFile)
	if err != nil {
		return nil, err
	}
	if err := key.Verify(message, sig); err != nil {
		return nil, err
	}
	return sig, nil
}

// DefaultTrustedComment is the trusted comment minisign writes:
// "timestamp:UNIX\tfile:NAME\thashed" (default_trusted_comment in
// src/minisign.c), with name's control characters replaced by '?'.
func DefaultTrustedComment(name string, t time.Time) string {
	name = strings.Map(func(r rune) rune {
		if !printable(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(name, "?"))
	return fmt.Sprintf("timestamp:%d\tfile:%s\thashed", t.Unix(), name)
}

// globalMessage is what the global signature signs.
func globalMessage(sig *Signature) []byte {
	m := make([]byte, 0, sigSize+len(sig.TrustedComment))
	m = append(m, sig.Signature[:]...)
	return append(m, sig.TrustedComment...)
}

// fileLines checks that data is at most limit bytes and splits it into
// lines ending in "\n" or "\r\n"; the last line may lack its end. A '\r'
// elsewhere, or a NUL, is an error (minisign reads lines with fgets and
// refuses a '\r' inside one).
func fileLines(data []byte, limit int) ([]string, error) {
	if len(data) > limit {
		return nil, fmt.Errorf("%d bytes, more than %d", len(data), limit)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("NUL byte in text")
	}
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil, errors.New("empty")
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if strings.IndexByte(l, '\r') >= 0 {
			return nil, fmt.Errorf("line %d: carriage return inside the line", i+1)
		}
		lines[i] = l
	}
	return lines, nil
}

// comment checks an untrusted comment line and returns the comment.
func comment(line string) (string, error) {
	c, ok := strings.CutPrefix(line, commentPrefix)
	if !ok {
		return "", fmt.Errorf("first line does not start with %q", commentPrefix)
	}
	if len(line) > maxCommentLine {
		return "", fmt.Errorf("comment line of %d bytes, more than %d", len(line), maxCommentLine)
	}
	return c, nil
}

// decode reads a base64 line that must hold exactly n bytes.
func decode(line string, n int) ([]byte, error) {
	if len(line) != b64.EncodedLen(n) {
		return nil, fmt.Errorf("%d base64 characters, want %d", len(line), b64.EncodedLen(n))
	}
	raw, err := b64.DecodeString(line)
	if err != nil {
		return nil, fmt.Errorf("base64: %v", err)
	}
	if len(raw) != n {
		return nil, fmt.Errorf("%d bytes, want %d", len(raw), n)
	}
	return raw, nil
}

// checkTrustedComment applies minisign's rules: not too long, valid
// UTF-8, no control characters but tab (is_printable in src/minisign.c).
func checkTrustedComment(tc string) error {
	if len(tc) > MaxTrustedCommentLen {
		return fmt.Errorf("trusted comment of %d bytes, more than %d", len(tc), MaxTrustedCommentLen)
	}
	if !utf8.ValidString(tc) {
		return errors.New("trusted comment is not valid UTF-8")
	}
	for _, r := range tc {
		if !printable(r) {
			return fmt.Errorf("trusted comment holds control character %U", r)
		}
	}
	return nil
}

func printable(r rune) bool {
	return r == '\t' || (r >= 0x20 && r != 0x7f)
}

// equalBytes compares in constant time.
func equalBytes(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }
