package testenv

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"testing"
)

// TestCA: a certificate Issue makes verifies against the CA's pool for
// its address and name, not for another host, and not against another
// CA; PEM holds the CA certificate.
func TestCA(t *testing.T) {
	ca, other := NewCA(t, "test CA"), NewCA(t, "other CA")
	leaf, err := x509.ParseCertificate(ca.Issue(t, []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"boot.example.org"}).Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host string
		ca   *CA
		ok   bool
	}{
		{"127.0.0.1", ca, true},
		{"boot.example.org", ca, true},
		{"127.0.0.2", ca, false},
		{"127.0.0.1", other, false},
	} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: tt.host, Roots: tt.ca.Pool()})
		if (err == nil) != tt.ok {
			t.Errorf("verify for %s with %s: %v", tt.host, tt.ca.Cert.Subject.CommonName, err)
		}
	}
	if b, _ := pem.Decode(ca.PEM); b == nil || b.Type != "CERTIFICATE" || string(b.Bytes) != string(ca.Cert.Raw) {
		t.Error("PEM does not hold the CA certificate")
	}
}
