package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// CA is a certificate authority made for one test, to serve HTTPS with
// httptest or a file server that a client trusts (or must not):
//
//	ca := testenv.NewCA(t, "boot CA")
//	srv := httptest.NewUnstartedServer(h)
//	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 1)}, nil)}}
//	srv.StartTLS()
//	... a client with RootCAs ca.Pool(), or a CA bundle file holding ca.PEM ...
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	PEM  []byte // Cert, PEM-encoded: the content of a CA bundle file
}

// certLife is how long test certificates are valid on either side of
// now: long enough for a slow guest, short enough to be useless later.
const certLife = time.Hour

// NewCA makes a CA whose certificate has the common name name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	der, key := issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool returns a pool holding only the CA's certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Issue makes a server certificate signed by the CA for the IP addresses
// ips and the DNS names names.
func (ca *CA) Issue(t testing.TB, ips []net.IP, names []string) tls.Certificate {
	t.Helper()
	cn := "boot server"
	if len(ips) > 0 {
		cn = ips[0].String()
	}
	der, key := issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: ips,
		DNSNames:    names,
	}, ca)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// issue makes a P-256 key and a certificate for it from tmpl, with a
// random 64-bit serial number, valid certLife either side of now, signed
// by ca, or by the new key itself when ca is nil.
func issue(t testing.TB, tmpl *x509.Certificate, ca *CA) (der []byte, key *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64)); err != nil {
		t.Fatal(err)
	}
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-certLife), time.Now().Add(certLife)
	parent, signer := tmpl, key
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err = x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}
