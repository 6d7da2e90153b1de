package cleo_test

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

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
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

// A Cleo server certificate ten days from expiry: the REST test passes
// (warn, not fail) and its last step says until when and what to do.
func TestRESTConnectionWarnsBeforeCertificateExpires(t *testing.T) {
	sim := cleosim.New(world.New(1), cleosim.Config{EmptyInbox: true})
	notAfter := time.Now().Add(10*24*time.Hour + 12*time.Hour).UTC().Truncate(time.Second)
	hs, ca := tlsServer(t, sim, notAfter)
	user, pass := sim.Credentials()
	r, err := cleo.NewREST(cleo.RESTConfig{BaseURL: hs.URL, Username: user, Password: pass, TLS: httpx.TLSOptions{CAPEM: ca}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rep := r.TestConnection(t.Context())
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
}

// The sandbox's own certificate runs for decades: the step passes quietly.
func TestRESTConnectionCertificateFarFromExpiry(t *testing.T) {
	s := newSim(t, cleosim.Config{EmptyInbox: true})
	rep := s.client(t, nil).TestConnection(t.Context())
	last := rep.Steps[len(rep.Steps)-1]
	if !rep.OK() || last.Name != "TLS certificate" || last.Warning || rep.Cert.IsZero() {
		t.Errorf("report %+v", rep)
	}
}
