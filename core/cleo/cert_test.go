package cleo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// A Cleo server certificate ten days from expiry: the REST test passes
// (warn, not fail) and its last step says until when and what to do.
func TestRESTConnectionWarnsBeforeCertificateExpires(t *testing.T) {
	sim := cleosim.New(world.New(1), cleosim.Config{EmptyInbox: true})
	notAfter := time.Now().Add(10*24*time.Hour + 12*time.Hour).UTC().Truncate(time.Second)
	hs, ca := httpxtest.TLSServer(t, sim, notAfter)
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
