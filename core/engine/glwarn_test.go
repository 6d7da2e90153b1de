package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/ml-connector/ifs-cleo/core/domain"
	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/ifssim"
	"github.com/ml-connector/ifs-cleo/core/store"
)

// A GL rule whose account IFS closes soon, or has closed, is flagged in
// Mappings before an invoice fails on it; a sound rule is not.
func TestGLRuleWarnings(t *testing.T) {
	s := newSandboxes(t, ifssim.Config{}, cleosim.Config{})
	s.sync(FlowReference)
	accs, err := s.st.CodePartValues(s.ctx, s.w.Company.ID, "A")
	if err != nil || len(accs) < 3 {
		t.Fatalf("accounts %d %v", len(accs), err)
	}
	sup := s.w.Suppliers[0].SupplierID
	rules := map[string]string{"FRT": accs[0].Value, "HDL": accs[1].Value, "D240": accs[2].Value}
	for charge, acc := range rules {
		if err := s.eng.SetGLRule(s.ctx, sup, charge, domain.CodeString{Account: acc}); err != nil {
			t.Fatalf("rule %s → %s: %v", charge, acc, err)
		}
	}
	if w, err := s.eng.GLRuleWarnings(s.ctx); err != nil || len(w) != 0 {
		t.Fatalf("sound rules flagged: %v %v", w, err)
	}
	// IFS closes accs[1] in ten days and closed accs[2] yesterday.
	now := time.Now()
	accs[1].ValidUntil = now.Add(10 * 24 * time.Hour)
	accs[2].ValidUntil = now.Add(-24 * time.Hour)
	if err := s.st.ReplaceCodeParts(s.ctx, s.w.Company.ID, "A", accs); err != nil {
		t.Fatal(err)
	}
	w, err := s.eng.GLRuleWarnings(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	soon, closed := w[store.GLRuleKey(sup, "HDL")], w[store.GLRuleKey(sup, "D240")]
	if len(w) != 2 || !strings.Contains(soon, "account "+accs[1].Value+" closes in IFS on "+accs[1].ValidUntil.Format("2006-01-02")) ||
		!strings.Contains(closed, "is not valid today") {
		t.Fatalf("warnings %v", w)
	}
}
