package ifs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// A tenant certificate ten days from expiry: the test passes (warn, not
// fail) and its last step says until when and what to do.
func TestConnectionWarnsBeforeCertificateExpires(t *testing.T) {
	srv := ifssim.New(world.New(1), ifssim.Config{})
	notAfter := time.Now().Add(10*24*time.Hour + 12*time.Hour).UTC().Truncate(time.Second)
	hs, ca := httpxtest.TLSServer(t, srv, notAfter)
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
