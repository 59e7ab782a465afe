// Package minisign reads and writes minisign public keys, secret keys and
// signatures, verifies signatures and makes new ones. The files are those
// of the minisign tool (https://jedisct1.github.io/minisign/): a public
// key made by `minisign -G` verifies files signed by [PrivateKey.Sign],
// and `minisign -V` verifies our signatures.
//
// The netboot client uses it to accept a config, kernel or initrd only
// when a detached signature NAME.minisig made with a trusted key goes
// with it (see package internal/signedboot); `pxeboot sign` uses it to sign
// a TFTP tree.
//
//	pub, err := minisign.ParsePublicKey(pubFile) // "untrusted comment: ...\nRWQ...\n"
//	sig, err := minisign.ParseSignature(sigFile) // NAME.minisig
//	if err := pub.Verify(data, sig); err != nil {
//		// errors.Is(err, minisign.ErrInvalidSignature) or ErrWrongKey
//	}
//	fmt.Println(sig.TrustedComment) // "timestamp:1700000000\tfile:vmlinuz\thashed"
//
//	sk, err := minisign.ParsePrivateKey(keyFile, askPassword) // askPassword only runs for encrypted keys
//	sig, err = sk.Sign(data, minisign.DefaultTrustedComment("vmlinuz", time.Now()))
//	os.WriteFile("vmlinuz.minisig", sig.Encode(), 0o644)
//
// # Formats
//
// All three files are text: an "untrusted comment: " line, then one line
// of standard base64 (with padding).
//
//   - Public key: "Ed" (the signature algorithm), the 8-byte key ID, the
//     32-byte Ed25519 public key.
//   - Signature: "Ed" (legacy: the Ed25519 signature is over the file
//     itself) or "ED" (prehashed: over the 64-byte BLAKE2b-512 of the
//     file), the key ID, the 64-byte signature; then a "trusted comment: "
//     line and the base64 of the global signature, an Ed25519 signature of
//     the file's signature followed by the trusted comment. Both must
//     verify, so the trusted comment cannot be changed.
//   - Secret key: "Ed", the KDF ("Sc" for scrypt, two zero bytes for an
//     unencrypted key), the checksum algorithm "B2", a 32-byte salt, the
//     scrypt opslimit and memlimit (little-endian uint64, libsodium's
//     crypto_pwhash_scryptsalsa208sha256 parameters), then 104 bytes:
//     key ID, 64-byte Ed25519 secret key and the BLAKE2b-256 checksum of
//     "Ed" || key ID || secret key, XORed with as many bytes of scrypt
//     output when encrypted.
//
// Key IDs are shown as minisign shows them: the 8 bytes read as a
// little-endian integer, in upper-case hex.
//
// [PrivateKey.Sign] always makes prehashed ("ED") signatures, as
// minisign 0.11 does by default (`minisign -S -l` makes legacy ones);
// both kinds verify.
//
// # Security
//
// Signature files and public keys come from the network and are parsed
// as hostile input: a parser reads at most a few kilobytes (longer input
// is refused without being scanned), needs exact line and field lengths,
// strict base64, one of the known algorithm tags and a trusted comment
// of printable UTF-8; it never panics. A signature verifies only when the
// key IDs match and both Ed25519 signatures (file and trusted comment)
// are valid; verification takes constant time in the signature's
// content (crypto/ed25519).
//
// A signature binds the content of a file and its trusted comment, not
// its name: whoever can change files on the server can put one validly
// signed file in the place of another signed with the same key (an old
// kernel, another machine's config). Use a key per trust domain and
// remove superseded files and their signatures from the server.
//
// Secret keys are the operator's own files; the scrypt parameters in them
// are still bounded ([MaxKDFMemory]) so a crafted key file cannot make
// `pxeboot sign` allocate without limit. A wrong password is detected by
// the checksum ([ErrWrongPassword]).
package minisign
