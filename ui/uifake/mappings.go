package uifake

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"sync"
	"time"

	"github.com/ml-connector/ifs-cleo/ui/mappings"
)

// Mappings is an in-memory mappings.Source.
type Mappings struct {
	mu     sync.Mutex
	Ps     []mappings.PartnerMapping
	Tables map[string][][]string // first row is the header
	Hist   []mappings.Change
}

// NewMappings returns two partners (one unmapped) and small tables.
func NewMappings() *Mappings {
	return &Mappings{
		Ps: []mappings.PartnerMapping{
			{PartnerKey: "ZZ:ACME01", PartnerName: "Acme Supplies", Suggestions: []mappings.Suggestion{{SupplierID: "S1001", Name: "ACME Corp", Why: "same ISA id"}}},
			{PartnerKey: "ZZ:GLOBEX", PartnerName: "Globex", SupplierID: "S1042", SupplierName: "Globex Inc"},
		},
		Tables: map[string][][]string{
			mappings.GL:         {{"supplier_id", "charge_code", "account", "code_b"}, {"*", "FRT", "6400", "100"}},
			mappings.UoM:        {{"supplier_id", "x12_unit", "ifs_unit", "factor"}, {"S1042", "CA", "PCS", "12"}},
			mappings.Tolerances: {{"supplier_id", "price_pct", "qty_pct", "absolute", "match"}, {"*", "2", "0", "0", "two_way"}},
		},
		Hist: []mappings.Change{{Time: Epoch.Add(-time.Hour), Actor: "anna", What: "GL rule FRT → 6400 added"}},
	}
}

// Partners implements mappings.Source.
func (m *Mappings) Partners(context.Context) ([]mappings.PartnerMapping, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mappings.PartnerMapping(nil), m.Ps...), nil
}

// MapPartner implements mappings.Source.
func (m *Mappings) MapPartner(_ context.Context, key, sup string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.Ps {
		if m.Ps[i].PartnerKey == key {
			m.Ps[i].SupplierID = sup
			m.Hist = append(m.Hist, mappings.Change{Time: Epoch, Actor: "test", What: key + " → " + sup})
			return nil
		}
	}
	return fmt.Errorf("partner %s: not found", key)
}

// SetSelfBilling implements mappings.Source.
func (m *Mappings) SetSelfBilling(_ context.Context, key string, on bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.Ps {
		if m.Ps[i].PartnerKey == key {
			if m.Ps[i].SupplierID == "" {
				return fmt.Errorf("partner %s: map it to an IFS supplier first", key)
			}
			m.Ps[i].SelfBilling = on
			m.Hist = append(m.Hist, mappings.Change{Time: Epoch, Actor: "test", What: fmt.Sprintf("%s self-billing %v", key, on)})
			return nil
		}
	}
	return fmt.Errorf("partner %s: not found", key)
}

// Table implements mappings.Source.
func (m *Mappings) Table(_ context.Context, kind string) ([]string, [][]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.Tables[kind]
	if len(t) == 0 {
		return nil, nil, fmt.Errorf("table %s: unknown", kind)
	}
	return t[0], t[1:], nil
}

// ExportCSV implements mappings.Source.
func (m *Mappings) ExportCSV(_ context.Context, kind string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.WriteAll(m.Tables[kind])
	return b.Bytes(), w.Error()
}

// PreviewCSV implements mappings.Source: the header must match; account
// "zzz" is refused as IFS would; rows are keyed by their first two columns.
func (m *Mappings) PreviewCSV(_ context.Context, kind string, data []byte) (mappings.ImportPlan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, err := m.check(kind, data)
	if err != nil {
		return mappings.ImportPlan{}, err
	}
	old := map[string]string{}
	for _, r := range m.Tables[kind][1:] {
		old[r[0]+"|"+r[1]] = fmt.Sprint(r)
	}
	var p mappings.ImportPlan
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		k := r[0] + "|" + r[1]
		seen[k] = true
		switch prev, ok := old[k]; {
		case !ok:
			p.Adds = append(p.Adds, k)
		case prev != fmt.Sprint(r):
			p.Changes = append(p.Changes, k)
		default:
			p.Unchanged++
		}
	}
	for _, r := range m.Tables[kind][1:] {
		if k := r[0] + "|" + r[1]; !seen[k] {
			p.Deletes = append(p.Deletes, k)
		}
	}
	return p, nil
}

func (m *Mappings) check(kind string, data []byte) ([][]string, error) {
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, err
	}
	old := m.Tables[kind]
	if len(recs) == 0 || fmt.Sprint(recs[0]) != fmt.Sprint(old[0]) {
		return nil, fmt.Errorf("line 1: header must be %v", old[0])
	}
	for i, r := range recs[1:] {
		if kind == mappings.GL && len(r) > 2 && r[2] == "zzz" {
			return nil, fmt.Errorf("line %d: account \"zzz\" is not an IFS account of this company", i+2)
		}
	}
	return recs, nil
}

// ImportCSV implements mappings.Source: deletions need their confirmation.
func (m *Mappings) ImportCSV(ctx context.Context, kind string, data []byte, confirmDeletes int) (int, error) {
	p, err := m.PreviewCSV(ctx, kind, data)
	if err != nil {
		return 0, err
	}
	if len(p.Deletes) > 0 && len(p.Deletes) != confirmDeletes {
		return 0, fmt.Errorf("the import deletes %d mappings, %d confirmed", len(p.Deletes), confirmDeletes)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, _ := m.check(kind, data)
	m.Tables[kind] = recs
	return len(recs) - 1, nil
}

// Reference implements mappings.Source.
func (m *Mappings) Reference(context.Context) (mappings.Reference, error) {
	return mappings.Reference{
		Suppliers:   []mappings.Option{{Value: "S1001", Label: "S1001 — ACME Corp"}, {Value: "S1042", Label: "S1042 — Globex Inc"}},
		Accounts:    []mappings.Option{{Value: "6400", Label: "6400 — Freight in"}, {Value: "6410", Label: "6410 — Handling"}},
		CostCentres: []mappings.Option{{Value: "100", Label: "100 — Plant"}, {Value: "200", Label: "200 — Assembly"}},
	}, nil
}

// SaveGLRule implements mappings.Source (account "zzz" is refused as IFS would).
func (m *Mappings) SaveGLRule(_ context.Context, r mappings.GLRule) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.Account == "zzz" {
		return fmt.Errorf(`GL rule %s/%s: account "zzz" is not an IFS account of this company`, r.SupplierID, r.ChargeCode)
	}
	t := m.Tables[mappings.GL]
	for i, row := range t[1:] {
		if row[0] == r.SupplierID && row[1] == r.ChargeCode {
			t[i+1] = []string{r.SupplierID, r.ChargeCode, r.Account, r.CostCentre}
			return nil
		}
	}
	m.Tables[mappings.GL] = append(t, []string{r.SupplierID, r.ChargeCode, r.Account, r.CostCentre})
	return nil
}

// DeleteGLRule implements mappings.Source.
func (m *Mappings) DeleteGLRule(_ context.Context, sup, charge string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.Tables[mappings.GL]
	for i, row := range t[1:] {
		if row[0] == sup && row[1] == charge {
			m.Tables[mappings.GL] = append(t[:i+1], t[i+2:]...)
			return nil
		}
	}
	return fmt.Errorf("GL rule %s/%s: not found", sup, charge)
}

// SaveTolerance implements mappings.Source.
func (m *Mappings) SaveTolerance(_ context.Context, v mappings.Tolerance) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	match := "two_way"
	if v.ThreeWay {
		match = "three_way"
	}
	row := []string{v.SupplierID, v.PricePct, v.QtyPct, v.Absolute, match}
	t := m.Tables[mappings.Tolerances]
	for i, r := range t[1:] {
		if r[0] == v.SupplierID {
			t[i+1] = row
			return nil
		}
	}
	m.Tables[mappings.Tolerances] = append(t, row)
	return nil
}

// History implements mappings.Source.
func (m *Mappings) History(context.Context) ([]mappings.Change, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mappings.Change(nil), m.Hist...), nil
}

var _ mappings.Source = (*Mappings)(nil)
