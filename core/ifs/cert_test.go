package ifs_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// tlsServer serves h over TLS on 127.0.0.1 with a self-signed certificate
// valid until notAfter, and returns it with the certificate as a PEM CA bundle.
func tlsServer(t *testing.T, h http.Handler, notAfter time.Time) (*httptest.Server, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "tenant.test"},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return hs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// A tenant certificate ten days from expiry: the test passes (warn, not
// fail) and its last step says until when and what to do.
func TestConnectionWarnsBeforeCertificateExpires(t *testing.T) {
	srv := ifssim.New(world.New(1), ifssim.Config{})
	notAfter := time.Now().Add(10*24*time.Hour + 12*time.Hour).UTC().Truncate(time.Second)
	hs, ca := tlsServer(t, srv, notAfter)
	c, err := ifs.New(ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
		ClientSecret: ifssim.DefaultClientSecret, Company: "MLC01", Retry: httpx.RetryPolicy{MaxAttempts: 1},
		TLS: httpx.TLSOptions{CAPEM: ca}})
	if err != nil {
		t.Fatal(err)
	}
	rep := c.TestConnection(t.Context())
	if !rep.OK() {
		t.Fatalf("a certificate close to expiry must warn, not fail: %+v", rep)
	}
	if !rep.Cert.NotAfter.Equal(notAfter) || rep.Cert.Host != "127.0.0.1" || rep.Cert.Subject != "CN=tenant.test" {
		t.Errorf("cert %+v, want until %s", rep.Cert, notAfter)
	}
	last := rep.Steps[len(rep.Steps)-1]
	date := notAfter.Format("2006-01-02")
	if last.Name != "TLS certificate" || !last.OK || !last.Warning ||
		!strings.Contains(last.Detail, "TLS certificate for 127.0.0.1 valid until "+date+" (10 days)") ||
		!strings.Contains(last.Fix, "before "+date) {
		t.Errorf("certificate step %+v", last)
	}

	// Far from expiry by the configured threshold: no warning.
	c, err = ifs.New(ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
		ClientSecret: ifssim.DefaultClientSecret, Company: "MLC01", Retry: httpx.RetryPolicy{MaxAttempts: 1},
		TLS: httpx.TLSOptions{CAPEM: ca}, CertWarnWithin: 5 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rep = c.TestConnection(t.Context())
	if last := rep.Steps[len(rep.Steps)-1]; !rep.OK() || last.Name != "TLS certificate" || last.Warning || last.Fix != "" {
		t.Errorf("with a 5-day threshold: %+v", last)
	}
}
