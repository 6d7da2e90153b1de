package ifs_test

import (
	"bytes"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/ifs"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

func TestExampleProfileLoads(t *testing.T) {
	p, err := ifs.LoadProfile("testdata/profile-example.json")
	if err != nil {
		t.Fatal(err)
	}
	if p.SupplierInvoices.Field("GrossAmount") != "" || p.SupplierInvoices.ServicePath() != "/int/ifsapplications/projection/v1/ManualSupplierInvoiceHandling.svc" {
		t.Errorf("%+v", p.SupplierInvoices)
	}
}

// A tenant with a private CA: refused without its bundle (never a silent
// skip-verify), working with it, and the test report says what to do.
func TestPrivateCA(t *testing.T) {
	srv := ifssim.New(world.New(1), ifssim.Config{})
	hs := httptest.NewUnstartedServer(srv)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0)
	hs.StartTLS()
	defer hs.Close()
	base := ifs.Config{BaseURL: hs.URL, Realm: srv.Realm(), ClientID: ifssim.DefaultClientID,
		ClientSecret: ifssim.DefaultClientSecret, Company: "MLC01", Retry: httpx.RetryPolicy{MaxAttempts: 1}}

	c, err := ifs.New(base)
	if err != nil {
		t.Fatal(err)
	}
	rep := c.TestConnection(t.Context())
	if rep.Steps[0].OK || !strings.Contains(rep.Steps[0].Fix, "CA bundle") {
		t.Errorf("untrusted certificate: %+v", rep.Steps[0])
	}
	_, err = c.Suppliers(t.Context())
	if domain.KindOf(err) != domain.KindConfig {
		t.Errorf("kind %v for a certificate failure: %v", domain.KindOf(err), err)
	}

	withCA := base
	withCA.TLS = httpx.TLSOptions{CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})}
	c, err = ifs.New(withCA)
	if err != nil {
		t.Fatal(err)
	}
	if rep := c.TestConnection(t.Context()); !rep.OK() {
		t.Errorf("with the CA bundle: %+v", rep)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A debug log of a whole session (tokens, reads, creates, a 401, refused
// credentials) holds neither the client secret nor any access token
// (sandbox tokens start with "eyJ").
func TestLogsHoldNoSecrets(t *testing.T) {
	env := newInProcess(t, simOptions{}).(*inProcess)
	var buf syncBuf
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := client(t, env, func(c *ifs.Config) { c.Logger = logger })
	ctx := t.Context()
	if _, err := c.Suppliers(ctx); err != nil {
		t.Fatal(err)
	}
	env.srv.ExpireTokens()
	inv := testInvoice(env.World(), "INV-LOG")
	if _, err := c.CreateSupplierInvoice(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSupplierInvoice(ctx, inv); err == nil {
		t.Fatal("duplicate accepted")
	}
	bad, _ := client(t, env, func(c *ifs.Config) { c.Logger = logger; c.ClientSecret = "wrong-" + ifssim.DefaultClientSecret })
	bad.Suppliers(ctx)
	out := buf.String()
	if !strings.Contains(out, "status=401") || !strings.Contains(out, "unauthorized_client") {
		t.Errorf("log lacks the failures:\n%s", out)
	}
	for _, secret := range []string{ifssim.DefaultClientSecret, "eyJ"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
}
