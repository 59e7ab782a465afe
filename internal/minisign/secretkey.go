package minisign

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/scrypt"
)

// Layout of a secret key (SeckeyStruct in src/minisign.h).
const (
	saltSize      = 32 // crypto_pwhash_scryptsalsa208sha256_SALTBYTES
	skSize        = ed25519.PrivateKeySize
	keynumSKSize  = keyIDSize + skSize + chkSize // KeynumSK: 104, the encrypted part
	offKDF        = algSize
	offChk        = offKDF + algSize
	offSalt       = offChk + algSize
	offOps        = offSalt + saltSize
	offMem        = offOps + 8
	offKeynumSK   = offMem + 8
	secStructSize = offKeynumSK + keynumSKSize // 158
)

// KDFParams are the scrypt limits of an encrypted secret key, in
// libsodium's crypto_pwhash_scryptsalsa208sha256 terms.
type KDFParams struct {
	OpsLimit uint64
	MemLimit uint64
}

// Scrypt limits (libsodium's include/sodium/crypto_pwhash_scryptsalsa208sha256.h).
var (
	// DefaultKDF is what `minisign -G` uses (OPSLIMIT_SENSITIVE,
	// MEMLIMIT_SENSITIVE): scrypt with N=2^20, r=8, p=1, 1 GiB of memory
	// and a few seconds per derivation.
	DefaultKDF = KDFParams{OpsLimit: 33554432, MemLimit: 1073741824}
	// InteractiveKDF is libsodium's OPSLIMIT_INTERACTIVE and
	// MEMLIMIT_INTERACTIVE: N=2^14, 16 MiB; weaker, for tests and small
	// machines.
	InteractiveKDF = KDFParams{OpsLimit: 524288, MemLimit: 16777216}
)

// minOpsLimit is the floor libsodium's pickparams puts under opslimit.
const minOpsLimit = 32768

// MaxKDFMemory bounds the memory scrypt may use to decrypt a secret key
// (128·r·N bytes): twice what DefaultKDF needs.
const MaxKDFMemory = 2 << 30

// maxKDFWork bounds N·r·p (the number of salsa20/8 block mixes / 2):
// 64 times DefaultKDF's.
const maxKDFWork = 64 << 23

// scryptParams turns opslimit and memlimit into scrypt's N (as log2), r
// and p exactly as libsodium's pickparams
// (crypto_pwhash/scryptsalsa208sha256/pwhash_scryptsalsa208sha256.c)
// does, so keys encrypted by minisign decrypt here and the other way.
func (k KDFParams) scryptParams() (logN uint, r, p uint64) {
	ops, mem := k.OpsLimit, k.MemLimit
	if ops < minOpsLimit {
		ops = minOpsLimit
	}
	r = 8
	// Either memory is plentiful and opslimit alone sets N (p = 1), or
	// memlimit sets N and the rest of opslimit goes into p.
	opsBound := ops < mem/32
	maxN := mem / (r * 128)
	if opsBound {
		maxN = ops / (r * 4)
	}
	for logN = 1; logN < 63; logN++ {
		if uint64(1)<<logN > maxN/2 {
			break
		}
	}
	if opsBound {
		return logN, r, 1
	}
	maxrp := (ops / 4) >> logN
	if maxrp > 0x3fffffff {
		maxrp = 0x3fffffff
	}
	p = maxrp / r
	return logN, r, p
}

// check refuses parameters scrypt cannot run or that exceed the limits.
func (k KDFParams) check() (logN uint, r, p uint64, err error) {
	logN, r, p = k.scryptParams()
	if p == 0 || r*p >= 1<<30 {
		return 0, 0, 0, fmt.Errorf("%w: opslimit %d, memlimit %d give scrypt r=%d p=%d", ErrKDFLimit, k.OpsLimit, k.MemLimit, r, p)
	}
	hi, mem := bits.Mul64(128*r, uint64(1)<<logN)
	if hi != 0 || mem > MaxKDFMemory {
		return 0, 0, 0, fmt.Errorf("%w: opslimit %d, memlimit %d need scrypt N=2^%d r=%d (more than %d bytes)", ErrKDFLimit, k.OpsLimit, k.MemLimit, logN, r, MaxKDFMemory)
	}
	hi, work := bits.Mul64(r*p, uint64(1)<<logN)
	if hi != 0 || work > maxKDFWork {
		return 0, 0, 0, fmt.Errorf("%w: opslimit %d, memlimit %d need scrypt N=2^%d r=%d p=%d", ErrKDFLimit, k.OpsLimit, k.MemLimit, logN, r, p)
	}
	return logN, r, p, nil
}

// stream derives the bytes XORed with the secret part of a key.
func (k KDFParams) stream(password, salt []byte) ([]byte, error) {
	logN, r, p, err := k.check()
	if err != nil {
		return nil, err
	}
	s, err := scrypt.Key(password, salt, 1<<logN, int(r), int(p), keynumSKSize)
	if err != nil {
		return nil, fmt.Errorf("scrypt(N=2^%d, r=%d, p=%d): %w", logN, r, p, err)
	}
	return s, nil
}

// PrivateKey is a decrypted minisign secret key.
type PrivateKey struct {
	ID  KeyID
	Key ed25519.PrivateKey
}

// GenerateKey makes a new key pair with a random key ID, reading
// randomness from rand (crypto/rand.Reader when nil).
func GenerateKey(random io.Reader) (*PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	k := new(PrivateKey)
	if _, err := io.ReadFull(random, k.ID[:]); err != nil {
		return nil, fmt.Errorf("minisign: key ID: %w", err)
	}
	_, sk, err := ed25519.GenerateKey(random)
	if err != nil {
		return nil, fmt.Errorf("minisign: generate key: %w", err)
	}
	k.Key = sk
	return k, nil
}

// Public gives the public key of k.
func (k *PrivateKey) Public() *PublicKey {
	return &PublicKey{ID: k.ID, Key: k.Key.Public().(ed25519.PublicKey)}
}

// ParsePrivateKey reads a secret key file. When the key is encrypted,
// password is called once to get the password; a nil password gives
// [ErrPasswordRequired], a wrong one [ErrWrongPassword]. Unencrypted
// keys (`minisign -G -W`) never call it.
func ParsePrivateKey(data []byte, password func() ([]byte, error)) (*PrivateKey, error) {
	lines, err := fileLines(data, MaxKeyFileSize)
	if err != nil {
		return nil, fmt.Errorf("%w secret key: %v", ErrMalformed, err)
	}
	if len(lines) != 2 {
		return nil, fmt.Errorf("%w secret key: %d lines, want a comment and the key", ErrMalformed, len(lines))
	}
	if _, err := comment(lines[0]); err != nil {
		return nil, fmt.Errorf("%w secret key: %v", ErrMalformed, err)
	}
	raw, err := decode(lines[1], secStructSize)
	if err != nil {
		return nil, fmt.Errorf("%w secret key: %v", ErrMalformed, err)
	}
	if alg := string(raw[:algSize]); alg != AlgLegacy {
		return nil, fmt.Errorf("%w: secret key signature algorithm %q, want %q", ErrUnsupported, alg, AlgLegacy)
	}
	if chk := string(raw[offChk : offChk+algSize]); chk != chkBlake2 {
		return nil, fmt.Errorf("%w: secret key checksum algorithm %q, want %q", ErrUnsupported, chk, chkBlake2)
	}
	keynumSK := raw[offKeynumSK:]
	switch kdf := string(raw[offKDF : offKDF+algSize]); kdf {
	case kdfNone:
	case kdfScrypt:
		params := KDFParams{
			OpsLimit: binary.LittleEndian.Uint64(raw[offOps:]),
			MemLimit: binary.LittleEndian.Uint64(raw[offMem:]),
		}
		if _, _, _, err := params.check(); err != nil {
			return nil, err
		}
		if password == nil {
			return nil, ErrPasswordRequired
		}
		pw, err := password()
		if err != nil {
			return nil, fmt.Errorf("minisign: password for secret key: %w", err)
		}
		s, err := params.stream(pw, raw[offSalt:offSalt+saltSize])
		if err != nil {
			return nil, err
		}
		for i := range keynumSK {
			keynumSK[i] ^= s[i]
		}
	default:
		return nil, fmt.Errorf("%w: secret key KDF %q, want %q or none", ErrUnsupported, kdf, kdfScrypt)
	}
	k := &PrivateKey{Key: ed25519.PrivateKey(keynumSK[keyIDSize : keyIDSize+skSize])}
	copy(k.ID[:], keynumSK)
	sum := checksum(k)
	stored := keynumSK[keyIDSize+skSize:]
	switch {
	case equalBytes(sum[:], stored):
	case string(raw[offKDF:offKDF+algSize]) == kdfScrypt:
		return nil, ErrWrongPassword
	case !equalBytes(stored, make([]byte, chkSize)):
		// `minisign -G -W` leaves the checksum of unencrypted keys zero;
		// anything else must be right.
		return nil, fmt.Errorf("%w secret key: checksum does not match", ErrMalformed)
	}
	// The secret key is seed || public key; a mismatch would make
	// signatures nobody can verify.
	if !equalBytes(ed25519.NewKeyFromSeed(k.Key.Seed())[pubSize:], k.Key[pubSize:]) {
		return nil, fmt.Errorf("%w secret key: public half does not belong to the seed", ErrMalformed)
	}
	return k, nil
}

// checksum is BLAKE2b-256 of "Ed" || key ID || secret key
// (seckey_compute_chk in src/minisign.c).
func checksum(k *PrivateKey) [chkSize]byte {
	h, _ := blake2b.New256(nil)
	h.Write([]byte(AlgLegacy))
	h.Write(k.ID[:])
	h.Write(k.Key)
	var sum [chkSize]byte
	h.Sum(sum[:0])
	return sum
}

// Encode gives k as a secret key file. A nil password writes it
// unencrypted (as `minisign -G -W`); otherwise it is encrypted with
// scrypt under kdf (the zero KDFParams mean DefaultKDF) and a random
// salt from random (crypto/rand.Reader when nil). comment "" means
// DefaultSecretKeyComment.
func (k *PrivateKey) Encode(comment string, password []byte, kdf KDFParams, random io.Reader) ([]byte, error) {
	if len(k.Key) != skSize {
		return nil, fmt.Errorf("minisign: secret key of %d bytes, want %d", len(k.Key), skSize)
	}
	if comment == "" {
		comment = DefaultSecretKeyComment
	}
	if err := checkComment(comment); err != nil {
		return nil, err
	}
	if random == nil {
		random = rand.Reader
	}
	raw := make([]byte, secStructSize)
	copy(raw, AlgLegacy)
	copy(raw[offChk:], chkBlake2)
	keynumSK := raw[offKeynumSK:]
	copy(keynumSK, k.ID[:])
	copy(keynumSK[keyIDSize:], k.Key)
	sum := checksum(k)
	copy(keynumSK[keyIDSize+skSize:], sum[:])
	if password == nil {
		copy(raw[offKDF:], kdfNone)
	} else {
		if kdf == (KDFParams{}) {
			kdf = DefaultKDF
		}
		copy(raw[offKDF:], kdfScrypt)
		salt := raw[offSalt : offSalt+saltSize]
		if _, err := io.ReadFull(random, salt); err != nil {
			return nil, fmt.Errorf("minisign: salt: %w", err)
		}
		binary.LittleEndian.PutUint64(raw[offOps:], kdf.OpsLimit)
		binary.LittleEndian.PutUint64(raw[offMem:], kdf.MemLimit)
		s, err := kdf.stream(password, salt)
		if err != nil {
			return nil, err
		}
		for i := range keynumSK {
			keynumSK[i] ^= s[i]
		}
	}
	return fmt.Appendf(nil, "%s%s\n%s\n", commentPrefix, comment, b64.EncodeToString(raw)), nil
}

// checkComment refuses untrusted comments that would break the file.
func checkComment(c string) error {
	if len(commentPrefix)+len(c) > maxCommentLine {
		return fmt.Errorf("minisign: untrusted comment of %d bytes, more than %d", len(c), maxCommentLine-len(commentPrefix))
	}
	for _, r := range c {
		if r == '\n' || r == '\r' || r == 0 {
			return errors.New("minisign: untrusted comment holds a line break or NUL")
		}
	}
	return nil
}
