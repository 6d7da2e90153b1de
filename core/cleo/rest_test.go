package cleo_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/cleo"
	"github.com/ml-connector/ifs-cleo/core/cleo/cleotest"
	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/httpx"
	"github.com/ml-connector/ifs-cleo/core/httpx/httpxtest"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
	"github.com/ml-connector/ifs-cleo/core/x12"
)

// simServer runs a Cleo sandbox over TLS on 127.0.0.1; the client trusts it
// through a CA bundle, exactly as for a tenant with a private certificate.
type simServer struct {
	sim   *cleosim.Server
	srv   *httptest.Server
	caPEM []byte
}

func newSim(t *testing.T, cfg cleosim.Config) *simServer {
	t.Helper()
	sim := cleosim.New(world.New(1), cfg)
	srv := httptest.NewTLSServer(sim)
	t.Cleanup(srv.Close)
	return &simServer{sim: sim, srv: srv, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
}

func (s *simServer) config() cleo.RESTConfig {
	user, pass := s.sim.Credentials()
	return cleo.RESTConfig{
		BaseURL: s.srv.URL, Username: user, Password: pass, TLS: httpx.TLSOptions{CAPEM: s.caPEM}, PageSize: 3,
		// Virtual time: retries and Retry-After waits cost nothing.
		HTTP: httpx.Options{Clock: httpxtest.NewClock(time.Date(2026, 11, 16, 12, 0, 0, 0, time.UTC))},
	}
}

func (s *simServer) client(t *testing.T, mod func(*cleo.RESTConfig)) *cleo.REST {
	t.Helper()
	cfg := s.config()
	if mod != nil {
		mod(&cfg)
	}
	r, err := cleo.NewREST(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func restEnv(t *testing.T, s *simServer, mod func(*cleo.RESTConfig)) *cleotest.Env {
	p := s.sim.World().Suppliers[0].Partner
	return &cleotest.Env{
		New:                 func(t *testing.T) cleo.Transport { return s.client(t, mod) },
		PartnerAlias:        p.Alias,
		PartnerISAQualifier: p.ISAQualifier,
		PartnerISAID:        p.ISAID,
		PageSize:            3,
		Put: func(t *testing.T, name string, content []byte, created time.Time) {
			if _, err := s.sim.Inject(p.Alias, name, content, created); err != nil {
				t.Fatal(err)
			}
		},
		Sent: func(t *testing.T, name string) ([]byte, int) {
			var got []byte
			n := 0
			for _, f := range s.sim.Sent() {
				if f.Connection == p.Alias && f.Filename == name {
					got, n = f.Content, n+1
				}
			}
			return got, n
		},
		Rejected: func(t *testing.T) int { return s.sim.Stats().Unauthorized },
		ExpireTokensAfter: func(t *testing.T, n int) {
			f := s.sim.Faults()
			f.ExpireTokensAfter = n
			s.sim.SetFaults(f)
		},
	}
}

func TestRESTConformance(t *testing.T) {
	variants := []struct {
		name string
		mod  func(*cleo.RESTConfig)
		sim  cleosim.Config
	}{
		{"FilesListingDeleteAck", nil, cleosim.Config{}},
		{"PerConnectionAckEndpoint", func(c *cleo.RESTConfig) { c.Listing, c.Ack = cleo.ListPerConnection, cleo.AckEndpoint }, cleosim.Config{}},
		{"MinimalTokenNoRefresh", nil, cleosim.Config{MinimalToken: true}},
		{"NoServerFilters", func(c *cleo.RESTConfig) {
			c.Paths.InboundFilter, c.Paths.ConnectionInboxFilter = "-", "-"
		}, cleosim.Config{}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			cleotest.RunTests(t, func(t *testing.T) *cleotest.Env {
				cfg := v.sim
				cfg.EmptyInbox, cfg.SupplierDelay = true, -1
				return restEnv(t, newSim(t, cfg), v.mod)
			})
		})
	}
}

func TestRESTFaults(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, cleosim.Config{SupplierDelay: -1})
	r := s.client(t, nil)
	p := s.sim.World().Suppliers[0].Partner

	// 500s and 429s on reads are retried (virtual clock: no real waiting).
	s.sim.SetFaults(cleosim.Faults{Errors500: 2, RateLimited: 1, RetryAfterS: 30})
	files, err := r.Inbound(ctx)
	if err != nil {
		t.Fatalf("Inbound through 500/429: %v", err)
	}
	if len(files) < 10 {
		t.Fatalf("seeded inbox holds %d files, want the full mix", len(files))
	}

	// Persistent 500: a classified transient error with the server's message.
	s.sim.SetFaults(cleosim.Faults{Errors500: 50})
	_, err = r.Partners(ctx)
	var ce *cleo.Error
	if !errors.As(err, &ce) || ce.Status != 500 || domain.KindOf(err) != domain.KindTransient || !strings.Contains(ce.Message, "internal") {
		t.Fatalf("persistent 500: %v", err)
	}
	s.sim.SetFaults(cleosim.Faults{})

	// A duplicate answer from the server is "already sent".
	s.sim.SetFaults(cleosim.Faults{Duplicate409: 1})
	ps, _ := r.Partners(ctx)
	res, err := r.Send(ctx, ps[0], "850_P1_1.edi", strings.NewReader("ISA"))
	if err != nil || !res.AlreadyPresent {
		t.Fatalf("409 on send: %+v %v", res, err)
	}

	// A file deleted by someone else acks fine.
	s.sim.SetFaults(cleosim.Faults{Deleted404: 1})
	if err := r.Ack(ctx, files[0].ID); err != nil {
		t.Fatalf("ack of a deleted file: %v", err)
	}
	if _, err := r.Open(ctx, "AAAAAAAAAAAAAAAAAAAAAA"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("open unknown: %v", err)
	}

	// Tokens revoked: one re-authentication, transparently.
	s.sim.ExpireTokens()
	if _, err := r.Partners(ctx); err != nil {
		t.Fatalf("after token expiry: %v", err)
	}

	// The sign-in itself failing: an auth error, and a report that says so.
	s.sim.SetFaults(cleosim.Faults{AuthFailures: 10})
	s.sim.ExpireTokens()
	if _, err := r.Partners(ctx); domain.KindOf(err) != domain.KindAuth {
		t.Fatalf("401 on sign-in: %v", err)
	}
	rep := r.TestConnection(ctx)
	if rep.OK() || rep.Steps[0].OK || !strings.Contains(rep.Steps[0].Fix, "password") || !rep.Steps[1].Skipped || !rep.Steps[2].Skipped {
		t.Fatalf("report on 401: %+v", rep)
	}
	s.sim.SetFaults(cleosim.Faults{})
	_ = p
}

func TestRESTTokenRenewalOnExpiry(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []cleosim.Config{{}, {NoRefresh: true}, {MinimalToken: true}} {
		now := time.Now()
		cfg.Now = func() time.Time { return now }
		cfg.TokenTTL = time.Minute
		cfg.EmptyInbox = true
		s := newSim(t, cfg)
		var clientNow time.Time = now
		r := s.client(t, func(c *cleo.RESTConfig) { c.Now = func() time.Time { return clientNow } })
		if _, err := r.Partners(ctx); err != nil {
			t.Fatal(err)
		}
		// Both clocks move past the token's life: the client renews before
		// calling (refresh grant, or password grant when there is none).
		now = now.Add(2 * time.Hour)
		clientNow = now
		before := s.sim.Stats()
		if _, err := r.Partners(ctx); err != nil {
			t.Fatalf("%+v: after expiry: %v", cfg, err)
		}
		after := s.sim.Stats()
		if after.TokenCalls != before.TokenCalls+1 {
			t.Errorf("%+v: %d token calls for one renewal", cfg, after.TokenCalls-before.TokenCalls)
		}
		if cfg.MinimalToken && after.Unauthorized != before.Unauthorized+1 {
			// No expires_in: the client assumed a 10-minute life, so it
			// renewed before calling as well; no 401 is expected either way.
			t.Logf("minimal token: %d 401s", after.Unauthorized-before.Unauthorized)
		}
	}
}

func TestRESTLockoutAndBadPassword(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, cleosim.Config{EmptyInbox: true, LockoutAfter: 3})
	bad := s.client(t, func(c *cleo.RESTConfig) { c.Password = "wrong" })
	for range 3 {
		if _, err := bad.Partners(ctx); domain.KindOf(err) != domain.KindAuth {
			t.Fatalf("bad password: %v", err)
		}
	}
	good := s.client(t, nil)
	_, err := good.Partners(ctx)
	if domain.KindOf(err) != domain.KindAuth || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("locked account: %v", err)
	}
}

func TestRESTSetPartnerExternalID(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, cleosim.Config{EmptyInbox: true})
	r := s.client(t, nil)
	ps, err := r.Partners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unknown := ps[len(ps)-1]
	if unknown.ExternalID != "" {
		t.Fatalf("unknown partner already mapped: %+v", unknown)
	}
	if err := r.SetPartnerExternalID(ctx, unknown.ID, "SUP1099"); err != nil {
		t.Fatal(err)
	}
	ps, _ = r.Partners(ctx)
	if ps[len(ps)-1].ExternalID != "SUP1099" {
		t.Fatalf("externalID not stored: %+v", ps[len(ps)-1])
	}
	if err := r.SetPartnerExternalID(ctx, "nope", "X"); domain.KindOf(err) != domain.KindNotFound {
		t.Fatalf("unknown connection: %v", err)
	}
}

func TestRESTConfigAndTLS(t *testing.T) {
	for _, u := range []string{"http://cleo.example.com", "ftp://x", "not a url", ""} {
		if _, err := cleo.NewREST(cleo.RESTConfig{BaseURL: u, Username: "u", Password: "p"}); domain.KindOf(err) != domain.KindConfig {
			t.Errorf("NewREST(%q) = %v, want a config error", u, err)
		}
	}
	if _, err := cleo.NewREST(cleo.RESTConfig{BaseURL: "http://127.0.0.1:1", Username: "u", Password: "p"}); err != nil {
		t.Errorf("loopback http: %v", err)
	}
	// Without the CA bundle the sandbox's certificate is not trusted: no
	// silent skip, a config error with a fix naming the CA bundle.
	s := newSim(t, cleosim.Config{EmptyInbox: true})
	r := s.client(t, func(c *cleo.RESTConfig) { c.TLS = httpx.TLSOptions{} })
	_, err := r.Partners(context.Background())
	if domain.KindOf(err) != domain.KindConfig {
		t.Fatalf("untrusted certificate: %v (%v)", err, domain.KindOf(err))
	}
	rep := r.TestConnection(context.Background())
	if rep.OK() || !strings.Contains(rep.Steps[0].Fix, "CA bundle") {
		t.Fatalf("report: %+v", rep)
	}
}

func TestRESTSendExternalIDAndSupplierReply(t *testing.T) {
	ctx := context.Background()
	s := newSim(t, cleosim.Config{EmptyInbox: true, SupplierDelay: -1, InvoiceEvery: 1})
	r := s.client(t, nil)
	w := s.sim.World()
	po := w.PurchaseOrders[0]
	sup, _ := w.SupplierByID(po.SupplierID)
	edi := sample850(t, w, po)
	res, err := r.Send(cleo.WithExternalID(ctx, po.OrderNo), domain.Partner{Alias: sup.Partner.Alias}, cleo.OutboundName("850", po.OrderNo, "1"), bytes.NewReader(edi))
	if err != nil || res.AlreadyPresent || res.ID == "" {
		t.Fatalf("Send: %+v %v", res, err)
	}
	sent := s.sim.Sent()
	if len(sent) != 1 || sent[0].ExternalID != po.OrderNo || sent[0].Folder != "sent" {
		t.Fatalf("sandbox outbox: %+v", sent)
	}
	replies := s.sim.Respond()
	if len(replies) != 2 {
		t.Fatalf("supplier replies: %d files, want a 997 and an 810", len(replies))
	}
	files, err := r.Inbound(ctx)
	if err != nil || len(files) != 2 || files[0].DocumentType != "997" || files[1].DocumentType != "810" || files[0].PartnerAlias != sup.Partner.Alias {
		t.Fatalf("inbound after replies: %+v %v", files, err)
	}
}

// sample850 writes the 850 the engine would send for po.
func sample850(t *testing.T, w *world.World, po domain.PurchaseOrder) []byte {
	t.Helper()
	sup, _ := w.SupplierByID(po.SupplierID)
	xpo := &x12.PurchaseOrder{Purpose: x12.PurposeOriginal, Type: "SA", Number: po.OrderNo, Date: x12.DateOf(po.OrderDate), Currency: po.Currency}
	for _, l := range po.Lines {
		xpo.Lines = append(xpo.Lines, x12.POLine{LineNumber: l.LineNo, Quantity: l.Quantity, UOM: "EA", UnitPrice: l.UnitPrice, BuyerPart: l.PartNo, VendorPart: l.VendorPartNo})
	}
	var b bytes.Buffer
	env := x12.Envelope{SenderQualifier: w.Us.Qualifier, SenderID: w.Us.ID, ReceiverQualifier: sup.Partner.ISAQualifier, ReceiverID: sup.Partner.ISAID,
		InterchangeControl: 1, GroupControl: 1, SetControl: 1, Time: w.Today, Replacement: ' '}
	if err := x12.Write850(&b, env, xpo); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// BenchmarkRESTInbound lists 500 waiting files (pages of 100) from the
// sandbox over TLS on loopback.
func BenchmarkRESTInbound(b *testing.B) {
	sim := cleosim.New(world.New(1), cleosim.Config{EmptyInbox: true})
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	alias := sim.World().Suppliers[0].Partner.Alias
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		sim.Inject(alias, fmt.Sprintf("f%04d.edi", i), []byte("ISA*x"), base.Add(time.Duration(i)*time.Minute))
	}
	user, pass := sim.Credentials()
	r, err := cleo.NewREST(cleo.RESTConfig{BaseURL: srv.URL, Username: user, Password: pass,
		TLS: httpx.TLSOptions{CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	before := sim.Stats().APICalls
	n := 0
	for b.Loop() {
		files, err := r.Inbound(ctx)
		if err != nil || len(files) != 500 {
			b.Fatalf("%d files, %v", len(files), err)
		}
		n++
	}
	b.ReportMetric(float64(sim.Stats().APICalls-before)/float64(n), "requests/listing")
	b.ReportMetric(500, "files/listing")
}

// TestRESTInboundEach: the streamed listing shows every waiting file of
// every partner and says how many wait (the server's totalResults, summed
// over connections), in both listing forms; an error from the callback
// stops it.
func TestRESTInboundEach(t *testing.T) {
	for _, listing := range []cleo.InboundListing{cleo.ListFiles, cleo.ListPerConnection} {
		t.Run(fmt.Sprint("listing=", listing), func(t *testing.T) {
			s := newSim(t, cleosim.Config{EmptyInbox: true, SupplierDelay: -1})
			r := s.client(t, func(c *cleo.RESTConfig) { c.Listing = listing })
			sups := s.sim.World().Suppliers
			t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
			want := map[string]bool{}
			// 7 files over two partners, pages of 3: 3 pages, or 2 + 1.
			for i := range 7 {
				f, err := s.sim.Inject(sups[i%2].Partner.Alias, fmt.Sprintf("in_%d.edi", i), []byte("ISA*x"), t0.Add(time.Duration(7-i)*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				want[f.ID] = true
			}
			got := map[string]bool{}
			total, err := r.InboundEach(context.Background(), func(f domain.RemoteFile) error {
				got[f.ID] = true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if total != 7 || !maps.Equal(got, want) {
				t.Errorf("total %d, files %v; want 7, %v", total, got, want)
			}
			calls := 0
			stop := errors.New("stop")
			if _, err := r.InboundEach(context.Background(), func(domain.RemoteFile) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
				t.Errorf("callback error: %v after %d calls, want it returned after 1", err, calls)
			}
		})
	}
}
