package engine

import (
	"strings"
	"testing"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// An admin who configured both connections but never our own X12 id still
// sends valid envelopes: 850s under the id the partner's Cleo connection
// names as its receiver, 997s under the id the received interchange was
// addressed to.
func TestOurIdentityFallsBackToThePartners(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	eng, err := New(Params{Store: s.st, IFS: s.eng.p.IFS, Cleo: s.eng.p.Cleo, EDI: X12Codec{}, Company: s.w.Company.ID, Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.SyncOnce(s.ctx); err != nil {
		t.Fatal(err)
	}
	want := s.w.Us.ID
	for _, typ := range []store.DocType{store.Type850, store.Type997} {
		ds, err := s.st.Documents(s.ctx, store.DocumentQuery{Type: typ, Direction: store.Outbound, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			t.Fatalf("no outbound %s built", typ)
		}
		for _, d := range ds {
			full, err := s.st.Document(s.ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			isa := strings.Split(string(full.RawEDI), "*")
			if len(isa) < 7 || strings.TrimSpace(isa[6]) != want {
				t.Fatalf("%s %s: ISA06 = %q, want %q (%.80s)", typ, d.BusinessKey, strings.TrimSpace(isa[6]), want, full.RawEDI)
			}
		}
	}
	// Nothing failed for want of an identity.
	ex, _, err := eng.Exceptions(s.ctx, store.ExceptionQuery{Text: "identity"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 0 {
		t.Fatalf("identity exceptions: %+v", ex)
	}
}
